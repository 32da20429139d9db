using SequenceOperator.Metrics;

namespace SequenceOperator.Reconciliation.Insights;

/// <summary>
/// A sequence-fed column: what a drift history belongs to (the metric labels <c>schema</c>, <c>table</c>,
/// <c>column</c>). The sequence feeding it is part of each sample; when that sequence changes (another name or
/// oid) the baselines restart and the column keeps its history.
/// </summary>
internal readonly record struct FedColumn(string Schema, string Table, string Column)
{
    public override string ToString() => $"{Schema}.{Table}.{Column}";
}

/// <summary>
/// What one check saw of one sequence-fed column: everything the model needs, in database terms. The time is the
/// check's, given to <see cref="InsightStore.Observe"/>. Entries the check could not read (status Error) give no sample.
/// </summary>
internal sealed record SequenceSample
{
    public required FedColumn Column { get; init; }

    /// <summary>The schema-qualified sequence (<c>public.cards_id_seq</c>): the <c>sequence</c> label.</summary>
    public required string Sequence { get; init; }

    /// <summary>
    /// The sequence's <c>pg_class.oid</c>; another oid than last time means it was dropped and created again, and the
    /// baselines restart. Null when unknown.
    /// </summary>
    public long? SequenceOid { get; init; }

    /// <summary>
    /// The value the next <c>nextval</c> returns, read before any repair: <c>last_value + increment</c> when
    /// <c>is_called</c>, else <c>last_value</c>. When the check repaired it, the reading under the repair's lock.
    /// </summary>
    public required long NextValue { get; init; }

    /// <summary>The sequence's increment (negative for a descending sequence); never 0.</summary>
    public required long Increment { get; init; }

    /// <summary>
    /// <c>sum(n_tup_ins)</c> from <c>pg_stat_user_tables</c> over every table the sequence feeds, partitions
    /// included, each row once. Null when unknown (the rows baseline then restarts).
    /// </summary>
    public long? RowsInserted { get; init; }

    /// <summary>
    /// Optional: <c>pg_stat_database.stats_reset</c>. A different value than last time means the statistics were
    /// reset, and the rows baseline restarts even when <see cref="RowsInserted"/> has already grown past its old value.
    /// </summary>
    public DateTimeOffset? StatsResetTime { get; init; }

    /// <summary>The check found the sequence behind its data (before any repair).</summary>
    public required bool Behind { get; init; }

    /// <summary>The next value after this check's repair; null when the check did not repair it.</summary>
    public long? RepairedNextValue { get; init; }

    /// <summary>
    /// The last value the sequence may hand out: its MAXVALUE (MINVALUE when descending) tightened by the column
    /// type (2,147,483,647 for an <c>int4</c> column).
    /// </summary>
    public required long Limit { get; init; }

    /// <summary>The column's type as PostgreSQL names it (<c>int4</c>), for the text; may be empty.</summary>
    public string ColumnType { get; init; } = string.Empty;
}

/// <summary>
/// The drift history of a column: what the policy status keeps per sequence. The model produces it, and takes it
/// back (<see cref="InsightStore.Observe"/>'s <c>restore</c>) for a column it does not know yet, so that the totals
/// survive an operator restart or a leader change.
/// </summary>
internal sealed record DriftHistory
{
    /// <summary>How many separate times the column fell behind: transitions from not behind to behind.</summary>
    public long DriftCount { get; init; }

    /// <summary>When a check last found it behind.</summary>
    public DateTimeOffset? LastDriftTime { get; init; }

    /// <summary>When a check last repaired it.</summary>
    public DateTimeOffset? LastRepairTime { get; init; }

    /// <summary>
    /// When the last drift ended (it was repaired, or a check saw it in sync again): a new drift within the
    /// recurrence window of it is recurring drift. Restore it from <see cref="LastRepairTime"/> when nothing better is kept.
    /// </summary>
    public DateTimeOffset? LastDriftEndTime { get; init; }

    /// <summary>Rows inserted with explicit ids (a lower bound), in total since <see cref="CountingSince"/>.</summary>
    public long ExplicitIdRows { get; init; }

    /// <summary>When explicit-id rows were last seen.</summary>
    public DateTimeOffset? LastExplicitIdRowsTime { get; init; }

    /// <summary>Since when drifts and explicit-id rows are counted (the first sample, or what was restored).</summary>
    public DateTimeOffset? CountingSince { get; init; }

    /// <summary>The column was still behind after the last check (found behind and not repaired).</summary>
    public bool Behind { get; init; }
}

