using SequenceOperator.Entities;

namespace SequenceOperator.Tests.Entities;

public sealed class SequenceSyncPolicyStatusTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset T1 = T0.AddMinutes(5);
    private static readonly DateTimeOffset T2 = T0.AddMinutes(10);

    [Fact]
    public void SetCondition_SameStatus_KeepsTransitionTimeButUpdatesReasonAndMessage()
    {
        var status = new SequenceSyncPolicyStatus()
            .WithFailure(SequenceSyncPolicyReasons.ConnectionFailed, "cannot reach cityforge-db:5432", T0)
            .WithFailure(SequenceSyncPolicyReasons.AuthenticationFailed, "password authentication failed for user app", T1);

        var ready = status.GetCondition(SequenceSyncPolicyConditions.Ready)!;
        Assert.Equal(ConditionStatus.False, ready.Status);
        Assert.Equal(T0, ready.LastTransitionTime);
        Assert.Equal(SequenceSyncPolicyReasons.AuthenticationFailed, ready.Reason);
        Assert.Equal("password authentication failed for user app", ready.Message);
        Assert.Single(status.Conditions!);
    }

    [Fact]
    public void SetCondition_StatusChanges_MovesTransitionTime()
    {
        var status = new SequenceSyncPolicyStatus()
            .WithFailure(SequenceSyncPolicyReasons.SecretNotFound, "Secret cityforge-db-credentials not found", T0)
            .WithReady(SequenceSyncPolicyReasons.CheckSucceeded, "checked 3 sequences", T1);
        Assert.Equal(T1, status.GetCondition(SequenceSyncPolicyConditions.Ready)!.LastTransitionTime);
        Assert.True(status.IsReady);

        status = status.WithReady(SequenceSyncPolicyReasons.CheckSucceeded, "checked 4 sequences", T2);
        Assert.Equal(T1, status.GetCondition(SequenceSyncPolicyConditions.Ready)!.LastTransitionTime);
        Assert.Equal("checked 4 sequences", status.GetCondition(SequenceSyncPolicyConditions.Ready)!.Message);

        status = status.WithFailure(SequenceSyncPolicyReasons.Suspended, "spec.suspend is true", T2);
        Assert.Equal(T2, status.GetCondition(SequenceSyncPolicyConditions.Ready)!.LastTransitionTime);
        Assert.False(status.IsReady);
    }

    [Fact]
    public void SetCondition_KeepsOtherConditionsAndTheirOrder()
    {
        var status = new SequenceSyncPolicyStatus()
            .WithReady(SequenceSyncPolicyReasons.CheckSucceeded, "ok", T0)
            .WithCondition(
                SequenceSyncPolicyConditions.InSync,
                ConditionStatus.True,
                SequenceSyncPolicyReasons.AllInSync,
                "none behind",
                T0)
            .WithFailure(SequenceSyncPolicyReasons.TableErrors, "table cards not found", T1);

        Assert.Equal([SequenceSyncPolicyConditions.Ready, SequenceSyncPolicyConditions.InSync], status.Conditions!.Select(c => c.Type));
        Assert.Equal(T0, status.GetCondition(SequenceSyncPolicyConditions.InSync)!.LastTransitionTime);
    }

    [Fact]
    public void SetCondition_IsImmutable()
    {
        var before = new SequenceSyncPolicyStatus().WithReady(SequenceSyncPolicyReasons.CheckSucceeded, "ok", T0);
        var after = before.WithFailure(SequenceSyncPolicyReasons.ConnectionFailed, "down", T1);
        Assert.True(before.IsReady);
        Assert.False(after.IsReady);
    }

    [Fact]
    public void SetCondition_RejectsBadStatusAndEmptyReason()
    {
        var status = new SequenceSyncPolicyStatus();
        Assert.Throws<ArgumentOutOfRangeException>(() => status.WithCondition("Ready", "true", "X", "m", T0));
        Assert.Throws<ArgumentException>(() => status.WithCondition("Ready", ConditionStatus.True, "", "m", T0));
    }

    [Fact]
    public void ObservedGeneration_IsStampedOnStatusAndConditions()
    {
        var status = new SequenceSyncPolicyStatus()
            .WithReady(SequenceSyncPolicyReasons.CheckSucceeded, "ok", T0, observedGeneration: 7);
        Assert.Equal(7, status.ObservedGeneration);
        Assert.Equal(7, status.GetCondition(SequenceSyncPolicyConditions.Ready)!.ObservedGeneration);

        status = status.WithFailure(SequenceSyncPolicyReasons.ConnectionFailed, "down", T1, observedGeneration: 8);
        Assert.Equal(8, status.GetCondition(SequenceSyncPolicyConditions.Ready)!.ObservedGeneration);
        Assert.Equal(8, status.ObservedGeneration); // the helper stamps the status too, as CloudNativePG's SetAsReady

        status = status.WithFailure(SequenceSyncPolicyReasons.ConnectionFailed, "still down", T1);
        Assert.Equal(8, status.ObservedGeneration); // none given: the status's own is kept
    }

    [Fact]
    public void CheckResults_CountAndSetInSync()
    {
        var entries = new[]
        {
            Entry("a", SequenceEntryStatus.InSync),
            Entry("b", SequenceEntryStatus.Behind, behindBy: 12),
            Entry("c", SequenceEntryStatus.Repaired),
            Entry("d", SequenceEntryStatus.Error),
        };
        var status = new SequenceSyncPolicyStatus()
            .WithCheckResults(entries, [entries[1]], repaired: 1, explicitTables: true, T0, observedGeneration: 2);
        Assert.Equal(4, status.SequencesChecked);
        Assert.Equal(1, status.SequencesBehind);
        Assert.Equal(1, status.SequencesRepaired);
        Assert.Equal(T0, status.LastCheckTime);
        Assert.Equal(T0, status.LastRepairTime);
        var inSync = status.GetCondition(SequenceSyncPolicyConditions.InSync)!;
        Assert.Equal(ConditionStatus.False, inSync.Status);
        Assert.Equal(SequenceSyncPolicyReasons.SequencesBehind, inSync.Reason);
        Assert.Contains("public.b.id (12 behind)", inSync.Message, StringComparison.Ordinal);
        Assert.Equal(2, inSync.ObservedGeneration);

        var later = status.WithCheckResults([Entry("a", SequenceEntryStatus.InSync)], [], repaired: 0, explicitTables: true, T1);
        Assert.Equal(T0, later.LastRepairTime);
        Assert.Equal(T1, later.LastCheckTime);
        Assert.Equal(ConditionStatus.True, later.GetCondition(SequenceSyncPolicyConditions.InSync)!.Status);
        Assert.Equal(T1, later.GetCondition(SequenceSyncPolicyConditions.InSync)!.LastTransitionTime);
    }

    [Fact]
    public void SelectEntries_ExplicitTables_KeepsEveryEntryInOrder()
    {
        var entries = Enumerable.Range(0, 150).Select(i => Entry($"t{i}", SequenceEntryStatus.InSync)).ToList();
        var selected = SequenceSyncPolicyStatus.SelectEntries(entries, explicitTables: true, T0);
        Assert.Equal(entries, selected);
    }

    [Fact]
    public void SelectEntries_Discovery_KeepsOnlyNoteworthyMostUrgentFirstAtMost100()
    {
        var entries = new List<SequenceStatusEntry>
        {
            Entry("insync", SequenceEntryStatus.InSync, capacity: 0.5),
            Entry("full", SequenceEntryStatus.InSync, capacity: 0.95),
            Entry("edge", SequenceEntryStatus.InSync, capacity: 0.8),
            Entry("repaired", SequenceEntryStatus.Repaired),
            Entry("behind", SequenceEntryStatus.Behind),
            Entry("error", SequenceEntryStatus.Error),
        };
        var selected = SequenceSyncPolicyStatus.SelectEntries(entries, explicitTables: false, T0);
        Assert.Equal(["error", "behind", "repaired", "full"], selected.Select(e => e.Table));

        var many = Enumerable.Range(0, 250).Select(i => Entry($"b{i:D3}", SequenceEntryStatus.Behind)).ToList();
        var bounded = SequenceSyncPolicyStatus.SelectEntries(many, explicitTables: false, T0);
        Assert.Equal(SequenceSyncPolicyStatus.MaxDiscoveredEntries, bounded.Count);
        Assert.Equal("b000", bounded[0].Table);
        Assert.Equal("b099", bounded[^1].Table);
    }

    [Fact]
    public void SelectEntries_Discovery_KeepsInSyncEntriesWithHistoryOrAnExhaustionWithinAYear_SoonestFirst()
    {
        var entries = new List<SequenceStatusEntry>
        {
            Entry("quiet", SequenceEntryStatus.InSync),
            Entry("drifted", SequenceEntryStatus.InSync) with { DriftCount = 1 },
            Entry("imported", SequenceEntryStatus.InSync) with { ExplicitIdRows = 3 },
            Entry("late", SequenceEntryStatus.InSync) with { ExhaustionTime = T0.AddDays(400) },
            Entry("soon", SequenceEntryStatus.InSync) with { ExhaustionTime = T0.AddDays(20) },
            Entry("year", SequenceEntryStatus.InSync) with { ExhaustionTime = T0.AddDays(200) },
            Entry("behind", SequenceEntryStatus.Behind),
        };
        var selected = SequenceSyncPolicyStatus.SelectEntries(entries, explicitTables: false, T0);
        Assert.Equal(["behind", "soon", "year", "drifted", "imported"], selected.Select(e => e.Table));
    }

    private static SequenceStatusEntry Entry(string table, SequenceEntryStatus state, long behindBy = 0, double capacity = 0.1) => new()
    {
        Schema = "public",
        Table = table,
        Column = "id",
        SequenceSchema = "public",
        SequenceName = table + "_id_seq",
        NextValue = 100,
        BehindBy = behindBy,
        CapacityUsed = capacity,
        Status = state,
    };
}
