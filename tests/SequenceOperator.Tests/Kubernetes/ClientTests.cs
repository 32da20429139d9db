using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Testing.Kubernetes;

namespace SequenceOperator.Tests.Kubernetes;

public sealed class ClientTests
{
    private static readonly KubernetesJsonContext Json = KubernetesJsonContext.Default;

    [Fact]
    public async Task Secret_CreateGetReplaceDelete_RoundTripsBytesAndVersions()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var created = await env.Client.CreateAsync(ResourceType.Secrets, new Secret
        {
            Metadata = new ObjectMeta { Name = "db", Namespace = "apps" },
            Data = new Dictionary<string, byte[]> { ["password"] = [0, 1, 2, 255] },
            StringData = new Dictionary<string, string> { ["user"] = "app" },
        }, Json.Secret);

        Assert.NotNull(created.Metadata.Uid);
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.Equal(new byte[] { 0, 1, 2, 255 }, created.Data!["password"]);
        Assert.Equal("app"u8.ToArray(), created.Data["user"]);
        Assert.Null(created.StringData);

        var fetched = await env.Client.GetAsync(ResourceType.Secrets, "apps", "db", Json.Secret);
        Assert.Equal(created.Metadata.ResourceVersion, fetched.Metadata.ResourceVersion);

        var replaced = await env.Client.ReplaceAsync(ResourceType.Secrets, fetched with
        {
            Data = new Dictionary<string, byte[]> { ["password"] = "new"u8.ToArray() },
        }, Json.Secret);
        Assert.NotEqual(fetched.Metadata.ResourceVersion, replaced.Metadata.ResourceVersion);
        Assert.Equal("new"u8.ToArray(), replaced.Data!["password"]);

