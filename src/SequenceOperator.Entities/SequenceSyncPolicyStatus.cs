using System.ComponentModel;
using System.Text.Json.Serialization;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Entities.Schema;

namespace SequenceOperator.Entities;

/// <summary>
/// What the operator last saw. Immutable: the <c>With…</c> helpers return a changed copy (CloudNativePG-style status
/// helpers: a condition's <c>lastTransitionTime</c> moves only when its status changes).
/// </summary>
[Description("What the operator last saw.")]
public sealed record SequenceSyncPolicyStatus
{
    /// <summary>Status entries kept for a policy that discovers its sequences.</summary>
    public const int MaxDiscoveredEntries = 100;

    /// <summary>
    /// A discovered in-sync sequence with no other reason to be listed is, when it runs out within this long of the check.
    /// </summary>
    public static readonly TimeSpan ExhaustionListingHorizon = TimeSpan.FromDays(365);

    /// <summary>
    /// Capacity share above which a discovered in-sync sequence is still listed, as the API's description of
    /// <see cref="Sequences"/> states it. The engine's <c>SequenceEntry.CapacityWarningThreshold</c> is the same value
    /// (the metrics export by it); a test holds the two equal.
    /// </summary>
    public const double CapacityWarningThreshold = 0.8;

    [Description("The metadata.generation the status describes.")]
    public long? ObservedGeneration { get; init; }

    [Description("When the last check ran (successful or not).")]
    public DateTimeOffset? LastCheckTime { get; init; }

    [Description("When a sequence was last repaired.")]
    public DateTimeOffset? LastRepairTime { get; init; }

    [Description("Sequences checked by the last check.")]
    public int? SequencesChecked { get; init; }

    [Description("Sequences behind their table's data at the last check (not repaired).")]
    public int? SequencesBehind { get; init; }

    [Description("Sequences the last check repaired.")]
    public int? SequencesRepaired { get; init; }

    [Description("Ready: the last check ran without error. InSync: no sequence is behind.")]
    [SchemaListMapKeys("type")]
    public IReadOnlyList<Condition>? Conditions { get; init; }

    [Description("Per-sequence results: every entry for an explicit table list; with discovery only those behind, repaired, "
        + "in error, over 80% of their capacity, running out within a year, or with drift history or explicit-id rows, "
        + "at most 100.")]
    public IReadOnlyList<SequenceStatusEntry>? Sequences { get; init; }

    /// <summary>
    /// Not part of the resource: a digest of the <see cref="Sequences"/> the API server holds, which the operator's
    /// cache keeps instead of the list itself (the list is the bulk of a policy's size; the digest still tells whether a
    /// new list differs from it).
    /// </summary>
    [JsonIgnore]
    public string? SequencesDigest { get; init; }

    /// <summary>The condition of that type, or null.</summary>
    public Condition? GetCondition(string type) => Conditions?.FirstOrDefault(c => c.Type == type);

    /// <summary>True when the Ready condition is True.</summary>
    [JsonIgnore]
    public bool IsReady => GetCondition(SequenceSyncPolicyConditions.Ready)?.Status == ConditionStatus.True;

