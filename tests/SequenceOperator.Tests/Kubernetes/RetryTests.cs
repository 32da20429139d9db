using System.Diagnostics;
using System.Net;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Testing.Kubernetes;

namespace SequenceOperator.Tests.Kubernetes;

public sealed class RetryTests
{
    private static readonly KubernetesJsonContext Json = KubernetesJsonContext.Default;

    [Fact]
    public async Task Get_AfterTwoServerErrors_IsRetriedAndSucceeds()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("w"), TestJsonContext.Default.Widget);
        env.Server.Faults.Add(FaultRule.Error("get", 500, times: 2));
        var widget = await env.Client.GetAsync(TestResources.Widgets, "default", "w", TestJsonContext.Default.Widget);
        Assert.Equal("w", widget.Metadata.Name);
        Assert.Equal([500, 500, 200], env.Server.Requests.Where(r => r.Verb == "get").Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Get_PersistentServerError_ThrowsServerErrorAfterRetries()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Faults.Add(FaultRule.Error("get", 503, times: null));
        var error = await Assert.ThrowsAsync<ServerErrorException>(() => env.Client.GetAsync(ResourceType.Secrets, "ns", "s", Json.Secret));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.Code);
        Assert.Equal(1 + KubernetesTestServer.FastOptions().MaxRetryAttempts, env.Server.CountRequests("get"));
    }

    [Fact]
    public async Task Get_TooManyRequestsWithRetryAfter_WaitsAtLeastRetryAfterThenSucceeds()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Faults.Add(FaultRule.Error("list", 429, times: 1, retryAfterSeconds: 1));
        var watch = Stopwatch.StartNew();
        var list = await env.Client.ListAsync(ResourceType.Secrets, "ns", Json.Secret);
        watch.Stop();
        Assert.Empty(list.Items);
        Assert.Equal([429, 200], env.Server.Requests.Select(r => r.StatusCode));

        // The backoff alone would be ~20 ms: waiting the full second shows Retry-After was honoured.
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(950), $"retried after {watch.Elapsed}");
    }

    [Fact]
    public async Task Get_PersistentTooManyRequests_ThrowsWithRetryAfter()
    {
        var options = KubernetesTestServer.FastOptions();
        options.MaxRetryAttempts = 1;
        options.MaxRetryAfter = TimeSpan.FromMilliseconds(10);
        await using var env = await KubernetesTestServer.StartAsync(clientOptions: options);
        env.Server.Faults.Add(FaultRule.Error("get", 429, times: null, retryAfterSeconds: 7));
        var error = await Assert.ThrowsAsync<TooManyRequestsException>(() => env.Client.GetAsync(
            ResourceType.Secrets,
            "ns",
            "s",
            Json.Secret));
        Assert.Equal(TimeSpan.FromSeconds(7), error.RetryAfter);
        Assert.Equal(2, env.Server.CountRequests("get"));
    }

    [Fact]
    public async Task Get_ConnectionReset_IsRetried()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Faults.Add(FaultRule.Reset("get", times: 2));
        Assert.Null(await env.Client.TryGetAsync(ResourceType.Secrets, "ns", "s", Json.Secret));
        Assert.Equal([-1, -1, 404], env.Server.Requests.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Get_SlowAnswer_TimesOutAndIsRetried()
    {
        var options = KubernetesTestServer.FastOptions();
        options.RequestTimeout = TimeSpan.FromMilliseconds(300);
        await using var env = await KubernetesTestServer.StartAsync(clientOptions: options);
        env.Server.Faults.Add(FaultRule.Delay(TimeSpan.FromSeconds(3), "get", times: 1));
        Assert.Null(await env.Client.TryGetAsync(ResourceType.Secrets, "ns", "s", Json.Secret));
        Assert.Equal(2, env.Server.CountRequests("get"));
    }

    [Theory]
    [InlineData(400)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(422)]
    public async Task Get_ClientErrors_AreNotRetried(int code)
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Faults.Add(FaultRule.Error("get", code, times: null));
        var error = await Assert.ThrowsAnyAsync<KubernetesApiException>(() => env.Client.GetAsync(
            ResourceType.Secrets,
            "ns",
            "s",
            Json.Secret));
        Assert.Equal(code, (int)error.Code);
        Assert.Equal(1, env.Server.CountRequests("get"));
    }

    [Fact]
    public async Task Create_ServerErrorWithoutRetryAfter_IsNotRetried()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Faults.Add(FaultRule.Error("create", 500, times: 1));
        await Assert.ThrowsAsync<ServerErrorException>(
            () => env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("w"), TestJsonContext.Default.Widget));
        Assert.Equal(1, env.Server.CountRequests("create"));
    }

    [Fact]
    public async Task Create_TooManyRequests_IsRetried()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Faults.Add(FaultRule.Error("create", 429, times: 1, retryAfterSeconds: 0));
        var created = await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("w"), TestJsonContext.Default.Widget);
        Assert.NotNull(created.Metadata.Uid);
        Assert.Equal([429, 201], env.Server.Requests.Select(r => r.StatusCode));
    }

    [Fact]
    public async Task Patch_ServerError_IsRetriedWithTheSameBody()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("w"), TestJsonContext.Default.Widget);
        env.Server.Faults.Add(FaultRule.Error("patch", 502, times: 1));
        var patched = await env.Client.PatchAsync(TestResources.Widgets, "default", "w",
            KubernetesPatch.Merge(
                new System.Text.Json.Nodes.JsonObject { ["spec"] = new System.Text.Json.Nodes.JsonObject { ["size"] = 8 } }),
            TestJsonContext.Default.Widget);
        Assert.Equal(8, patched.Spec!.Size);
        Assert.All(env.Server.Requests.Where(r => r.Verb == "patch"), r => Assert.Equal("application/merge-patch+json", r.ContentType));
    }
}
