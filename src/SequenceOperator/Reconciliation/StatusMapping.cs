using System.Globalization;
using System.Text.Json.Nodes;
using SequenceOperator.Entities;
using SequenceOperator.Postgres;
using SequenceOperator.Reconciliation.Insights;

namespace SequenceOperator.Reconciliation;

/// <summary>
/// Turns the engine's report into the policy's status (its entries, counts and conditions), and a status into a
/// merge patch. What counts as success and as behind is the report's to say (<see cref="SequenceReport.Succeeded"/>,
/// <see cref="SequenceReport.Behind"/>); this only writes it down in the API's terms.
/// </summary>
internal static class StatusMapping
{
    /// <summary>
    /// The status after a check that ran: entries (with their drift history and forecast from
    /// <paramref name="insights"/>, or the history the status kept for a column it has none on), counts, InSync, and
    /// Ready: True exactly when the report <see cref="SequenceReport.Succeeded"/>; else RepairFailed when a repair
    /// failed, TableErrors otherwise.
    /// </summary>
    public static SequenceSyncPolicyStatus Checked(
        SequenceSyncPolicyStatus status,
        SequenceReport report,
        bool explicitTables,
        DateTimeOffset now,
        long? generation,
        InsightReport? insights = null)
    {
        var known = (insights?.Sequences ?? []).ToDictionary(i => i.Column);
        var kept = (status.Sequences ?? []).DistinctBy(InsightMapping.ColumnOf).ToDictionary(InsightMapping.ColumnOf);
        SequenceStatusEntry WithHistory(SequenceStatusEntry entry) =>
            known.TryGetValue(InsightMapping.ColumnOf(entry), out var insight) ? InsightMapping.WithInsight(entry, insight)
            : kept.TryGetValue(InsightMapping.ColumnOf(entry), out var previous) ? InsightMapping.WithHistoryOf(entry, previous)
            : entry;

        var next = status.WithCheckResults(
            [.. report.Sequences.Select(ToStatusEntry).Select(WithHistory), .. report.Errors.Select(ToStatusEntry)],
            [.. report.Behind.Select(ToStatusEntry)],
            report.Repaired.Count,
            explicitTables,
            now,
            generation);
        if (report.Succeeded)
        {
            var message = string.Create(CultureInfo.InvariantCulture,
                $"Checked {report.Sequences.Count} sequence(s): {report.Behind.Count} behind, {report.Repaired.Count} repaired.");
            return next.WithReady(SequenceSyncPolicyReasons.CheckSucceeded, message, now, generation);
        }

        if (report.RepairFailures is { Count: > 0 } repairs)
        {
            return next.WithFailure(SequenceSyncPolicyReasons.RepairFailed,
                $"{repairs.Count} sequence(s) could not be repaired: {Summarize(repairs.Select(Describe))}", now, generation);
        }

        var checks = report.Errors.Select(e => $"{e.Entry}: {e.Message}").Concat(report.CheckFailures.Select(Describe)).ToList();
        return next.WithFailure(SequenceSyncPolicyReasons.TableErrors,
            $"{checks.Count} table entr{(checks.Count == 1 ? "y" : "ies")} could not be checked: {Summarize(checks)}", now, generation);
    }

    public static SequenceStatusEntry ToStatusEntry(SequenceEntry e) => new()
    {
        Schema = e.Schema,
        Table = e.Table,
        Column = e.Column,
        SequenceSchema = e.SequenceSchema,
        SequenceName = e.SequenceName,
        MaxValue = e.MaxValue,
        NextValue = e.NextValue,
        BehindBy = e.BehindBy,
        CapacityUsed = e.CapacityUsed,
        Status = ToApi(e.Status),
        RepairedNextValue = e.RepairedNextValue,
        Message = e.Message,
    };

    /// <summary>An entry of the policy that could not be checked at all (unknown table, ...), shown as an error entry.</summary>
    public static SequenceStatusEntry ToStatusEntry(EntryError error) => new()
    {
        Schema = error.Selector.Schema?.Value ?? string.Empty,
        Table = error.Selector.Table.Value,
        Column = error.Selector.Column?.Value ?? string.Empty,
        SequenceSchema = string.Empty,
        SequenceName = string.Empty,
        Status = SequenceEntryStatus.Error,
        Message = error.Message,
    };

    /// <summary>
    /// The engine's status in the API's enum: the same names (see <see cref="SequenceEntryStatus"/> for why the API
    /// keeps its own copy). Throws for a state the API does not have yet, so a new one cannot slip out unmapped.
    /// </summary>
    public static SequenceEntryStatus ToApi(SequenceStatus status) => status switch
    {
        SequenceStatus.InSync => SequenceEntryStatus.InSync,
        SequenceStatus.Behind => SequenceEntryStatus.Behind,
        SequenceStatus.Repaired => SequenceEntryStatus.Repaired,
        SequenceStatus.Error => SequenceEntryStatus.Error,
        SequenceStatus.Skipped => SequenceEntryStatus.Skipped,
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "A sequence status the API does not have."),
    };

    private static string Describe(SequenceEntry e) => $"{e.Schema}.{e.Table}.{e.Column}: {e.Message}";

    private static string Summarize(IEnumerable<string> items)
    {
        var list = items.ToList();
        return string.Join("; ", list.Take(3)) + (list.Count > 3 ? $"; and {list.Count - 3} more" : string.Empty);
    }

    /// <summary>
    /// A JSON merge patch (RFC 7386) that turns <paramref name="from"/> into <paramref name="to"/>: changed values,
    /// nulls for removed keys; arrays replace whole. Null when nothing changed.
    /// </summary>
    public static JsonNode? MergeDiff(JsonNode? from, JsonNode? to)
    {
        if (to is JsonObject target && from is JsonObject source)
        {
            var patch = new JsonObject();
            foreach (var (key, value) in target)
            {
                var diff = MergeDiff(source[key], value);
                if (diff is not null || (value is null && source.ContainsKey(key) && source[key] is not null))
                {
                    patch[key] = diff?.DeepClone();
                }
            }

            foreach (var (key, value) in source)
            {
                if (!target.ContainsKey(key) && value is not null)
                {
                    patch[key] = null;
                }
            }

            return patch.Count == 0 ? null : patch;
        }

        return JsonNode.DeepEquals(from, to) ? null : to?.DeepClone();
    }
}