    /// <summary>
    /// Sets (adds or replaces) the condition of <paramref name="type"/> and stamps <see cref="ObservedGeneration"/>
    /// (the status's and the condition's) with <paramref name="observedGeneration"/>, the <c>metadata.generation</c>
    /// it describes (null keeps the status's). <c>lastTransitionTime</c> becomes <paramref name="now"/> only when the
    /// condition is new or its status changes; otherwise it is kept.
    /// </summary>
    public SequenceSyncPolicyStatus WithCondition(
        string type, string status, string reason, string message, DateTimeOffset now, long? observedGeneration = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        if (status is not (ConditionStatus.True or ConditionStatus.False or ConditionStatus.Unknown))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "A condition status is True, False or Unknown.");
        }

        var generation = observedGeneration ?? ObservedGeneration;
        var existing = GetCondition(type);
        var condition = new Condition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            ObservedGeneration = generation,
            LastTransitionTime = existing is not null && existing.Status == status ? existing.LastTransitionTime : now,
        };

        var conditions = new List<Condition>();
        var replaced = false;
        foreach (var c in Conditions ?? [])
        {
            if (c.Type == type)
            {
                if (!replaced)
                {
                    conditions.Add(condition);
                    replaced = true;
                }
            }
            else
            {
                conditions.Add(c);
            }
        }

        if (!replaced)
        {
            conditions.Add(condition);
        }

        return this with { Conditions = conditions, ObservedGeneration = generation };
    }

    /// <summary>
    /// Ready=True with <paramref name="reason"/> (usually <see cref="SequenceSyncPolicyReasons.CheckSucceeded"/>), for
    /// <paramref name="observedGeneration"/> (see <see cref="WithCondition"/>).
    /// </summary>
    public SequenceSyncPolicyStatus WithReady(string reason, string message, DateTimeOffset now, long? observedGeneration = null) =>
        WithCondition(SequenceSyncPolicyConditions.Ready, ConditionStatus.True, reason, message, now, observedGeneration);

    /// <summary>
    /// Ready=False with a CamelCase <paramref name="reason"/> and a message a person can act on, for
    /// <paramref name="observedGeneration"/> (see <see cref="WithCondition"/>).
    /// </summary>
    public SequenceSyncPolicyStatus WithFailure(string reason, string message, DateTimeOffset now, long? observedGeneration = null) =>
        WithCondition(SequenceSyncPolicyConditions.Ready, ConditionStatus.False, reason, message, now, observedGeneration);

    /// <summary>
    /// Records a completed check: the time, the counts, the bounded <see cref="Sequences"/> list (see
    /// <see cref="SelectEntries"/>), <see cref="LastRepairTime"/> when something was repaired, and the InSync
    /// condition: True when <paramref name="behind"/> (the entries whose sequence is behind, as the engine judged
    /// them) is empty. Ready is left to the caller.
    /// </summary>
    public SequenceSyncPolicyStatus WithCheckResults(
        IReadOnlyList<SequenceStatusEntry> entries,
        IReadOnlyList<SequenceStatusEntry> behind,
        int repaired,
        bool explicitTables,
        DateTimeOffset checkTime,
        long? observedGeneration = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(behind);
        var status = this with
        {
            LastCheckTime = checkTime,
            LastRepairTime = repaired > 0 ? checkTime : LastRepairTime,
            SequencesChecked = entries.Count,
            SequencesBehind = behind.Count,
            SequencesRepaired = repaired,
            Sequences = SelectEntries(entries, explicitTables, checkTime),
        };

        return behind.Count == 0
            ? status.WithCondition(SequenceSyncPolicyConditions.InSync, ConditionStatus.True, SequenceSyncPolicyReasons.AllInSync,
                repaired > 0 ? $"No sequence is behind; {repaired} repaired by the last check." : "No sequence is behind.",
                checkTime,
                observedGeneration)
            : status.WithCondition(SequenceSyncPolicyConditions.InSync, ConditionStatus.False, SequenceSyncPolicyReasons.SequencesBehind,
                $"{behind.Count} sequence(s) behind their table's data, e.g. {Describe(behind[0])}; "
                + "set spec.mode to Repair or run 'sequence-operator repair'.",
                checkTime, observedGeneration);
    }

    /// <summary>
    /// The entries kept in the status: all of them for an explicit table list (in the given order); for discovery only
    /// the noteworthy ones (<see cref="IsNoteworthy"/>), most urgent first, at most <see cref="MaxDiscoveredEntries"/>:
    /// in error, behind, repaired, then by capacity used, then the soonest to run out.
    /// </summary>
    public static IReadOnlyList<SequenceStatusEntry> SelectEntries(
        IReadOnlyList<SequenceStatusEntry> entries, bool explicitTables, DateTimeOffset checkTime)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (explicitTables)
        {
            return [.. entries];
        }

        return
        [
            .. entries
                .Where(e => IsNoteworthy(e, checkTime))
                .OrderBy(e => e.Status switch
                {
                    SequenceEntryStatus.Error => 0,
                    SequenceEntryStatus.Behind => 1,
                    SequenceEntryStatus.Repaired => 2,
                    _ => 3,
                })
                .ThenByDescending(e => double.IsNaN(e.CapacityUsed) ? 0 : e.CapacityUsed)
                .ThenBy(e => e.ExhaustionTime ?? DateTimeOffset.MaxValue)
                .ThenBy(e => e.Schema, StringComparer.Ordinal)
                .ThenBy(e => e.Table, StringComparer.Ordinal)
                .ThenBy(e => e.Column, StringComparer.Ordinal)
                .Take(MaxDiscoveredEntries),
        ];
    }

    /// <summary>
    /// True for an entry that is behind, repaired, in error or over <see cref="CapacityWarningThreshold"/>; or that
    /// has drifted or seen explicit-id rows (so its history stays in the status, and survives an operator restart);
    /// or that runs out within <see cref="ExhaustionListingHorizon"/> of <paramref name="checkTime"/>.
    /// </summary>
    public static bool IsNoteworthy(SequenceStatusEntry entry, DateTimeOffset checkTime)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Status != SequenceEntryStatus.InSync || entry.CapacityUsed > CapacityWarningThreshold
            || entry.DriftCount > 0 || entry.ExplicitIdRows > 0 || entry.ExhaustionTime - checkTime <= ExhaustionListingHorizon;
    }

    private static string Describe(SequenceStatusEntry e) => $"{e.Schema}.{e.Table}.{e.Column} ({e.BehindBy} behind)";
}

