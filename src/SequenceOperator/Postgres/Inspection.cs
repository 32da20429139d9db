using System.Globalization;

namespace SequenceOperator.Postgres;

/// <summary>
/// The state of one check: which columns to report (targets), which sequences feed them, and what was measured.
/// Pure bookkeeping, no I/O. What measuring records (<see cref="SetExtreme"/>, <see cref="FailColumn"/>,
/// <see cref="FailSequence"/>, <see cref="SetSequenceState"/>) may come from several connections at once.
/// </summary>
internal sealed class Inspection
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ColumnKey, decimal?> _extremes = [];
    private readonly Dictionary<ColumnKey, string> _columnErrors = [];

    private Inspection(
        IReadOnlyList<Feed> targets, IReadOnlyList<EntryError> entryErrors, Dictionary<long, SequenceInspection> sequences, string role)
    {
        Targets = targets;
        EntryErrors = entryErrors;
        Sequences = sequences;
        Role = role;
    }

    /// <summary>The (table, column, sequence) rows to report, in order.</summary>
    public IReadOnlyList<Feed> Targets { get; }

    public IReadOnlyList<EntryError> EntryErrors { get; }

    /// <summary>Every sequence that feeds a target, in the targets' order.</summary>
    public Dictionary<long, SequenceInspection> Sequences { get; }

    /// <summary>The database role the engine runs as (for GRANT hints).</summary>
    public string Role { get; }

    /// <summary><c>pg_stat_database.stats_reset</c> of the database, read with the catalog.</summary>
    public DateTimeOffset? StatsResetTime { get; set; }

    public static Inspection Select(
        IReadOnlyList<Feed> feeds, IReadOnlyList<RelationRow> relations, IReadOnlyList<TableSelector> selectors, string role)
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
                    errors.Add(new EntryError(selector, error));
                }

                targets.AddRange(resolved);
            }
        }

        targets = targets.DistinctBy(t => (t.RelationOid, t.AttributeNumber, t.SequenceOid)).ToList();
        var judgedBySequence = feeds.Where(f => f.Judged && !f.CoveredByAncestor).ToLookup(f => f.SequenceOid);
        var sequences = new Dictionary<long, SequenceInspection>();
        foreach (var group in targets.GroupBy(t => t.SequenceOid))
        {
            var judged = judgedBySequence[group.Key].ToList();
            if (judged.Count == 0)
            {
                judged = group.Where(f => f.Judged).ToList();
            }

            var sequence = new SequenceInspection(group.First().Sequence, judged, group.ToList());
            if (sequence.Judged)
            {
                CheckPrivileges(sequence, role);
            }

            sequences.Add(group.Key, sequence);
        }

        return new Inspection(targets, errors, sequences, role);
    }

    /// <summary>Fails a sequence the role cannot read, naming the exact GRANT.</summary>
    private static void CheckPrivileges(SequenceInspection sequence, string role)
    {
        foreach (var feed in sequence.Feeds.Concat(sequence.Targets.Where(t => t.Judged)))
        {
            if (!feed.Row.SchemaUsable)
            {
                sequence.Fail(MissingUsage(feed.Schema, $"table {Identifiers.Display(feed.Schema, feed.Table)}", role));
                return;
            }

            if (!feed.Row.CanSelectColumn)
            {
                sequence.Fail($"permission denied: the check needs SELECT on table {Identifiers.Display(feed.Schema, feed.Table)}: "
                    + $"GRANT SELECT ON {Identifiers.Quote(feed.Schema, feed.Table)} TO {Identifiers.Quote(role)};");
                return;
            }
        }

        if (!sequence.Row.SchemaUsable)
        {
            sequence.Fail(MissingUsage(sequence.Schema, $"sequence {sequence.Display}", role));
        }
        else if (!sequence.Row.CanSelect)
        {
            sequence.Fail($"permission denied: the check needs SELECT on sequence {sequence.Display} "
                + "(without it pg_sequences.last_value reads NULL): "
                + $"GRANT SELECT ON SEQUENCE {sequence.QuotedName} TO {Identifiers.Quote(role)};");
        }
    }

    private static string MissingUsage(string schema, string what, string role) =>
        $"permission denied: the check needs USAGE on schema {Identifiers.Display(schema)} to read {what}: "
        + $"GRANT USAGE ON SCHEMA {Identifiers.Quote(schema)} TO {Identifiers.Quote(role)};";

    /// <summary>The sequences still to measure: judged on at least one column, and not failed.</summary>
    public IReadOnlyList<SequenceInspection> ToMeasure() =>
        Sequences.Values.Where(s => s.Judged && s.Failure is null).ToList();

    /// <summary>Every column whose MAX (or MIN) must be read for these sequences: those that judge them and those reported.</summary>
    public static IReadOnlyList<Feed> ColumnsOf(IEnumerable<SequenceInspection> sequences) =>
        sequences.SelectMany(s => s.Feeds.Concat(s.Targets.Where(t => t.Judged))).DistinctBy(f => f.ColumnKey).ToList();

    public void SetExtreme(ColumnKey key, decimal? value)
    {
        lock (_gate)
        {
            _extremes[key] = value;
        }
    }

    public void FailColumn(ColumnKey key, string message)
    {
        lock (_gate)
        {
            _columnErrors[key] = message;
            foreach (var sequence in Sequences.Values.Where(s => s.Feeds.Any(f => f.ColumnKey == key)))
            {
                sequence.Fail(message);
            }
        }
    }

    public void FailSequence(SequenceInspection sequence, string message)
    {
        lock (_gate)
        {
            sequence.Fail(message);
        }
    }

    public void SetSequenceState(SequenceInspection sequence, long lastValue, bool isCalled)
    {
        lock (_gate)
        {
            sequence.Measured(lastValue, isCalled, sequence.Feeds.Select(f => (f, _extremes.GetValueOrDefault(f.ColumnKey))));
        }
    }

    /// <summary>The report entries, one per target.</summary>
    public IReadOnlyList<SequenceEntry> Entries() => Targets.Select(Entry).ToList();

    /// <summary>The entries of what was settled (measured, failed, or not judged) when a run stopped half way.</summary>
    public IReadOnlyList<SequenceEntry> SettledEntries() =>
        Targets.Where(t => !t.Judged || Sequences[t.SequenceOid] is var s && (!s.Judged || s.Settled)).Select(Entry).ToList();

    private SequenceEntry Entry(Feed target)
    {
        var sequence = Sequences[target.SequenceOid];
        var entry = new SequenceEntry
        {
            Schema = target.Schema,
            Table = target.Table,
            Column = target.Column,
            SequenceSchema = sequence.Schema,
            SequenceName = sequence.Name,
            QualifiedSequenceName = sequence.Row.QualifiedName,
            Status = SequenceStatus.Skipped,
            Indexed = target.Row.Indexed,
            SequenceOid = sequence.Oid,
            Increment = sequence.Increment,
            RowsInserted = target.Row.RowsInserted,
            RelationOid = target.RelationOid,
            Ancestors = target.Row.Ancestors,
        };
        if (!target.Judged)
        {
            return entry with
            {
                Message = JoinParts(
                    [target.SkipReason!, .. sequence.Feeds.Take(1).Select(f => $"the sequence is judged on {f.Row.Display}")]),
            };
        }

        var own = _extremes.GetValueOrDefault(target.ColumnKey);
        var (failure, error) = sequence.Failure is { } failed ? (failed.Step, failed.Message)
            : _columnErrors.TryGetValue(target.ColumnKey, out var columnError) ? (EntryFailure.Check, columnError)
            : (EntryFailure.None, null);
        var status = error is not null ? SequenceStatus.Error
            : sequence.RepairedNextValue is not null ? SequenceStatus.Repaired
            : sequence.BehindBy > 0 ? SequenceStatus.Behind
            : SequenceStatus.InSync;
        return entry with
        {
            MaxValue = SequenceMath.ToInt64(own is { } v ? (target.Descending ? Math.Floor(v) : Math.Ceiling(v)) : null),
            JudgedMaxValue = SequenceMath.ToInt64(sequence.Extreme),
            NextValue = SequenceMath.ToInt64(sequence.NextValue),
            BehindBy = SequenceMath.Saturate(sequence.BehindBy),
            CapacityUsed = sequence.CapacityUsed,
            Limit = SequenceMath.ToInt64(sequence.Limit),
            ColumnType = SequenceMath.IntegerTypeName(target.LimitTypeOid),
            Status = status,
            Failure = failure,
            RepairedNextValue = status == SequenceStatus.Repaired ? sequence.RepairedNextValue : null,
            PlannedNextValue = status == SequenceStatus.Behind ? sequence.PlannedNextValue : null,
            Message = Message(target, sequence, status, error),
        };
    }

    private string Message(Feed target, SequenceInspection sequence, SequenceStatus status, string? error)
    {
        var extreme = sequence.Ascending ? "MAX" : "MIN";
        var parts = new List<string>();
        switch (status)
        {
            case SequenceStatus.Error:
                parts.Add(error!);
                break;
            case SequenceStatus.Repaired:
                parts.Add(F(
                    $"repaired: next value {sequence.NextValue} -> {sequence.RepairedNextValue} (was behind by {sequence.BehindBy})"));
                break;
            case SequenceStatus.Behind:
                parts.Add(F($"behind by {sequence.BehindBy}: next value {sequence.NextValue} does not pass {extreme} {sequence.Extreme}, ")
                    + "so inserts can fail with a duplicate key");
                if (sequence.PlannedNextValue is { } planned)
                {
                    parts.Add(F($"the repair sets the next value to {planned}"));
                }

                break;
            default:
                if (sequence.RecheckNote is { } note)
                {
                    parts.Add(note);
                }

                break;
        }

        if (status != SequenceStatus.Error && sequence.ExtremeSource is { } source && source.ColumnKey != target.ColumnKey
            && sequence.Extreme != _extremes.GetValueOrDefault(target.ColumnKey))
        {
            parts.Add(F($"judged against {extreme} {sequence.Extreme} of {source.Row.Display}"));
        }

        if (status != SequenceStatus.Error && sequence.Cycled)
        {
            var bound = sequence.Ascending ? "its MAXVALUE" : "its MINVALUE";
            parts.Add(F($"the sequence cycles: after {bound} its next value is {sequence.NextValue}"));
        }

        var others = sequence.Feeds.Where(f => f.RelationOid != target.RelationOid || f.AttributeNumber != target.AttributeNumber).ToList();
        if (others.Count > 0)
        {
            parts.Add("the sequence also feeds " + string.Join(", ", others.Take(5).Select(f => f.Row.Display))
                + (others.Count > 5 ? ", ..." : string.Empty));
        }

        if (status != SequenceStatus.Error && sequence.NextValue is { } next
            && SequenceMath.Beyond(next, sequence.Limit, sequence.Increment))
        {
            parts.Add(F($"exhausted: next value {next} is beyond {sequence.LimitSource} ({sequence.Limit})"));
        }
        else if (status != SequenceStatus.Error && sequence.CapacityUsed >= 0.8)
        {
            parts.Add(F($"{sequence.CapacityUsed:P1} of its range is used, up to {sequence.LimitSource} ({sequence.Limit})"));
        }

        if (!target.Row.Indexed)
        {
            var unindexed = target.Row.UnindexedPartitions;
            parts.Add(unindexed.Count == 0
                ? $"no index on {Identifiers.Display(target.Column)}: {extreme} scans the whole table"
                : $"no index on {Identifiers.Display(target.Column)} in "
                  + $"{(target.Row.RelationKind == "p" ? "partition" : "child table")}{(unindexed.Count > 1 ? "s" : string.Empty)} "
                  + string.Join(", ", unindexed.Take(5).Select(p => Identifiers.Display(p.Schema, p.Table)))
                  + (unindexed.Count > 5 ? F($" and {unindexed.Count - 5} more") : string.Empty)
                  + $": {extreme} scans {(unindexed.Count > 1 ? "them" : "it")}");
        }

        return JoinParts(parts);
    }

    /// <summary>Joins message parts with "; ", without doubling a part's own closing ";" (a GRANT statement) or ".".</summary>
    public static string JoinParts(IEnumerable<string> parts)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var part in parts.Where(p => p.Length > 0))
        {
            if (sb.Length > 0)
            {
                sb.Append(sb[^1] is ';' or '.' ? " " : "; ");
            }

            sb.Append(part);
        }

        return sb.ToString();
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
