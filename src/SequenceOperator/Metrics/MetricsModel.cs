using SequenceOperator.Postgres;

namespace SequenceOperator.Metrics;

/// <summary>A policy, as its metric series name it: labels <c>namespace</c> and <c>policy</c>.</summary>
internal readonly record struct PolicyLabels(string Namespace, string Name);

/// <summary>
/// One tracked column's drift history, as <see cref="SequenceOperatorMetrics.RecordInsights"/> exports it; the insight
/// model's entries implement it, so Metrics needs nothing from reconciliation.
/// </summary>
internal interface IColumnInsight
{
    string Schema { get; }

    string Table { get; }

    string Column { get; }

    /// <summary>The <c>sequence</c> label: the schema-qualified sequence that fed the column at its last sample.</summary>
    string Sequence { get; }

    /// <summary>Times the column's sequence fell behind its data.</summary>
    long DriftCount { get; }

    /// <summary>Rows inserted beyond the values the sequence handed out (a lower bound).</summary>
    long ExplicitIdRows { get; }

    /// <summary>When the sequence runs out at its consumption rate; null when the rate is zero or unknown.</summary>
    DateTimeOffset? ExhaustionTime { get; }
}

/// <summary>One sequence as the last check saw it.</summary>
/// <param name="Sequence">The <c>sequence</c> label: the schema-qualified sequence name, e.g. <c>public.cards_id_seq</c>.</param>
/// <param name="BehindBy">How far the sequence is behind its column's data; 0 when in sync.</param>
/// <param name="CapacityUsed">Share of the sequence's range handed out, 0..1 (NaN when unknown).</param>
internal sealed record SequenceObservation(
    string Schema,
    string Table,
    string Column,
    string Sequence,
    long BehindBy,
    double CapacityUsed,
    SequenceStatus State)
{
    /// <summary>The engine's entry, as the metrics show it.</summary>
    public static SequenceObservation Of(SequenceEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(
            entry.Schema, entry.Table, entry.Column, entry.QualifiedSequenceName, entry.BehindBy, entry.CapacityUsed, entry.Status);
    }
}

/// <summary>What one check of a policy came to.</summary>
internal sealed record CheckOutcome
{
    /// <summary>
    /// A check that ran: its success is the report's (<see cref="SequenceReport.Succeeded"/>), as for the Ready
    /// condition.
    /// </summary>
    public static CheckOutcome Of(SequenceReport report, TimeSpan duration, bool tablesListedExplicitly)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new CheckOutcome
        {
            Succeeded = report.Succeeded,
            Duration = duration,
            Sequences = [.. report.Sequences.Select(SequenceObservation.Of)],
            TablesListedExplicitly = tablesListedExplicitly,
            RepairsSucceeded = report.Repaired.Count,
            RepairsFailed = report.RepairFailures.Count,
        };
    }

    /// <summary>A check that failed before it saw any sequence (no Secret, no connection, ...).</summary>
    public static CheckOutcome Failed(TimeSpan duration, bool tablesListedExplicitly) =>
        new() { Succeeded = false, Duration = duration, TablesListedExplicitly = tablesListedExplicitly };

    /// <summary>The check ran without error (the Ready condition): counts <c>result="success"</c>, else <c>"failure"</c>.</summary>
    public required bool Succeeded { get; init; }

    /// <summary>How long the check (and any repair) took: <see cref="MetricNames.CheckDurationSeconds"/>.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>
    /// Every sequence the check looked at (not only the exported ones: the per-state counts come from all of them).
    /// Null when the check failed before it saw any sequence (no Secret, no connection): the previous per-sequence
    /// series and state counts are then kept, since nothing new is known about them.
    /// </summary>
    public IReadOnlyList<SequenceObservation>? Sequences { get; init; }

    /// <summary>
    /// True when the policy lists its tables: every sequence gets its own series. False (discovery): only sequences
    /// that are behind, repaired, in error or over 80 % of their capacity do.
    /// </summary>
    public bool TablesListedExplicitly { get; init; }

    /// <summary>Repairs made by this check: added to <c>repairs_total{result="success"}</c>.</summary>
    public int RepairsSucceeded { get; init; }

    /// <summary>Repairs attempted by this check that failed: added to <c>repairs_total{result="failure"}</c>.</summary>
    public int RepairsFailed { get; init; }
}
