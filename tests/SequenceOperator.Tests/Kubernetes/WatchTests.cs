using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Testing.Kubernetes;

namespace SequenceOperator.Tests.Kubernetes;

public sealed class WatchTests
{
    [Fact]
    public async Task Watch_FromResourceVersion_DeliversAddedModifiedDeletedInOrder()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var json = TestJsonContext.Default.Widget;
        var before = await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("old"), json);

        using var cts = new CancellationTokenSource(Eventually.Limit);
        await using var events = env.Client.WatchAsync(TestResources.Widgets, "default", json,
            new WatchOptions { ResourceVersion = before.Metadata.ResourceVersion }, cts.Token).GetAsyncEnumerator(cts.Token);

        var created = await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("w"), json);
        await env.Client.PatchAsync(
            TestResources.Widgets,
            "default",
            "w",
            KubernetesPatch.Merge(new JsonObject { ["spec"] = new JsonObject { ["size"] = 4 } }),
            json);
        await env.Client.DeleteAsync(TestResources.Widgets, "default", "w");

        Assert.True(await events.MoveNextAsync());
        Assert.Equal(WatchEventType.Added, events.Current.Type);
        Assert.Equal(created.Metadata.ResourceVersion, events.Current.ResourceVersion);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(WatchEventType.Modified, events.Current.Type);
        Assert.Equal(4, events.Current.Object!.Spec!.Size);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(WatchEventType.Deleted, events.Current.Type);
        Assert.Equal("w", events.Current.Object!.Metadata.Name);
        Assert.Equal(env.Server.Store.Revision.ToString(CultureInfo.InvariantCulture), events.Current.ResourceVersion);

        var watch = Assert.Single(env.Server.Requests, r => r.Verb == "watch");
        Assert.Equal("true", watch.QueryValue("allowWatchBookmarks"));
        Assert.Equal(before.Metadata.ResourceVersion, watch.QueryValue("resourceVersion"));
    }

    [Fact]
    public async Task Watch_WithoutResourceVersion_StartsWithSyntheticAddedEvents()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var json = TestJsonContext.Default.Widget;
        await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("a"), json);
        await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("b"), json);

        using var cts = new CancellationTokenSource(Eventually.Limit);
        await using var events = env.Client.WatchAsync(
            TestResources.Widgets,
            "default",
            json,
            new WatchOptions(),
            cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(("a", WatchEventType.Added), (events.Current.Object!.Metadata.Name, events.Current.Type));
        Assert.True(await events.MoveNextAsync());
        Assert.Equal(("b", WatchEventType.Added), (events.Current.Object!.Metadata.Name, events.Current.Type));
    }

    [Fact]
    public async Task Watch_WithBookmarks_ReceivesBookmarkCarryingOnlyTheVersion()
    {
        await using var env = await KubernetesTestServer.StartAsync(
            new FakeKubeApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(100) });
        var json = TestJsonContext.Default.Widget;
        var start = env.Server.Store.Revision.ToString(CultureInfo.InvariantCulture);

        // Changes to another resource move the cluster-wide version; the bookmark tells the watcher it may skip them.
        await env.Client.CreateAsync(
            ResourceType.Secrets,
            new Secret { Metadata = new() { Name = "s", Namespace = "default" } },
            KubernetesJsonContext.Default.Secret);
        var current = env.Server.Store.Revision.ToString(CultureInfo.InvariantCulture);

        using var cts = new CancellationTokenSource(Eventually.Limit);
        await using var events = env.Client.WatchAsync(
            TestResources.Widgets,
            "default",
            json,
            new WatchOptions { ResourceVersion = start },
            cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await events.MoveNextAsync(), string.Join("; ", env.Server.UnhandledErrors));
        Assert.Equal(WatchEventType.Bookmark, events.Current.Type);
        Assert.Null(events.Current.Object);
        Assert.Equal(current, events.Current.ResourceVersion);
    }

    [Fact]
    public async Task Watch_FromCompactedVersion_YieldsErrorEventWith410InTheStream()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var json = TestJsonContext.Default.Widget;
        var old = await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("w"), json);
        await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("x"), json);
        env.Server.CompactHistory();

        var events = new List<WatchEvent<Widget>>();
        await foreach (var e in env.Client.WatchAsync(
            TestResources.Widgets,
            "default",
            json,
            new WatchOptions { ResourceVersion = old.Metadata.ResourceVersion }))
        {
            events.Add(e);
        }

        var error = Assert.Single(events);
        Assert.Equal(WatchEventType.Error, error.Type);
        Assert.Equal(410, error.Status!.Code);
        Assert.Equal("Expired", error.Status.Reason);
        Assert.IsType<GoneException>(ApiErrors.FromStatus(error.Status));
        Assert.Equal(200, Assert.Single(env.Server.Requests, r => r.Verb == "watch").StatusCode);
    }

    [Fact]
    public async Task Watch_ServerError_IsNotRetriedByTheClient()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Faults.Add(FaultRule.Error("watch", 500, times: 1));
        var error = await Assert.ThrowsAsync<ServerErrorException>(async () =>
        {
            await foreach (var unused in env.Client.WatchAsync(TestResources.Widgets, "default", TestJsonContext.Default.Widget))
            {
            }
        });
        Assert.Equal(HttpStatusCode.InternalServerError, error.Code);
        Assert.Equal(1, env.Server.CountRequests("watch"));
    }

    [Fact]
    public async Task Watch_DroppedMidStream_EndsWithAnException()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var json = TestJsonContext.Default.Widget;
        env.Server.Faults.Add(FaultRule.DropWatch(afterEvents: 1));
        await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("a"), json);
        await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("b"), json);

        var seen = new List<string>();
        var failure = await Record.ExceptionAsync(async () =>
        {
            await foreach (var e in env.Client.WatchAsync(TestResources.Widgets, "default", json))
            {
                seen.Add(e.Object!.Metadata.Name!);
            }
        });
        Assert.Equal(["a"], seen);
        Assert.True(failure is IOException or HttpRequestException, failure?.GetType().Name ?? "no exception");
    }
}
