using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Http;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Testing.Kubernetes;

namespace SequenceOperator.Tests.Kubernetes;

/// <summary>The double's own faithfulness to kube-apiserver behaviour the client and the operator rely on.</summary>
public sealed class ApiServerDoubleTests
{
    private static readonly ApiResourceDefinition Widgets = TestResources.WidgetDefinition;

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void MergePatch_FollowsRfc7386Examples(string target, string patch, string expected) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), Patches.MergePatch(JsonNode.Parse(target), JsonNode.Parse(patch))));

    [Fact]
    public void JsonPatch_SupportsRfc6902Operations()
    {
        var result = Patches.JsonPatch(Obj("""{"foo":["bar","baz"],"x":{"y":1}}"""), JsonNode.Parse("""
            [
              {"op":"add","path":"/foo/1","value":"qux"},
              {"op":"add","path":"/foo/-","value":"end"},
              {"op":"move","from":"/x/y","path":"/moved"},
              {"op":"copy","from":"/moved","path":"/copied"},
              {"op":"test","path":"/foo/0","value":"bar"},
              {"op":"replace","path":"/x","value":{"a~b/c":2}},
              {"op":"remove","path":"/x/a~0b~1c"}
            ]
            """));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"foo":["bar","qux","baz","end"],"x":{},"moved":1,"copied":1}"""), result));

        var missing = Assert.Throws<ApiErrorException>(
            () => Patches.JsonPatch(Obj("{}"), JsonNode.Parse("""[{"op":"remove","path":"/nope"}]""")));
        Assert.Equal(422, missing.Code);
        var malformed = Assert.Throws<ApiErrorException>(() => Patches.JsonPatch(Obj("{}"), JsonNode.Parse("""{"op":"remove"}""")));
        Assert.Equal(400, malformed.Code);
    }

    [Fact]
    public async Task List_BuiltInItemsOmitTypeMeta_CustomResourceItemsKeepIt_AndUnknownPathsAnswer404Status()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Store.Create(ApiResourceDefinition.Secrets, "a", Obj("""{"metadata":{"name":"s"}}"""));
        env.Server.Store.Create(Widgets, "a", Obj("""{"metadata":{"name":"w"}}"""));
        using var http = KubernetesHttpClientFactory.Create(env.Configuration, KubernetesTestServer.FastOptions());

        var secrets = JsonNode.Parse(await http.GetStringAsync(new Uri(env.Server.BaseAddress, "/api/v1/namespaces/a/secrets")))!;
        Assert.Equal("SecretList", secrets["kind"]!.GetValue<string>());
        Assert.Null(secrets["items"]![0]!["kind"]);
        var widgets = JsonNode.Parse(await http.GetStringAsync(new Uri(env.Server.BaseAddress, "/apis/example.com/v1/widgets")))!;
        Assert.Equal("Widget", widgets["items"]![0]!["kind"]!.GetValue<string>());

        using var unknown = await http.GetAsync(new Uri(env.Server.BaseAddress, "/apis/example.com/v1/gadgets"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var status = JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!;
        Assert.Equal("Status", status["kind"]!.GetValue<string>());
        Assert.Equal(404, status["code"]!.GetValue<int>());

        // A namespaced resource has no cluster-scoped item path.
        using var wrongScope = await http.GetAsync(new Uri(env.Server.BaseAddress, "/apis/example.com/v1/widgets/w"));
        Assert.Equal(HttpStatusCode.NotFound, wrongScope.StatusCode);
    }

    [Fact]
    public async Task List_LabelAndFieldSelectors_Filter()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Store.Create(Widgets, "a", Obj("""{"metadata":{"name":"one","labels":{"app":"x"}}}"""));
        env.Server.Store.Create(Widgets, "a", Obj("""{"metadata":{"name":"two","labels":{"app":"y","legacy":"true"}}}"""));
        env.Server.Store.Create(Widgets, "a", Obj("""{"metadata":{"name":"three","labels":{"app":"z"}}}"""));
        using var http = KubernetesHttpClientFactory.Create(env.Configuration, KubernetesTestServer.FastOptions());

        async Task<string[]> Names(string query) =>
            JsonNode.Parse(await http.GetStringAsync(new Uri(
                env.Server.BaseAddress,
                "/apis/example.com/v1/namespaces/a/widgets?" + query)))!["items"]!
                .AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToArray();

        Assert.Equal(["one"], await Names("labelSelector=" + Uri.EscapeDataString("app in (x,y),!legacy")));
        Assert.Equal(["three", "two"], await Names("labelSelector=" + Uri.EscapeDataString("app!=x")));
        Assert.Equal(["two"], await Names("fieldSelector=" + Uri.EscapeDataString("metadata.name=two")));
    }

    [Fact]
    public async Task List_ExactVersion_ServesThePastUntilCompacted()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var store = env.Server.Store;
        store.Create(Widgets, "a", Obj("""{"metadata":{"name":"w"},"spec":{"size":1}}"""));
        var before = store.Revision.ToString(CultureInfo.InvariantCulture);
        store.Patch(Widgets, "a", "w", "application/merge-patch+json", """{"spec":{"size":2}}""");
        store.Create(Widgets, "a", Obj("""{"metadata":{"name":"v"}}"""));
        using var http = KubernetesHttpClientFactory.Create(env.Configuration, KubernetesTestServer.FastOptions());
        var url = new Uri(
            env.Server.BaseAddress,
            $"/apis/example.com/v1/namespaces/a/widgets?resourceVersion={before}&resourceVersionMatch=Exact");

        var past = JsonNode.Parse(await http.GetStringAsync(url))!;
        Assert.Equal(before, past["metadata"]!["resourceVersion"]!.GetValue<string>());
        var item = Assert.Single(past["items"]!.AsArray());
        Assert.Equal(1, item!["spec"]!["size"]!.GetValue<int>());

        env.Server.CompactHistory();
        using var gone = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
        Assert.Equal("Expired", JsonNode.Parse(await gone.Content.ReadAsStringAsync())!["reason"]!.GetValue<string>());
    }

    [Fact]
    public void Update_ThatChangesNothing_KeepsTheResourceVersion()
    {
        var store = new ObjectStore();
        var created = store.Create(Widgets, "a", Obj("""{"metadata":{"name":"w"},"spec":{"size":1}}"""));
        var same = store.Update(Widgets, "a", "w", created);
        Assert.Equal(created["metadata"]!["resourceVersion"]!.GetValue<string>(), same["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(created["metadata"]!["resourceVersion"]!.GetValue<string>(), store.Revision.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void HistoryWindow_TrimsOldVersions()
    {
        var store = new ObjectStore(historyLimit: 2);
        var first = store.Revision;
        for (var i = 0; i < 4; i++)
        {
            store.Create(Widgets, "a", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "w" + i } });
        }

        Assert.True(store.CompactedRevision > first);
        Assert.Equal(store.Revision - 2, store.CompactedRevision);
    }

    [Fact]
    public void Event_WithASevenDigitTimestamp_IsRejectedAsTheRealServerWould()
    {
        var store = new ObjectStore();
        var error = Assert.Throws<ApiErrorException>(() => store.Create(ApiResourceDefinition.Events, "a", Obj("""
            {"metadata":{"name":"e"},"eventTime":"2024-01-01T00:00:00.1234567+00:00","reportingController":"c","reportingInstance":"i",
             "action":"A","reason":"R","type":"Normal","regarding":{"name":"x"}}
            """)));
        Assert.Equal(422, error.Code);
        Assert.Contains("eventTime", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secret_InvalidBase64_IsABadRequest()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        using var http = KubernetesHttpClientFactory.Create(env.Configuration, KubernetesTestServer.FastOptions());
        using var content = new StringContent(
            """{"metadata":{"name":"s"},"data":{"k":"not base64!"}}""",
            Encoding.UTF8,
            "application/json");
        using var response = await http.PostAsync(new Uri(env.Server.BaseAddress, "/api/v1/namespaces/a/secrets"), content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task StatusSubresource_OfAResourceWithoutOne_Is404()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var json = KubernetesJsonContext.Default.Lease;
        await env.Client.CreateAsync(ResourceType.Leases, new Lease { Metadata = new ObjectMeta { Name = "l", Namespace = "n" } }, json);
        await Assert.ThrowsAsync<NotFoundException>(
            () => env.Client.PatchStatusAsync(ResourceType.Leases, "n", "l", KubernetesPatch.Merge(new JsonObject()), json));
    }
}