        await env.Client.DeleteAsync(ResourceType.Secrets, "apps", "db");
        Assert.Null(await env.Client.TryGetAsync(ResourceType.Secrets, "apps", "db", Json.Secret));
    }

    [Fact]
    public async Task Get_Missing_ThrowsNotFoundWithStatus()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var error = await Assert.ThrowsAsync<NotFoundException>(() => env.Client.GetAsync(ResourceType.Leases, "ns", "nope", Json.Lease));
        Assert.Equal(HttpStatusCode.NotFound, error.Code);
        Assert.Equal("NotFound", error.Reason);
        Assert.Equal("leases.coordination.k8s.io \"nope\" not found", error.Status.Message);
        Assert.Equal("leases", error.Status.Details?.Kind);
    }

    [Fact]
    public async Task Create_ExistingName_ThrowsAlreadyExists()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("w"), TestJsonContext.Default.Widget);
        var error = await Assert.ThrowsAsync<AlreadyExistsException>(
            () => env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("w"), TestJsonContext.Default.Widget));
        Assert.Equal(HttpStatusCode.Conflict, error.Code);
        Assert.Equal(1, env.Server.CountRequests("create", "widgets") - 1);
    }

    [Fact]
    public async Task Replace_StaleResourceVersion_ThrowsConflict()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var created = await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("w"), TestJsonContext.Default.Widget);
        await env.Client.ReplaceAsync(
            TestResources.Widgets,
            created with { Spec = new WidgetSpec { Size = 2 } },
            TestJsonContext.Default.Widget);

        var error = await Assert.ThrowsAsync<ConflictException>(
            () => env.Client.ReplaceAsync(
                TestResources.Widgets,
                created with { Spec = new WidgetSpec { Size = 3 } },
                TestJsonContext.Default.Widget));
        Assert.Equal("Conflict", error.Reason);
        Assert.Contains("the object has been modified", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, env.Server.CountRequests("update", "widgets") - 1);
    }

    [Fact]
    public async Task CustomResource_SpecChangeBumpsGeneration_StatusChangeDoesNot()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var widgets = TestResources.Widgets;
        var json = TestJsonContext.Default.Widget;
        var created = await env.Client.CreateAsync(
            widgets,
            TestResources.NewWidget("w") with { Status = new WidgetStatus { Phase = "Ignored" } },
            json);
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Null(created.Status);

        // The main endpoint ignores status; a label change is not a spec change.
        var labelled = await env.Client.ReplaceAsync(widgets, created with
        {
            Metadata = created.Metadata with { Labels = new Dictionary<string, string> { ["a"] = "b" } },
            Status = new WidgetStatus { Phase = "AlsoIgnored" },
        }, json);
        Assert.Equal(1, labelled.Metadata.Generation);
        Assert.Null(labelled.Status);
        Assert.Equal("b", labelled.Metadata.Labels!["a"]);

        // The status endpoint takes only the status.
        var withStatus = await env.Client.ReplaceStatusAsync(widgets, labelled with
        {
            Spec = new WidgetSpec { Size = 99 },
            Status = new WidgetStatus { Phase = "Ready", ObservedGeneration = 1 },
        }, json);
        Assert.Equal("Ready", withStatus.Status!.Phase);
        Assert.Equal(1, withStatus.Spec!.Size);
        Assert.Equal(1, withStatus.Metadata.Generation);

        var resized = await env.Client.PatchAsync(
            widgets,
            "default",
            "w",
            KubernetesPatch.Merge(new JsonObject { ["spec"] = new JsonObject { ["size"] = 5 } }),
            json);
        Assert.Equal(2, resized.Metadata.Generation);
        Assert.Equal("Ready", resized.Status!.Phase);

        var patchedStatus = await env.Client.PatchStatusAsync(widgets, "default", "w", KubernetesPatch.Merge(new JsonObject
        {
            ["spec"] = new JsonObject { ["size"] = 7 },
            ["status"] = new JsonObject { ["observedGeneration"] = 2 },
        }), json);
        Assert.Equal(5, patchedStatus.Spec!.Size);
        Assert.Equal(2, patchedStatus.Status!.ObservedGeneration);
        Assert.Equal("Ready", patchedStatus.Status.Phase);
        Assert.Equal(2, patchedStatus.Metadata.Generation);
    }

    [Fact]
    public async Task JsonPatch_TestOperationGuardsTheChange()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var json = TestJsonContext.Default.Widget;
        await env.Client.CreateAsync(
            TestResources.Widgets,
            TestResources.NewWidget("w", size: 1) with { Spec = new WidgetSpec { Size = 1, Color = "red" } },
            json);

        var patched = await env.Client.PatchAsync(TestResources.Widgets, "default", "w", KubernetesPatch.Json(
            JsonPatchOperation.Test("/spec/size", 1),
            JsonPatchOperation.Replace("/spec/size", 2),
            JsonPatchOperation.Remove("/spec/color"),
            JsonPatchOperation.Add("/metadata/labels", new JsonObject { ["x/y"] = "z" })), json);
        Assert.Equal(2, patched.Spec!.Size);
        Assert.Null(patched.Spec.Color);
        Assert.Equal("z", patched.Metadata.Labels!["x/y"]);

        var error = await Assert.ThrowsAsync<InvalidException>(() => env.Client.PatchAsync(
            TestResources.Widgets,
            "default",
            "w",
            KubernetesPatch.Json(
                JsonPatchOperation.Test("/spec/size", 1),
                JsonPatchOperation.Replace("/spec/size", 3)),
            json));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Code);
        Assert.Equal(2, (await env.Client.GetAsync(TestResources.Widgets, "default", "w", json)).Spec!.Size);
    }

    [Fact]
    public async Task MergePatch_WithStaleResourceVersion_ThrowsConflict()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var json = TestJsonContext.Default.Widget;
        var created = await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("w"), json);
        await env.Client.PatchAsync(
            TestResources.Widgets,
            "default",
            "w",
            KubernetesPatch.Merge(new JsonObject { ["spec"] = new JsonObject { ["size"] = 2 } }),
            json);

        await Assert.ThrowsAsync<ConflictException>(() => env.Client.PatchAsync(
            TestResources.Widgets,
            "default",
            "w",
            KubernetesPatch.Merge(new JsonObject
            {
                ["metadata"] = new JsonObject { ["resourceVersion"] = created.Metadata.ResourceVersion },
                ["spec"] = new JsonObject { ["size"] = 3 },
            }),
            json));
    }

    [Fact]
    public async Task List_FollowsContinuePages_AndReturnsListVersion()
    {
        await using var env = await KubernetesTestServer.StartAsync(clientOptions: KubernetesTestServer.FastOptions());
        for (var i = 0; i < 7; i++)
        {
            await env.Client.CreateAsync(
                TestResources.Widgets,
                TestResources.NewWidget($"w{i}", ns: i % 2 == 0 ? "a" : "b"),
                TestJsonContext.Default.Widget);
        }

        env.Server.ClearRequests();
        var all = await env.Client.ListAsync(TestResources.Widgets, null, TestJsonContext.Default.Widget, new ListOptions { PageSize = 2 });
        Assert.Equal(7, all.Items.Count);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"w{i}").Order(), all.Items.Select(w => w.Metadata.Name!).Order());
        Assert.Equal(env.Server.Store.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture), all.ResourceVersion);
        var lists = env.Server.Requests.Where(r => r.Verb == "list").ToList();
        Assert.Equal(4, lists.Count);
        Assert.Null(lists[0].QueryValue("continue"));
        Assert.All(lists.Skip(1), r => Assert.NotNull(r.QueryValue("continue")));

        var inA = await env.Client.ListAsync(TestResources.Widgets, "a", TestJsonContext.Default.Widget, new ListOptions { PageSize = 3 });
        Assert.Equal(4, inA.Items.Count);
        Assert.All(inA.Items, w => Assert.Equal("a", w.Metadata.Namespace));
    }

    [Fact]
    public async Task List_PagesAreAConsistentSnapshot_EvenWhenObjectsChangeBetweenPages()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var json = TestJsonContext.Default.Widget;
        for (var i = 0; i < 4; i++)
        {
            await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget($"w{i}"), json);
        }

        // Another client deletes w3 and adds w4 after the first page was served: the pages still show the first page's state.
        var changed = false;
        env.Server.Faults.Add(new FaultRule
        {
            Match = r =>
            {
                if (r.Verb == "list" && r.QueryValue("continue") is not null && !changed)
                {
                    changed = true;
                    env.Server.Store.Delete(TestResources.WidgetDefinition, "default", "w3");
                    env.Server.Store.Create(
                        TestResources.WidgetDefinition,
                        "default",
                        new JsonObject { ["metadata"] = new JsonObject { ["name"] = "w4" } });
                }

                return false;
            },
        });

        var result = await env.Client.ListAsync(TestResources.Widgets, "default", json, new ListOptions { PageSize = 2 });
        Assert.True(changed);
        Assert.Equal(["w0", "w1", "w2", "w3"], result.Items.Select(w => w.Metadata.Name!));
        Assert.Equal(2, env.Server.CountRequests("list"));
    }

    [Fact]
    public async Task List_ExpiredContinueToken_FallsBackToFullList()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var json = TestJsonContext.Default.Widget;
        for (var i = 0; i < 5; i++)
        {
            await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget($"w{i}"), json);
        }

        // Compact between the first page and the second, as etcd compaction would.
        env.Server.Faults.Add(new FaultRule
        {
            Match = r =>
            {
                if (r.Verb == "list" && r.QueryValue("continue") is not null)
                {
                    env.Server.Store.Create(
                        TestResources.WidgetDefinition,
                        "default",
                        new JsonObject { ["metadata"] = new JsonObject { ["name"] = "late" } });
                    env.Server.CompactHistory();
                }

                return false;
            },
        });

        var result = await env.Client.ListAsync(TestResources.Widgets, "default", json, new ListOptions { PageSize = 2 });
        Assert.Equal(6, result.Items.Count);
        Assert.Equal(6, result.Items.Select(i => i.Metadata.Name).Distinct().Count());
        var lists = env.Server.Requests.Where(r => r.Verb == "list").ToList();
        Assert.Equal(410, lists[1].StatusCode);
        Assert.Null(lists[^1].QueryValue("limit"));
        Assert.Null(lists[^1].QueryValue("continue"));
    }

    [Fact]
    public async Task ClusterScopedResource_UsesClusterPaths()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var json = TestJsonContext.Default.Widget;
        var created = await env.Client.CreateAsync(
            TestResources.ClusterWidgets,
            TestResources.NewWidget("global", ns: null) with { Kind = "ClusterWidget" },
            json);
        Assert.Null(created.Metadata.Namespace);
        var fetched = await env.Client.GetAsync(TestResources.ClusterWidgets, null, "global", json);
        Assert.Equal(created.Metadata.Uid, fetched.Metadata.Uid);
        Assert.Contains(env.Server.Requests, r => r.Path == "/apis/example.com/v1/clusterwidgets/global" && r.Verb == "get");
        Assert.Single((await env.Client.ListAsync(TestResources.ClusterWidgets, null, json)).Items);
    }

    [Fact]
    public async Task Delete_WithFinalizer_MarksThenRemovesWhenFinalizerCleared()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var json = TestJsonContext.Default.Widget;
        var created = await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("w") with
        {
            Metadata = new ObjectMeta { Name = "w", Namespace = "default", Finalizers = ["example.com/cleanup"] },
        }, json);

        await env.Client.DeleteAsync(TestResources.Widgets, "default", "w", new DeleteOptions { Uid = created.Metadata.Uid });
        var marked = await env.Client.GetAsync(TestResources.Widgets, "default", "w", json);
        Assert.NotNull(marked.Metadata.DeletionTimestamp);

        await env.Client.PatchAsync(
            TestResources.Widgets,
            "default",
            "w",
            KubernetesPatch.Merge(new JsonObject { ["metadata"] = new JsonObject { ["finalizers"] = null } }),
            json);
        Assert.Null(await env.Client.TryGetAsync(TestResources.Widgets, "default", "w", json));
    }

    [Fact]
    public async Task Delete_WithStalePrecondition_ThrowsConflict()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var json = TestJsonContext.Default.Widget;
        var created = await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("w"), json);
        await env.Client.PatchAsync(
            TestResources.Widgets,
            "default",
            "w",
            KubernetesPatch.Merge(new JsonObject { ["spec"] = new JsonObject { ["size"] = 9 } }),
            json);
        await Assert.ThrowsAsync<ConflictException>(
            () => env.Client.DeleteAsync(
                TestResources.Widgets,
                "default",
                "w",
                new DeleteOptions { ResourceVersion = created.Metadata.ResourceVersion }));
        Assert.NotNull(await env.Client.TryGetAsync(TestResources.Widgets, "default", "w", json));
    }

    [Fact]
    public async Task Lease_UpdateWithoutResourceVersion_IsInvalid()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var lease = new Lease { Metadata = new ObjectMeta { Name = "l", Namespace = "ns" }, Spec = new LeaseSpec { HolderIdentity = "a" } };
        var created = await env.Client.CreateAsync(ResourceType.Leases, lease, Json.Lease);
        var error = await Assert.ThrowsAsync<InvalidException>(
            () => env.Client.ReplaceAsync(
                ResourceType.Leases,
                created with { Metadata = created.Metadata with { ResourceVersion = null } },
                Json.Lease));
        Assert.Equal("metadata.resourceVersion", error.Status.Details?.Causes?[0].Field);
    }

    [Fact]
    public async Task Requests_CarryUserAgentWithVersion()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        await env.Client.TryGetAsync(ResourceType.Secrets, "ns", "x", Json.Secret);
        var request = Assert.Single(env.Server.Requests);
        Assert.Matches(@"^sequence-operator/\d+\.\d+\.\d+", request.UserAgent);
        Assert.Equal("Bearer " + KubernetesTestServer.Token, request.Authorization);
    }

    [Fact]
    public async Task Forbidden_ThrowsForbiddenWithRbacMessage()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Security.Forbid((r, user) => r.Resource?.Plural == "secrets" && r.Verb == "list");
        var error = await Assert.ThrowsAsync<ForbiddenException>(() => env.Client.ListAsync(ResourceType.Secrets, "ns", Json.Secret));
        Assert.Contains("User \"operator\" cannot list resource \"secrets\"", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, env.Server.CountRequests("list"));
    }

    [Fact]
    public async Task UnknownToken_ThrowsUnauthorized_WithoutLeakingTheToken()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        using var client = KubernetesClient.Create(
            env.Configuration with { Credentials = new() { Token = "wrong-secret-token" } },
            KubernetesTestServer.FastOptions());
        var error = await Assert.ThrowsAsync<UnauthorizedException>(() => client.GetAsync(ResourceType.Secrets, "ns", "x", Json.Secret));
        Assert.Equal(HttpStatusCode.Unauthorized, error.Code);
        Assert.DoesNotContain("wrong-secret-token", error.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, env.Server.CountRequests("get"));
    }

    [Fact]
    public async Task NonStatusErrorBody_BecomesTypedErrorWithoutEchoingTheBody()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var status = await ApiErrors.FromResponseAsync(new HttpResponseMessage(HttpStatusCode.BadGateway)
        {
            Content = new StringContent("<html>proxy secret page</html>", Encoding.UTF8, "text/html"),
            ReasonPhrase = "Bad Gateway",
        }, CancellationToken.None);
        Assert.IsType<ServerErrorException>(status);
        Assert.DoesNotContain("secret", status.Message, StringComparison.Ordinal);
        Assert.Equal(502, status.Status.Code);
    }
}

