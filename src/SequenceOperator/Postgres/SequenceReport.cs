using System.Text.Json.Serialization;

namespace SequenceOperator.Postgres;

/// <summary>Where a sequence-fed column stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SequenceStatus>))]
public enum SequenceStatus
{
    /// <summary>The sequence's next value passes the data.</summary>
    InSync,

    /// <summary>The next value would collide with existing data.</summary>
    Behind,

    /// <summary>It was behind and this run repaired it.</summary>
    Repaired,

    /// <summary>It could not be checked or repaired; see the message.</summary>
    Error,

    /// <summary>
    /// The sequence feeds the column, but the column does not hold the sequence's values (a default such as
    /// <c>'INV-' || nextval(...)</c>, or a column that is not of an integer type), so it is not judged; the message
    /// says why. Never repaired, never an error.
    /// </summary>
    Skipped,
}

/// <summary>Which step of a run failed for an entry: none, its check (it could not be measured), or its repair.</summary>
public enum EntryFailure
{
    /// <summary>Nothing failed (every status but <see cref="SequenceStatus.Error"/>).</summary>
    None,

    /// <summary>
    /// The entry could not be checked: a table it names is unknown, locked, unreadable, or a column read failed. What
    /// the entry shows of its sequence may still hold (a partition reported on its own is judged with its parent).
    /// </summary>
    Check,

    /// <summary>The entry was measured, but its repair failed (a missing grant, a lock timeout, an exhausted sequence).</summary>
    Repair,
}

/// <summary>One (table, column) fed by a sequence: the engine's answer for it.</summary>
public sealed record SequenceEntry
{
    /// <summary>Capacity share above which an in-sync sequence still needs attention (listed in a status, exported as a metric).</summary>
    public const double CapacityWarningThreshold = 0.8;

    public required string Schema { get; init; }

    public required string Table { get; init; }

    public required string Column { get; init; }

    public required string SequenceSchema { get; init; }

    public required string SequenceName { get; init; }

    /// <summary>
    /// <c>schema.name</c> of the sequence, unquoted: one instance across checks where the engine read it (the
    /// operator's metrics and insight model keep it per column).
    /// </summary>
    public string QualifiedSequenceName { get => field ?? $"{SequenceSchema}.{SequenceName}"; init; }

    /// <summary>MAX of the column (MIN for a descending sequence); null for an empty table or when unknown.</summary>
    public long? MaxValue { get; init; }

    /// <summary>
    /// The value the sequence is judged against: MAX (MIN when descending) over every column it feeds. Equals
    /// <see cref="MaxValue"/> unless the sequence also feeds another table, which the message then names; null when
    /// they are all empty, or unknown.
    /// </summary>
    public long? JudgedMaxValue { get; init; }

    /// <summary>The value the next <c>nextval</c> returns, before any repair; null when unknown.</summary>
    public long? NextValue { get; init; }

    /// <summary>
    /// How many values the next value must advance to pass the data (over every column the sequence feeds); 0 when
    /// in sync.
    /// </summary>
    public long BehindBy { get; init; }

    /// <summary>Share of the usable range (sequence bounds and column type) already handed out, 0..1.</summary>
    public double CapacityUsed { get; init; }

    public required SequenceStatus Status { get; init; }

    /// <summary>
    /// For an <see cref="SequenceStatus.Error"/> entry, the step that failed (the <see cref="Message"/> says why);
    /// <see cref="EntryFailure.None"/> otherwise. An error entry built without it counts as a failed check. Not in
    /// the CLI's JSON, which has the status and the message.
    /// </summary>
    [JsonIgnore]
    public EntryFailure Failure { get; init; }

    /// <summary>
    /// True when the data passes the sequence's next value: the entry is <see cref="SequenceStatus.Behind"/>, or an
    /// error whose sequence was measured as behind (its repair failed, or a read of its own column did).
    /// </summary>
    [JsonIgnore]
    public bool IsBehind => BehindBy > 0 && Status is SequenceStatus.Behind or SequenceStatus.Error;

    /// <summary>The next value after this run's repair; null when not repaired.</summary>
    public long? RepairedNextValue { get; init; }

    /// <summary>
    /// For an entry still behind in a repair run (a dry run, or a run that failed before reaching it): the next value
    /// the repair sets; else null.
    /// </summary>
    public long? PlannedNextValue { get; init; }

