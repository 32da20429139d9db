using System.Globalization;
using System.Runtime.CompilerServices;
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

    // A heartbeat of zero writes every repeat at once: the tests that pin how a series is written use it.
    private static readonly TimeSpan EveryRepeat = TimeSpan.Zero;

    private static EventRecorder NewRecorder(
        KubernetesTestServer env, TimeProvider? time = null, TimeSpan? heartbeat = null, int? maxTrackedSeries = null) =>
        new(env.Client, new EventRecorderOptions
        {
            ReportingController = "sequence-operator",
            ReportingInstance = "pod-1",
            SeriesHeartbeat = heartbeat ?? EventRecorderOptions.DefaultSeriesHeartbeat,
            MaxTrackedSeries = maxTrackedSeries ?? new EventRecorderOptions().MaxTrackedSeries,
        }, timeProvider: time);

    private static IReadOnlyList<JsonObject> StoredEvents(KubernetesTestServer env, string ns = "shop") =>
        env.Server.Store.All(ApiResourceDefinition.Events, ns);

    [Fact]
    public async Task Record_Repeated_PatchesTheSeriesInsteadOfCreatingEvents()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        using var recorder = NewRecorder(env, heartbeat: EveryRepeat);
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
    public async Task Record_RepeatsWithinTheHeartbeat_AreCountedInMemory_NotWrittenEachTime()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        using var recorder = NewRecorder(env);
        for (var i = 0; i < 5; i++)
        {
            await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "orders_id_seq is 12 behind", "Check");
        }

        Assert.Null(Assert.Single(StoredEvents(env))["series"]);
        Assert.Equal(1, env.Server.CountRequests("create", "events"));
        Assert.Equal(0, env.Server.CountRequests("patch", "events"));
    }

    [Fact]
    public async Task Record_ConcurrentRepeatsAndOtherSeries_EachSeriesIsOneEventWithTheFullCount()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        using var recorder = NewRecorder(env, heartbeat: EveryRepeat);
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
    public async Task Record_NotesDifferingOnlyInTheirLastCharacter_OrFieldsSplitDifferently_AreSeparateSeries()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        using var recorder = NewRecorder(env, heartbeat: EveryRepeat);
        var note = new string('n', 900);
        for (var i = 0; i < 2; i++)
        {
            await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", note + "1", "Check");
            await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", note + "2", "Check");
            // The same characters, split between reason and action differently.
            await recorder.RecordAsync(Regarding, EventType.Warning, "Sequence", "12 behind", "BehindCheck");
            await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "12 behind", "Check");
        }

        var stored = StoredEvents(env);
        Assert.Equal(4, stored.Count);
        Assert.All(stored, e => Assert.Equal(2, e["series"]!["count"]!.GetValue<int>()));
        Assert.Equal(4, env.Server.CountRequests("create", "events"));
    }

    [Fact]
    public async Task Record_LongNotesThatDifferOnlyPastTheLimit_AreOneSeries()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        using var recorder = NewRecorder(env, heartbeat: EveryRepeat);
        var note = new string('x', 2000);
        await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", note + "1", "Check");
        await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", note + "2", "Check");

        var stored = Assert.Single(StoredEvents(env));
        Assert.Equal(2, stored["series"]!["count"]!.GetValue<int>());
        Assert.Equal(1024, System.Text.Encoding.UTF8.GetByteCount(stored["note"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Record_BeyondMaxTrackedSeries_ForgetsTheLongestUnobserved_WhoseNextOccurrenceIsANewEvent()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        using var recorder = NewRecorder(env, clock, maxTrackedSeries: 8);
        for (var i = 0; i < 20; i++)
        {
            await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", $"sequence {i} is behind", "Check");
            clock.Advance(TimeSpan.FromSeconds(1));
            Assert.InRange(recorder.TrackedSeries, 1, 8);
        }

        // The latest series is remembered: its repeat is counted. The first was forgotten: its repeat is a new Event.
        await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "sequence 19 is behind", "Check");
        Assert.Equal(20, env.Server.CountRequests("create", "events"));
        await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "sequence 0 is behind", "Check");
        Assert.Equal(21, env.Server.CountRequests("create", "events"));
        Assert.Equal(2, StoredEvents(env).Count(e => e["note"]!.GetValue<string>() == "sequence 0 is behind"));
        Assert.InRange(recorder.TrackedSeries, 1, 8);
    }

    [Fact]
    public async Task Heartbeat_WritesTheSeriesToTheEventItCreated_KeepingNoCopyOfTheNote()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        using var recorder = NewRecorder(env, clock);
        var notes = new List<WeakReference>();
        for (var i = 0; i < 3; i++)
        {
            var (recorded, note) = RecordFreshNote(recorder);
            await recorded;
            notes.Add(note);
            clock.Advance(TimeSpan.FromSeconds(30));
        }

        // Only the series' hash identifies it: once recorded, the caller's notes can be collected.
        for (var attempt = 0; attempt < 100 && notes.Any(n => n.IsAlive); attempt++)
        {
            GC.Collect();
            await Task.Delay(10);
        }

        Assert.All(notes, n => Assert.False(n.IsAlive));
        clock.Advance(TimeSpan.FromMinutes(30));
        await recorder.SweepAsync(CancellationToken.None);

        var stored = Assert.Single(StoredEvents(env));
        var name = stored["metadata"]!["name"]!.GetValue<string>();
        Assert.Matches("^orders\\.[0-9a-f]+$", name);
        Assert.Equal(3, stored["series"]!["count"]!.GetValue<int>());
        var patch = Assert.Single(env.Server.Requests, r => r.Verb == "patch");
        Assert.Equal(("shop", name), (patch.Info.Namespace, patch.Info.Name));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Task Recorded, WeakReference Note) RecordFreshNote(EventRecorder recorder)
    {
        var note = string.Create(CultureInfo.InvariantCulture, $"orders_id_seq is {12} behind");
        return (recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", note, "Check"), new WeakReference(note));
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
        using var recorder = NewRecorder(env, heartbeat: EveryRepeat);
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
    [Fact]
    public async Task ASeriesThatEnds_GetsItsFinalCountAndLastSeenTimeWrittenOnce_AndTheNextOccurrenceIsANewEvent()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        using var recorder = NewRecorder(env, clock);
        for (var i = 0; i < 5; i++)
        {
            await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "12 behind", "Check");
            clock.Advance(TimeSpan.FromSeconds(30));
        }

        var lastSeen = clock.GetUtcNow() - TimeSpan.FromSeconds(30);
        await recorder.SweepAsync(CancellationToken.None);
        Assert.Equal(0, env.Server.CountRequests("patch", "events")); // the heartbeat has not come yet

        clock.Advance(TimeSpan.FromMinutes(30)); // past the aggregation window: the series has ended
        await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "12 behind", "Check");
        await recorder.SweepAsync(CancellationToken.None);

        // Its final count and last-seen time are written once, and the occurrence after it starts a new Event.
        var first = Assert.Single(StoredEvents(env), e => e["series"] is not null);
        Assert.Equal(5, first["series"]!["count"]!.GetValue<int>());
        Assert.Equal(MicroTimeJsonConverter.ToMicroTime(lastSeen), first["series"]!["lastObservedTime"]!.GetValue<string>());
        Assert.Equal(2, StoredEvents(env).Count);
        Assert.Equal(1, env.Server.CountRequests("patch", "events"));
    }

    [Fact]
    public async Task Heartbeat_OfASeriesStillObserved_CatchesTheCountUp()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        using var recorder = NewRecorder(env, clock, heartbeat: TimeSpan.FromMinutes(30));
        for (var i = 0; i < 70; i++) // every 30 s for 35 minutes
        {
            await recorder.RecordAsync(Regarding, EventType.Warning, "SequenceBehind", "12 behind", "Check");
            clock.Advance(TimeSpan.FromSeconds(30));
            await recorder.SweepAsync(CancellationToken.None);
        }

        var stored = Assert.Single(StoredEvents(env));
        Assert.Equal(1, env.Server.CountRequests("patch", "events")); // one heartbeat in 35 minutes
        Assert.Equal(60, stored["series"]!["count"]!.GetValue<int>()); // the occurrences up to the heartbeat at 30 minutes
    }

    [Fact]
    public async Task AtScale_SteadyRepeatsCostAtMostTenWritesAMinute_AndEveryEventIsRefreshedBeforeItExpires()
    {
        // 100 policies, each with 5 sequences behind, checked every 30 s, for two simulated hours: 500 series.
        const int Policies = 100;
        const int Sequences = 5;
        await using var env = await KubernetesTestServer.StartAsync();
        var start = DateTimeOffset.UtcNow;
        var clock = new ManualClock(start);
        using var recorder = NewRecorder(env, clock);
        var policies = Enumerable.Range(0, Policies).Select(p => new Widget
        {
            Metadata = new ObjectMeta { Name = $"policy-{p}", Namespace = $"tenant-{p}", Uid = $"uid-{p}" },
        }).ToList();

        var writesPerMinute = new List<int>();
        var writesBefore = 0;
        for (var step = 0; step < 2 * 60 * 12; step++) // 5-second steps
        {
            if (step % 6 == 0)
            {
                foreach (var policy in policies)
                {
                    for (var sequence = 0; sequence < Sequences; sequence++)
                    {
                        await recorder.RecordAsync(
                            policy,
                            EventType.Warning,
                            "SequenceBehind",
                            $"sequence {sequence} is behind by 100",
                            "Check");
                    }
                }
            }

            clock.Advance(TimeSpan.FromSeconds(5));
            await recorder.SweepAsync(CancellationToken.None);
            if (step % 12 == 11)
            {
                var writes = env.Server.Requests.Count(r => r.Info.Resource?.Plural == "events" && r.Verb is "create" or "patch");
                writesPerMinute.Add(writes - writesBefore);
                writesBefore = writes;
            }
        }

        Assert.Equal(Policies * Sequences, writesPerMinute[0]); // the first occurrences
        Assert.All(writesPerMinute.Skip(1).Take(28), w => Assert.Equal(0, w)); // repeats only counted until the heartbeat (30 minutes)
        // The first round of refreshes, all due at once, spread out.
        Assert.All(writesPerMinute.Skip(29).Take(31), w => Assert.InRange(w, 0, 25));
        Assert.All(writesPerMinute.Skip(60), w => Assert.InRange(w, 0, 10)); // steady state
        Assert.InRange(writesPerMinute.Skip(60).Sum(), 60 * 9, 60 * 10); // 500 series, each refreshed about every 50 to 55 minutes

        // Every Event is refreshed before the API server's Event TTL (1 h) would expire it, and shows exactly the
        // occurrences up to its last-seen time.
        var now = clock.GetUtcNow();
        var events = env.Server.Store.All(ApiResourceDefinition.Events);
        Assert.Equal(Policies * Sequences, events.Count);
        foreach (var stored in events)
        {
            var lastSeen = DateTimeOffset.Parse(
                stored["series"]!["lastObservedTime"]!.GetValue<string>(),
                System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(now - lastSeen, TimeSpan.Zero, TimeSpan.FromMinutes(56));
            Assert.Equal(1 + (int)Math.Round((lastSeen - start).TotalSeconds / 30), stored["series"]!["count"]!.GetValue<int>());
        }
    }
}

/// <summary>The MicroTime layout check, as the double applies it.</summary>
internal static class BuiltInValidationProbe
{
    public static bool IsMicroTime(string text) =>
        System.Text.RegularExpressions.Regex.IsMatch(text, @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$");
}