public sealed class ErrorTypeTests
{
    [Fact]
    public async Task List_CompactedExactVersion_ThrowsGone_AndBadSelector_ThrowsBadRequest()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var json = TestJsonContext.Default.Widget;
        var created = await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("w"), json);
        await env.Client.CreateAsync(TestResources.Widgets, TestResources.NewWidget("x"), json);

        var past = await env.Client.ListAsync(TestResources.Widgets, "default", json,
            new ListOptions { ResourceVersion = created.Metadata.ResourceVersion, ResourceVersionMatch = "Exact" });
        Assert.Equal(["w"], past.Items.Select(w => w.Metadata.Name));

        env.Server.CompactHistory();
        var gone = await Assert.ThrowsAsync<GoneException>(() => env.Client.ListAsync(TestResources.Widgets, "default", json,
            new ListOptions { ResourceVersion = created.Metadata.ResourceVersion, ResourceVersionMatch = "Exact" }));
        Assert.Equal("Expired", gone.Reason);

        var bad = await Assert.ThrowsAsync<BadRequestException>(() => env.Client.ListAsync(TestResources.Widgets, "default", json,
            new ListOptions { FieldSelector = "spec.size=1" }));
        Assert.Contains("field label not supported", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainHttpServer_WithoutAuthentication_Works()
    {
        await using var server = await FakeKubeApiServer.StartAsync(new FakeKubeApiServerOptions { Https = false });
        Assert.Equal("http", server.BaseAddress.Scheme);
        using var client = KubernetesClient.Create(
            new SequenceOperator.Kubernetes.Configuration.KubernetesClientConfiguration { Server = server.BaseAddress });
        var lease = await client.CreateAsync(
            ResourceType.Leases,
            new Lease { Metadata = new ObjectMeta { Name = "l", Namespace = "n" } },
            KubernetesJsonContext.Default.Lease);
        Assert.Equal("l", lease.Metadata.Name);
        Assert.Null(server.Requests[0].Authorization);
    }
}