/// <summary>One sequence-fed column and its sequence, as the engine saw it.</summary>
[Description("One sequence-fed column and its sequence.")]
public sealed record SequenceStatusEntry
{
    [Description("The table's schema.")]
    public required string Schema { get; init; }

    [Description("The table.")]
    public required string Table { get; init; }

    [Description("The sequence-fed column.")]
    public required string Column { get; init; }

    [Description("The sequence's schema.")]
    public required string SequenceSchema { get; init; }

    [Description("The sequence.")]
    public required string SequenceName { get; init; }

    [Description("The column's highest value (lowest for a descending sequence); absent for an empty table.")]
    public long? MaxValue { get; init; }

    [Description("The value the next nextval() returns, before any repair; absent when it could not be read.")]
    public long? NextValue { get; init; }

    [Description("How far the sequence is behind the column's highest value; 0 when in sync.")]
    public long BehindBy { get; init; }

    [Description("Share of the sequence's range already handed out, 0 to 1.")]
    public double CapacityUsed { get; init; }

    [Description("InSync, Behind, Repaired, Error or Skipped (the column does not hold the sequence's values, so it is not judged; "
        + "the message says why).")]
    public SequenceEntryStatus Status { get; init; }

    [Description("The next value after the repair, when repaired.")]
    public long? RepairedNextValue { get; init; }

    [Description("Details, such as the error.")]
    public string Message { get; set; } = string.Empty;

    [Description("When a check last found the sequence behind its data.")]
    public DateTimeOffset? LastDriftTime { get; init; }

    [Description("How many separate times the sequence fell behind since the policy was created: a transition from not "
        + "behind to behind counts once, however many checks see it behind. Absent when it never did.")]
    public long? DriftCount { get; init; }

    [Description("When the operator last repaired the sequence.")]
    public DateTimeOffset? LastRepairTime { get; init; }

    [Description("Rows inserted into the table with explicit ids (beyond the values the sequence handed out, by the table "
        + "statistics) since the policy was created: a lower bound. Absent when none were seen.")]
    public long? ExplicitIdRows { get; init; }

    [Description("When rows with explicit ids were last seen.")]
    public DateTimeOffset? LastExplicitIdRowsTime { get; init; }

    [Description("Values the sequence handed out per day over the last 24 hours (repairs excluded); absent until the "
        + "operator has seen it for 30 minutes.")]
    public double? ConsumptionPerDay { get; init; }

    [Description("When the sequence hands out its last value at that rate; absent when the rate is zero or unknown, or "
        + "it is more than 100 years away.")]
    public DateTimeOffset? ExhaustionTime { get; init; }

    [Description("The forecast in words, such as 'int4 column: runs out around 2027-03-02 at about 1.2 M ids a day'.")]
    public string? Forecast { get; init; }
}

/// <summary>
/// The state of one sequence-fed column, as the API states it (the CRD lists these names). The operator's engine
/// has the same states in <c>Postgres.SequenceStatus</c>, used everywhere inside the program; this assembly is the
/// API the CRD is generated from and references nothing of the program, so the status keeps its own copy, mapped
/// name for name in one place (<c>Reconciliation.StatusMapping</c>, and a test holds the two equal). A state the
/// engine adds is an API change: it needs a value here too.
/// </summary>
public enum SequenceEntryStatus
{
    InSync,
    Behind,
    Repaired,
    Error,
    Skipped,
}

/// <summary>The condition types of a <see cref="V1Alpha1SequenceSyncPolicy"/>.</summary>
public static class SequenceSyncPolicyConditions
{
    /// <summary>The last check ran without error.</summary>
    public const string Ready = "Ready";

    /// <summary>No sequence is behind.</summary>
    public const string InSync = "InSync";
}

/// <summary>
/// The CamelCase reasons of the policy's conditions: part of the API (alerts and scripts match them), so they live
/// with it. The operator's Event reasons are its own (<c>Reconciliation.EventReasons</c>).
/// </summary>
public static class SequenceSyncPolicyReasons
{
    public const string CheckSucceeded = "CheckSucceeded";
    public const string SecretNotFound = "SecretNotFound";
    public const string SecretInvalid = "SecretInvalid";
    public const string ConnectionFailed = "ConnectionFailed";
    public const string AuthenticationFailed = "AuthenticationFailed";
    public const string TableErrors = "TableErrors";
    public const string RepairFailed = "RepairFailed";
    public const string Suspended = "Suspended";
    public const string InvalidSpec = "InvalidSpec";
    public const string SecretForbidden = "SecretForbidden";
    public const string PermissionDenied = "PermissionDenied";
    public const string CheckFailed = "CheckFailed";
    public const string Pending = "Pending";

    /// <summary>InSync=True.</summary>
    public const string AllInSync = "AllInSync";

    /// <summary>InSync=False.</summary>
    public const string SequencesBehind = "SequencesBehind";
}

/// <summary>The values of a condition's status.</summary>
public static class ConditionStatus
{
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";
}
