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

    /// <summary>Capacity share above which a discovered in-sync sequence is still listed (and exported as a metric).</summary>
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

    [Description("Per-sequence results: every entry for an explicit table list; with discovery only those behind, repaired, in error or over 80% of their capacity, at most 100.")]
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
    /// Sets (adds or replaces) the condition of <paramref name="type"/>. <c>lastTransitionTime</c> becomes
    /// <paramref name="now"/> only when the condition is new or its status changes; otherwise it is kept.
    /// </summary>
    public SequenceSyncPolicyStatus WithCondition(string type, string status, string reason, string message, DateTimeOffset now, long? observedGeneration = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        if (status is not (ConditionStatus.True or ConditionStatus.False or ConditionStatus.Unknown))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "A condition status is True, False or Unknown.");
        }

        var existing = GetCondition(type);
        var condition = new Condition
        {
            Type = type,
            Status = status,
            Reason = reason,
            Message = message,
            ObservedGeneration = observedGeneration ?? ObservedGeneration,
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

        return this with { Conditions = conditions };
    }

    /// <summary>Ready=True with <paramref name="reason"/> (usually <see cref="SequenceSyncPolicyReasons.CheckSucceeded"/>).</summary>
    public SequenceSyncPolicyStatus WithReady(string reason, string message, DateTimeOffset now, long? observedGeneration = null) =>
        WithCondition(SequenceSyncPolicyConditions.Ready, ConditionStatus.True, reason, message, now, observedGeneration);

    /// <summary>Ready=False with a CamelCase <paramref name="reason"/> and a message a person can act on.</summary>
    public SequenceSyncPolicyStatus WithFailure(string reason, string message, DateTimeOffset now, long? observedGeneration = null) =>
        WithCondition(SequenceSyncPolicyConditions.Ready, ConditionStatus.False, reason, message, now, observedGeneration);

    /// <summary>Stamps <see cref="ObservedGeneration"/> with the object's <c>metadata.generation</c>.</summary>
    public SequenceSyncPolicyStatus WithObservedGeneration(long? generation) => this with { ObservedGeneration = generation };

    /// <summary>
    /// Records a completed check: the time, the counts, the bounded <see cref="Sequences"/> list (see
    /// <see cref="SelectEntries"/>), <see cref="LastRepairTime"/> when something was repaired, and the InSync condition
    /// (True when no entry is <see cref="SequenceEntryStatus.Behind"/>). Ready is left to the caller.
    /// </summary>
    public SequenceSyncPolicyStatus WithCheckResults(IReadOnlyList<SequenceStatusEntry> entries, bool explicitTables, DateTimeOffset checkTime, long? observedGeneration = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var behind = entries.Count(e => e.Status == SequenceEntryStatus.Behind);
        var repaired = entries.Count(e => e.Status == SequenceEntryStatus.Repaired);
        var status = this with
        {
            LastCheckTime = checkTime,
            LastRepairTime = repaired > 0 ? checkTime : LastRepairTime,
            SequencesChecked = entries.Count,
            SequencesBehind = behind,
            SequencesRepaired = repaired,
            Sequences = SelectEntries(entries, explicitTables),
        };

        return behind == 0
            ? status.WithCondition(SequenceSyncPolicyConditions.InSync, ConditionStatus.True, SequenceSyncPolicyReasons.AllInSync,
                repaired > 0 ? $"No sequence is behind; {repaired} repaired by the last check." : "No sequence is behind.", checkTime, observedGeneration)
            : status.WithCondition(SequenceSyncPolicyConditions.InSync, ConditionStatus.False, SequenceSyncPolicyReasons.SequencesBehind,
                $"{behind} sequence(s) behind their table's data, e.g. {Describe(entries.First(e => e.Status == SequenceEntryStatus.Behind))}; set spec.mode to Repair or run 'sequence-operator repair'.",
                checkTime, observedGeneration);
    }

    /// <summary>
    /// The entries kept in the status: all of them for an explicit table list (in the given order); for discovery only
    /// those in error, behind, repaired or over <see cref="CapacityWarningThreshold"/> of their capacity, most urgent
    /// first, at most <see cref="MaxDiscoveredEntries"/>.
    /// </summary>
    public static IReadOnlyList<SequenceStatusEntry> SelectEntries(IReadOnlyList<SequenceStatusEntry> entries, bool explicitTables)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (explicitTables)
        {
            return [.. entries];
        }

        return
        [
            .. entries
                .Where(IsNoteworthy)
                .OrderBy(e => e.Status switch
                {
                    SequenceEntryStatus.Error => 0,
                    SequenceEntryStatus.Behind => 1,
                    SequenceEntryStatus.Repaired => 2,
                    _ => 3,
                })
                .ThenByDescending(e => double.IsNaN(e.CapacityUsed) ? 0 : e.CapacityUsed)
                .ThenBy(e => e.Schema, StringComparer.Ordinal)
                .ThenBy(e => e.Table, StringComparer.Ordinal)
                .ThenBy(e => e.Column, StringComparer.Ordinal)
                .Take(MaxDiscoveredEntries),
        ];
    }

    /// <summary>True for an entry that is behind, repaired, in error or over <see cref="CapacityWarningThreshold"/>.</summary>
    public static bool IsNoteworthy(SequenceStatusEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return entry.Status != SequenceEntryStatus.InSync || entry.CapacityUsed > CapacityWarningThreshold;
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

    [Description("InSync, Behind, Repaired, Error or Skipped (the column does not hold the sequence's values, so it is not judged; the message says why).")]
    public SequenceEntryStatus Status { get; init; }

    [Description("The next value after the repair, when repaired.")]
    public long? RepairedNextValue { get; init; }

    [Description("Details, such as the error.")]
    public string Message { get; set; } = string.Empty;
}

/// <summary>The state of one sequence.</summary>
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

/// <summary>CamelCase condition reasons.</summary>
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