/// <summary>
/// The column was found behind again within the recurrence window after its last drift ended: what a
/// <c>DriftRecurring</c> Warning Event says. Produced once per transition to behind, never for a column that stays behind.
/// </summary>
internal sealed record DriftRecurrence
{
    /// <summary>The Event reason.</summary>
    public const string Reason = EventReasons.DriftRecurring;

    public required FedColumn Column { get; init; }

    public required string Sequence { get; init; }

    /// <summary>When this drift was found.</summary>
    public required DateTimeOffset DetectedAt { get; init; }

    /// <summary>When the previous drift ended (repaired, or seen in sync again).</summary>
    public required DateTimeOffset PreviousDriftEndedAt { get; init; }

    /// <summary>The recurrence window it fell within.</summary>
    public required TimeSpan Window { get; init; }

    /// <summary>Drifts since <see cref="CountingSince"/>, this one included.</summary>
    public required long DriftCount { get; init; }

    /// <summary>
    /// Drifts that began within <see cref="Window"/> before <see cref="DetectedAt"/>, this one included, as far as
    /// this operator process saw them (a restored history brings back the totals, not the times).
    /// </summary>
    public required int DriftsInWindow { get; init; }

    /// <summary>Rows with explicit ids seen since <see cref="CountingSince"/>.</summary>
    public required long ExplicitIdRows { get; init; }

    public DateTimeOffset? LastExplicitIdRowsTime { get; init; }

    public DateTimeOffset? CountingSince { get; init; }

    /// <summary>The Event's message: the table, how often, the explicit-id rows and since when, the usual causes.</summary>
    public string Message => InsightText.Describe(this);
}

/// <summary>
/// How fast a sequence is used and when it runs out at that pace.
/// </summary>
/// <param name="ConsumptionPerDay">
/// Values handed out by <c>nextval</c> per day over the smoothing window (repairs excluded); null until the window
/// holds enough history.
/// </param>
/// <param name="ExhaustionTime">
/// When the sequence hands out its last value at that rate; null when the rate is zero or unknown, or the time is
/// beyond the forecast horizon. The current time when nothing is left.
/// </param>
/// <param name="ValuesLeft">Values the sequence can still hand out before its limit (0 when exhausted).</param>
/// <param name="ColumnType">The column's type name, for the text.</param>
/// <param name="Horizon">The forecast horizon <see cref="ExhaustionTime"/> stays within.</param>
internal sealed record ExhaustionForecast(
    double? ConsumptionPerDay,
    DateTimeOffset? ExhaustionTime,
    decimal ValuesLeft,
    string ColumnType,
    TimeSpan Horizon)
{
    /// <summary>For <c>kubectl describe</c>: "int4 column: runs out around 2027-03-02 at about 1.2 M ids a day".</summary>
    public string Describe() => InsightText.Describe(this);
}

/// <summary>The model's answer for one column after a check (what the drift-history metrics export of it too).</summary>
internal sealed record SequenceInsight : IColumnInsight
{
    public required FedColumn Column { get; init; }

    /// <summary>The sequence that fed it at its last sample (the <c>sequence</c> label).</summary>
    public required string Sequence { get; init; }

    public required DriftHistory History { get; init; }

    public required ExhaustionForecast Forecast { get; init; }

    /// <summary>Set only on the check that found recurring drift: record a <c>DriftRecurring</c> Warning Event.</summary>
    public DriftRecurrence? Recurrence { get; init; }

    string IColumnInsight.Schema => Column.Schema;

    string IColumnInsight.Table => Column.Table;

    string IColumnInsight.Column => Column.Column;

    long IColumnInsight.DriftCount => History.DriftCount;

    long IColumnInsight.ExplicitIdRows => History.ExplicitIdRows;

    DateTimeOffset? IColumnInsight.ExhaustionTime => Forecast.ExhaustionTime;
}

/// <summary>What <see cref="InsightStore.Observe"/> returns for a policy.</summary>
/// <param name="Sequences">
/// Every column the policy's model tracks (those sampled now, and those not sampled this time with their last
/// insight and no recurrence), in the order of the samples, then the others.
/// </param>
/// <param name="Untracked">Samples not tracked because the policy reached <see cref="InsightOptions.MaxSequencesPerPolicy"/>.</param>
internal sealed record InsightReport(IReadOnlyList<SequenceInsight> Sequences, int Untracked)
{
    /// <summary>The recurring-drift decisions of this check: one <c>DriftRecurring</c> Event each.</summary>
    public IEnumerable<DriftRecurrence> Recurrences => Sequences.Select(s => s.Recurrence).OfType<DriftRecurrence>();
}
