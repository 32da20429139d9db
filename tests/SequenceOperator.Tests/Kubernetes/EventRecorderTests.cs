using System.Text.Json.Nodes;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes.Events;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Testing.Kubernetes;

namespace SequenceOperator.Tests.Kubernetes;

public sealed class EventRecorderTests
{
    private static readonly Widget Regarding = new()
    {
        Metadata = new ObjectMeta { Name = "orders", Namespace = "shop", Uid = "1111-2222", ResourceVersion = "7" },
    };

    private static EventRecorder NewRecorder(KubernetesTestServer env, TimeProvider? time = null) =>
        new(env.Client, new EventRecorderOptions { ReportingController = "sequence-operator", ReportingInstance = "pod-1" }, timeProvider: time);

    private static IReadOnlyList<JsonObject> StoredEvents(KubernetesTestServer env, string ns = "shop") =>
        env.Server.Store.All(ApiResourceDefinition.Events, ns);

    [Fact]
    public async Task Record_Repeated_PatchesTheSeriesInsteadOfCreatingEvents()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        using var recorder = NewRecorder(env);
        for (var i = 0; i < 3; i++)
        {
            await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "orders_id_seq is 12 behind", "Check");
        }

        var stored = Assert.Single(StoredEvents(env));
        Assert.Equal(3, stored["series"]!["count"]!.GetValue<int>());
        Assert.True(BuiltInValidationProbe.IsMicroTime(stored["series"]!["lastObservedTime"]!.GetValue<string>()));
        Assert.Equal(1, env.Server.CountRequests("create", "events"));
        Assert.Equal(2, env.Server.CountRequests("patch", "events"));
        Assert.All(env.Server.Requests.Where(r => r.Verb == "patch"), r => Assert.Equal("application/merge-patch+json", r.ContentType));
    }

    [Fact]
    public async Task Record_ConcurrentRepeatsAndOtherSeries_EachSeriesIsOneEventWithTheFullCount()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        using var recorder = NewRecorder(env);
        var writers = Enumerable.Range(0, 40).Select(i => recorder.RecordAsync(
            Regarding, EventType.Warning, "SequenceBehind", $"sequence {i % 4} is behind", "Check"));
        await Task.WhenAll(writers);

        var stored = StoredEvents(env);
        Assert.Equal(4, stored.Count);
        Assert.All(stored, e => Assert.Equal(10, e["series"]?["count"]?.GetValue<int>() ?? 1));
        Assert.Equal(4, env.Server.CountRequests("create", "events"));
    }

    [Fact]
    public async Task Record_WritesTheEventsV1Fields()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        using var recorder = NewRecorder(env);
        await recorder.RecordAsync(Regarding, EventType.Normal, "Repaired", "advanced orders_id_seq to 1000", "Repair");

        var stored = Assert.Single(StoredEvents(env));
        Assert.StartsWith("orders.", stored["metadata"]!["name"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Normal", stored["type"]!.GetValue<string>());
        Assert.Equal("Repaired", stored["reason"]!.GetValue<string>());
        Assert.Equal("Repair", stored["action"]!.GetValue<string>());
        Assert.Equal("advanced orders_id_seq to 1000", stored["note"]!.GetValue<string>());
        Assert.Equal("sequence-operator", stored["reportingController"]!.GetValue<string>());
        Assert.Equal("pod-1", stored["reportingInstance"]!.GetValue<string>());
        Assert.Equal("1111-2222", stored["regarding"]!["uid"]!.GetValue<string>());
        Assert.Equal("Widget", stored["regarding"]!["kind"]!.GetValue<string>());
        Assert.Equal("example.com/v1", stored["regarding"]!["apiVersion"]!.GetValue<string>());
        Assert.True(BuiltInValidationProbe.IsMicroTime(stored["eventTime"]!.GetValue<string>()));
        Assert.Null(stored["series"]);
    }

    [Fact]
    public async Task Record_DifferentReasonTypeOrNote_CreatesSeparateEvents()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        using var recorder = NewRecorder(env);
        await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "12 behind", "Check");
        await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "13 behind", "Check");
        await recorder.RecordAsync(Regarding, EventType.Normal, "SequenceBehind", "12 behind", "Check");
        await recorder.RecordAsync(Regarding, EventType.Warning, "CheckFailed", "12 behind", "Check");
        Assert.Equal(4, StoredEvents(env).Count);
        Assert.Equal(0, env.Server.CountRequests("patch"));
    }

    [Fact]
    public async Task Record_AfterTheAggregationWindow_StartsANewEvent()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        using var recorder = NewRecorder(env, time);
        await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "12 behind", "Check");
        time.Advance(TimeSpan.FromMinutes(5));
        await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "12 behind", "Check");
        time.Advance(TimeSpan.FromMinutes(7));
        await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "12 behind", "Check");

        var events = StoredEvents(env);
        Assert.Equal(2, events.Count);
        Assert.Single(events, e => e["series"]?["count"]?.GetValue<int>() == 2);
    }

    [Fact]
    public async Task Record_WhenTheEventWasDeleted_CreatesItAgain()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        using var recorder = NewRecorder(env);
        await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "12 behind", "Check");
        var first = Assert.Single(StoredEvents(env));
        env.Server.Store.Delete(ApiResourceDefinition.Events, "shop", first["metadata"]!["name"]!.GetValue<string>());

        await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "12 behind", "Check");
        var second = Assert.Single(StoredEvents(env));
        Assert.NotEqual(first["metadata"]!["uid"]!.GetValue<string>(), second["metadata"]!["uid"]!.GetValue<string>());
        Assert.Equal(1, env.Server.Requests.Count(r => r.Verb == "patch" && r.StatusCode == 404));
    }

    [Fact]
    public async Task Record_ClusterScopedObject_GoesToTheDefaultNamespace_AndLongNotesAreTruncated()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        using var recorder = NewRecorder(env);
        await recorder.RecordAsync(
            new ObjectReference { ApiVersion = "example.com/v1", Kind = "ClusterWidget", Name = "global" },
            EventType.Warning, "Failed", new string('x', 5000), "Check");
        var stored = Assert.Single(StoredEvents(env, "default"));
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(stored["note"]!.GetValue<string>()) <= 1024);
    }

    [Fact]
    public async Task Record_ApiFailure_IsLoggedNotThrown()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Security.Forbid((r, _) => r.Resource?.Plural == "events");
        using var recorder = NewRecorder(env);
        await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "12 behind", "Check");
        Assert.Equal(403, Assert.Single(env.Server.Requests).StatusCode);
        Assert.Empty(StoredEvents(env));
    }
}

/// <summary>The MicroTime layout check, as the double applies it.</summary>
internal static class BuiltInValidationProbe
{
    public static bool IsMicroTime(string text) =>
        System.Text.RegularExpressions.Regex.IsMatch(text, @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$");
}