    /// <summary>
    /// False when no index serves MAX on the column (for a partitioned table: on every partition): the check scans the
    /// table.
    /// </summary>
    public bool Indexed { get; init; } = true;

    public string Message { get; init; } = string.Empty;

    // What the drift insight reads (in process; not part of the CLI's JSON document).

    /// <summary>The sequence's <c>pg_class.oid</c>.</summary>
    [JsonIgnore]
    public long SequenceOid { get; init; }

    /// <summary>The sequence's increment (negative for a descending sequence).</summary>
    [JsonIgnore]
    public long Increment { get; init; }

    /// <summary>
    /// The last value the sequence may hand out: its MAXVALUE (MINVALUE when descending) tightened by the types of
    /// the columns it is judged on; null for an entry that is not judged.
    /// </summary>
    [JsonIgnore]
    public long? Limit { get; init; }

    /// <summary>
    /// The integer type that bounds the column's values (<c>int2</c>, <c>int4</c>, <c>int8</c>); empty when not an
    /// integer column.
    /// </summary>
    [JsonIgnore]
    public string ColumnType { get; init; } = string.Empty;

    /// <summary><c>n_tup_ins</c> of the table (pg_stat_user_tables), summed over its partitions or children.</summary>
    [JsonIgnore]
    public long RowsInserted { get; init; }

    /// <summary>The table's <c>pg_class.oid</c>.</summary>
    [JsonIgnore]
    public long RelationOid { get; init; }

    /// <summary>
    /// The <c>pg_class.oid</c> of every table the table inherits from (a partition: its parents), at any depth; empty
    /// for most tables. An ancestor's <see cref="RowsInserted"/> already holds this table's.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<long> Ancestors { get; init; } = [];
}

/// <summary>
/// A table entry that could not be checked at all (unknown table, no sequence-fed column, ...): always a failed
/// check. Keeps the <paramref name="Selector"/> it came from, so a caller shows it without parsing it again.
/// </summary>
public sealed record EntryError(TableSelector Selector, string Message)
{
    /// <summary>The entry as the user wrote it (normalised).</summary>
    public string Entry => Selector.Display;
}

/// <summary>
/// What a check or a repair found, and the one definition of its outcome: <see cref="Succeeded"/> decides the CLI's
/// exit code, the policy's Ready condition and the checks counter alike; <see cref="Behind"/> decides the CLI's exit
/// code 1 and the InSync condition.
/// </summary>
public sealed record SequenceReport
{
    public required IReadOnlyList<SequenceEntry> Sequences { get; init; }

    public IReadOnlyList<EntryError> Errors { get; init; } = [];

    /// <summary>For a dry-run repair: the exact SQL the repair would run; else null.</summary>
    public string? RepairSql { get; init; }

    /// <summary>
    /// <c>pg_stat_database.stats_reset</c> of the database: when its statistics (<see cref="SequenceEntry.RowsInserted"/>)
    /// were last reset.
    /// </summary>
    [JsonIgnore]
    public DateTimeOffset? StatsResetTime { get; init; }

    /// <summary>True when nothing failed: no entry error and no entry in <see cref="SequenceStatus.Error"/>.</summary>
    [JsonIgnore]
    public bool Succeeded => Errors.Count == 0 && !Sequences.Any(s => s.Status == SequenceStatus.Error);

    /// <summary>The entries whose sequence is behind the data (<see cref="SequenceEntry.IsBehind"/>), errors included.</summary>
    [JsonIgnore]
    public IReadOnlyList<SequenceEntry> Behind => [.. Sequences.Where(s => s.IsBehind)];

    /// <summary>The entries this run repaired.</summary>
    [JsonIgnore]
    public IReadOnlyList<SequenceEntry> Repaired => [.. Sequences.Where(s => s.Status == SequenceStatus.Repaired)];

    /// <summary>The error entries whose repair failed.</summary>
    [JsonIgnore]
    public IReadOnlyList<SequenceEntry> RepairFailures =>
        [.. Sequences.Where(s => s.Status == SequenceStatus.Error && s.Failure == EntryFailure.Repair)];

    /// <summary>
    /// The error entries whose check failed (every error entry but a failed repair); <see cref="Errors"/> are failed
    /// checks too.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<SequenceEntry> CheckFailures =>
        [.. Sequences.Where(s => s.Status == SequenceStatus.Error && s.Failure != EntryFailure.Repair)];
}
