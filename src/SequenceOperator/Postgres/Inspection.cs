using System.Globalization;

namespace SequenceOperator.Postgres;

/// <summary>
/// The state of one check: which columns to report (targets), which sequences feed them, and what was measured.
/// Pure bookkeeping, no I/O.
/// </summary>
internal sealed class Inspection
{
    private readonly Dictionary<ColumnKey, decimal?> _extremes = [];
    private readonly Dictionary<ColumnKey, string> _columnErrors = [];

    private Inspection(IReadOnlyList<Feed> targets, IReadOnlyList<EntryError> entryErrors, Dictionary<long, SequenceInspection> sequences, string role)
    {
        Targets = targets;
        EntryErrors = entryErrors;
        Sequences = sequences;
        Role = role;
    }

    /// <summary>The (table, column, sequence) rows to report, in order.</summary>
    public IReadOnlyList<Feed> Targets { get; }

    public IReadOnlyList<EntryError> EntryErrors { get; }

    public Dictionary<long, SequenceInspection> Sequences { get; }

    /// <summary>The database role the engine runs as (for GRANT hints).</summary>
    public string Role { get; }

    public static Inspection Select(IReadOnlyList<Feed> feeds, IReadOnlyList<RelationRow> relations, IReadOnlyList<TableSelector> selectors, string role)
    {
        var targets = new List<Feed>();
        var errors = new List<EntryError>();
        if (selectors.Count == 0)
        {
            targets.AddRange(feeds.Where(f => !f.CoveredByAncestor));
        }
        else
        {
            var byRelation = feeds.ToLookup(f => f.RelationOid);
            foreach (var selector in selectors)
            {
                var (resolved, error) = TableResolver.Resolve(selector, relations, byRelation);
                if (error is not null)
                {
                    errors.Add(new EntryError(selector.Display, error));
                }

                targets.AddRange(resolved);
            }
        }

        targets = targets.DistinctBy(t => (t.RelationOid, t.AttributeNumber, t.SequenceOid)).ToList();
        var bySequence = feeds.ToLookup(f => f.SequenceOid);
        var sequences = new Dictionary<long, SequenceInspection>();
        foreach (var group in targets.GroupBy(t => t.SequenceOid))
        {
            var all = bySequence[group.Key].Where(f => !f.CoveredByAncestor).ToList();
            if (all.Count == 0)
            {
                all = group.ToList();
            }

            var sequence = new SequenceInspection(all, group.ToList());
            foreach (var feed in all.Concat(group))
            {
                if (!feed.CanSelectColumn)
                {
                    sequence.Fail($"permission denied: the check needs SELECT on table {Identifiers.Display(feed.Schema, feed.Table)}: GRANT SELECT ON {Identifiers.Quote(feed.Schema, feed.Table)} TO {Identifiers.Quote(role)};");
                    break;
                }
            }

            if (sequence.Error is null && !all[0].CanSelectSequence)
            {
                sequence.Fail($"permission denied: the check needs SELECT on sequence {sequence.Display} (without it pg_sequences.last_value reads NULL): GRANT SELECT ON SEQUENCE {sequence.QuotedName} TO {Identifiers.Quote(role)};");
            }

            sequences.Add(group.Key, sequence);
        }

        return new Inspection(targets, errors, sequences, role);
    }

    /// <summary>Every column whose MAX (or MIN) must be read: those that judge a sequence and those reported.</summary>
    public IReadOnlyList<(ColumnKey Key, string Schema, string Table, string Column)> ColumnsToMeasure() =>
        Sequences.Values.Where(s => s.Error is null)
            .SelectMany(s => s.Feeds.Concat(s.Targets))
            .DistinctBy(f => f.ColumnKey)
            .Select(f => (f.ColumnKey, f.Schema, f.Table, f.Column))
            .ToList();

    public IReadOnlyList<(long Oid, string Schema, string Name)> SequencesToRead() =>
        Sequences.Values.Where(s => s.Error is null).Select(s => (s.Oid, s.Schema, s.Name)).ToList();

    public void SetExtreme(ColumnKey key, decimal? value) => _extremes[key] = value;

