namespace SequenceOperator.Postgres;

/// <summary>
/// Sequences repaired in one transaction and one round trip: lock every table they feed (SHARE ROW EXCLUSIVE blocks
/// writers and other repairers, not readers) with a lock_timeout, then statements of a few sequences each that
/// re-read the data and each sequence under the lock and call setval only on those still behind. A sequence never moves backwards: the new
/// next value passes a MAX read while no writer can insert, and is only set when that MAX is at or past the current
/// next value, both read in the statement that sets it.
/// </summary>
/// <param name="Sequences">The sequences, in the order of the statement's rows.</param>
/// <param name="ReadRelation">
/// Read the (single) sequence's state from its relation rather than with <c>pg_sequence_last_value</c>: exact
/// whatever its state, for a sequence repaired on its own.
/// </param>
internal sealed record RepairGroup(IReadOnlyList<SequenceInspection> Sequences, bool ReadRelation = false)
{
    private const int RowsPerStatement = 8;

    /// <summary>One sequence on its own, its state read from its relation.</summary>
    public static RepairGroup Single(SequenceInspection sequence) => new([sequence], true);

    public IEnumerable<string> Statements(long headroom, RunSettings settings)
    {
        yield return SequenceSql.Begin;
        yield return SequenceSql.SetLocalLockTimeout(settings.LockTimeout);
        yield return SequenceSql.SetLocalStatementTimeout(settings.StatementTimeout);
        yield return SequenceSql.LockTables(Sequences.SelectMany(s => s.LockTables)
            .DistinctBy(f => f.RelationOid)
            .OrderBy(f => f.RelationOid)
            .Select(f => (f.Schema, f.Table)));
        // Statements of a few sequences each, all in the same round trip: planning such a statement grows faster than
        // its rows (server CPU of the pass over 1,000 tables: about 100 ms at 8 rows, 250 ms at 16, 340 ms at 133).
        for (var first = 0; first < Sequences.Count; first += RowsPerStatement)
        {
            var rows = Sequences.Skip(first).Take(RowsPerStatement).Select(Target).ToList();
            yield return SequenceSql.RepairSequences(rows, headroom, ReadRelation, first);
        }

        yield return SequenceSql.Commit;
    }

    /// <summary>The statements as a script a person can review (what <c>repair --dry-run</c> prints).</summary>
    public string Script(long headroom, RunSettings settings) =>
        string.Join(";\n", Statements(headroom, settings)) + ";";

    private static SetvalTarget Target(SequenceInspection s) => new(s.Schema, s.Name, s.Increment, s.Limit, s.Row.Cycle,
        s.Min, s.Max, s.Feeds.Select(f => (f.Schema, f.Table, f.Column)).ToList(), !s.Called);
}
