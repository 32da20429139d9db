using SequenceOperator.Entities;
using SequenceOperator.Metrics;
using SequenceOperator.Postgres;

namespace SequenceOperator.Reconciliation.Insights;

/// <summary>
/// Between the engine's report, the insight model and the policy status: the samples a check gives, the history a
/// status entry keeps (restored the first time the model sees a column, so that the totals survive an operator
/// restart or a leader change), and the status fields an insight fills.
/// </summary>
internal static class InsightMapping
{
    /// <summary>
    /// One sample per judged entry (in sync, behind or repaired; entries in error or skipped give none), each column
    /// once. A sample's rows are the <c>n_tup_ins</c> of every table of the report its sequence feeds, each table once
    /// (the engine sums a table's partitions): a partition or inheritance child whose ancestor the report also lists
    /// for the same sequence adds nothing, its rows being in the ancestor's already.
    /// </summary>
    public static IReadOnlyList<SequenceSample> Samples(SequenceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var reported = report.Sequences.Select(e => (e.SequenceOid, e.RelationOid)).ToHashSet();
        var rowsBySequence = report.Sequences
            .Where(e => !e.Ancestors.Any(a => reported.Contains((e.SequenceOid, a))))
            .DistinctBy(e => (e.SequenceOid, e.Schema, e.Table))
            .GroupBy(e => e.SequenceOid)
            .ToDictionary(g => g.Key, g => g.Sum(e => e.RowsInserted));
        return
        [
            .. report.Sequences
                .Where(e => e.Status is SequenceStatus.InSync or SequenceStatus.Behind or SequenceStatus.Repaired
                    && e is { NextValue: not null, Limit: not null, Increment: not 0 })
                .DistinctBy(ColumnOf)
                .Select(e => new SequenceSample
                {
                    Column = ColumnOf(e),
                    Sequence = e.QualifiedSequenceName,
                    SequenceOid = e.SequenceOid,
                    NextValue = e.NextValue!.Value,
                    Increment = e.Increment,
                    RowsInserted = rowsBySequence[e.SequenceOid],
                    StatsResetTime = report.StatsResetTime,
                    Behind = e.Status is SequenceStatus.Behind or SequenceStatus.Repaired,
                    RepairedNextValue = e.RepairedNextValue,
                    Limit = e.Limit!.Value,
                    ColumnType = e.ColumnType,
                }),
        ];
    }

    /// <summary>
    /// The history a status entry kept, for a column the model does not know yet; null when it kept none. Drifts and
    /// explicit-id rows count since <paramref name="countingSince"/> (the policy's creation). A drift ended at the
    /// last repair, or for an entry back in sync at the last drift (the status keeps no better time).
    /// </summary>
    public static DriftHistory? Restore(SequenceStatusEntry? entry, DateTimeOffset? countingSince)
    {
        if (entry is null || entry is { DriftCount: null, ExplicitIdRows: null, LastDriftTime: null, LastRepairTime: null })
        {
            return null;
        }

        var endedInSync = entry.Status == SequenceEntryStatus.InSync ? entry.LastDriftTime : null;
        return new DriftHistory
        {
            DriftCount = entry.DriftCount ?? 0,
            LastDriftTime = entry.LastDriftTime,
            LastRepairTime = entry.LastRepairTime,
            LastDriftEndTime = endedInSync > entry.LastRepairTime || entry.LastRepairTime is null ? endedInSync : entry.LastRepairTime,
            ExplicitIdRows = entry.ExplicitIdRows ?? 0,
            LastExplicitIdRowsTime = entry.LastExplicitIdRowsTime,
            CountingSince = countingSince,
            // Behind and counted: the next check that sees it behind is the same drift.
            Behind = entry.Status == SequenceEntryStatus.Behind && entry.DriftCount > 0,
        };
    }

    /// <summary>The entry with the insight's history and forecast; counts of 0 and unknown values are omitted.</summary>
    public static SequenceStatusEntry WithInsight(SequenceStatusEntry entry, SequenceInsight insight)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(insight);
        var (history, forecast) = (insight.History, insight.Forecast);
        return entry with
        {
            LastDriftTime = history.LastDriftTime,
            DriftCount = history.DriftCount > 0 ? history.DriftCount : null,
            LastRepairTime = history.LastRepairTime,
            ExplicitIdRows = history.ExplicitIdRows > 0 ? history.ExplicitIdRows : null,
            LastExplicitIdRowsTime = history.LastExplicitIdRowsTime,
            ConsumptionPerDay = forecast.ConsumptionPerDay is { } rate ? Math.Round(rate, 2) : null,
            ExhaustionTime = forecast.ExhaustionTime,
            Forecast = forecast.Describe(),
        };
    }

    /// <summary>
    /// The history fields of <paramref name="kept"/> on <paramref name="entry"/>: for a column the model has no insight
    /// on (an entry in error since the operator started), so that its totals are not lost.
    /// </summary>
    public static SequenceStatusEntry WithHistoryOf(SequenceStatusEntry entry, SequenceStatusEntry kept)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(kept);
        return entry with
        {
            LastDriftTime = kept.LastDriftTime,
            DriftCount = kept.DriftCount,
            LastRepairTime = kept.LastRepairTime,
            ExplicitIdRows = kept.ExplicitIdRows,
            LastExplicitIdRowsTime = kept.LastExplicitIdRowsTime,
        };
    }

    public static FedColumn ColumnOf(SequenceEntry entry) => new(entry.Schema, entry.Table, entry.Column);

    public static FedColumn ColumnOf(SequenceStatusEntry entry) => new(entry.Schema, entry.Table, entry.Column);
}