    public void FailColumn(ColumnKey key, string message)
    {
        _columnErrors[key] = message;
        foreach (var sequence in Sequences.Values.Where(s => s.Feeds.Any(f => f.ColumnKey == key)))
        {
            sequence.Fail(message);
        }
    }

    public void FailSequence(long oid, string message) => Sequences[oid].Fail(message);

    public void SetSequenceState(long oid, long lastValue, bool isCalled)
    {
        var sequence = Sequences[oid];
        sequence.Measured(lastValue, isCalled, sequence.Feeds.Select(f => _extremes.GetValueOrDefault(f.ColumnKey)));
    }

    /// <summary>The report entries, one per target.</summary>
    public IReadOnlyList<SequenceEntry> Entries() => Targets.Select(Entry).ToList();

    private SequenceEntry Entry(Feed target)
    {
        var sequence = Sequences[target.SequenceOid];
        var own = _extremes.GetValueOrDefault(target.ColumnKey);
        var error = sequence.Error ?? _columnErrors.GetValueOrDefault(target.ColumnKey);
        var status = error is not null ? SequenceStatus.Error
            : sequence.RepairedNextValue is not null ? SequenceStatus.Repaired
            : sequence.BehindBy > 0 ? SequenceStatus.Behind
            : SequenceStatus.InSync;
        return new SequenceEntry
        {
            Schema = target.Schema,
            Table = target.Table,
            Column = target.Column,
            SequenceSchema = sequence.Schema,
            SequenceName = sequence.Name,
            MaxValue = SequenceMath.ToInt64(own is { } v ? (target.Descending ? Math.Floor(v) : Math.Ceiling(v)) : null),
            NextValue = SequenceMath.ToInt64(sequence.NextValue),
            BehindBy = SequenceMath.Saturate(sequence.BehindBy),
            CapacityUsed = sequence.CapacityUsed,
            Status = status,
            RepairedNextValue = status == SequenceStatus.Repaired ? sequence.RepairedNextValue : null,
            Indexed = target.Indexed,
            Message = Message(target, sequence, status, error),
        };
    }

    private static string Message(Feed target, SequenceInspection sequence, SequenceStatus status, string? error)
    {
        var parts = new List<string>();
        switch (status)
        {
            case SequenceStatus.Error:
                parts.Add(error!);
                break;
            case SequenceStatus.Repaired:
                parts.Add(F($"repaired: next value {sequence.NextValue} -> {sequence.RepairedNextValue} (was behind by {sequence.BehindBy})"));
                break;
            case SequenceStatus.Behind:
                parts.Add(F($"behind by {sequence.BehindBy}: next value {sequence.NextValue} does not pass {(sequence.Ascending ? "MAX" : "MIN")} {sequence.Extreme}, so inserts can fail with a duplicate key"));
                break;
            default:
                if (sequence.RecheckNote is { } note)
                {
                    parts.Add(note);
                }

                break;
        }

        var others = sequence.Feeds.Where(f => f.RelationOid != target.RelationOid || f.AttributeNumber != target.AttributeNumber).ToList();
        if (others.Count > 0)
        {
            parts.Add("the sequence also feeds " + string.Join(", ", others.Take(5).Select(f => $"{Identifiers.Display(f.Schema, f.Table)}.{Identifiers.Display(f.Column)}")) + (others.Count > 5 ? ", ..." : string.Empty));
        }

        if (status != SequenceStatus.Error && sequence.NextValue is { } next && SequenceMath.Beyond(next, sequence.Limit, sequence.Increment))
        {
            parts.Add(F($"exhausted: next value {next} is beyond {sequence.LimitSource} ({sequence.Limit})"));
        }
        else if (status != SequenceStatus.Error && sequence.CapacityUsed >= 0.8)
        {
            parts.Add(F($"{sequence.CapacityUsed:P1} of its range is used, up to {sequence.LimitSource} ({sequence.Limit})"));
        }

        if (!target.Indexed)
        {
            parts.Add($"no index on {Identifiers.Display(target.Column)}: {(target.Descending ? "MIN" : "MAX")} scans the whole table");
        }

        return string.Join("; ", parts);
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
