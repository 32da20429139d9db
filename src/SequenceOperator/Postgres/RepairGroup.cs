namespace SequenceOperator.Postgres;

/// <summary>
/// Sequences repaired in one transaction: lock every table they feed (SHARE ROW EXCLUSIVE blocks writers and other
/// repairers, not readers) with a lock_timeout, re-read the data and each sequence under the lock, and setval only
/// those still behind. A sequence never moves backwards: the new next value passes a MAX read while no writer can
/// insert, and is only set when that MAX is at or past the current next value.
/// </summary>
internal sealed record RepairGroup(IReadOnlyList<SequenceInspection> Sequences)
{
    public IEnumerable<string> Statements(long headroom, RunSettings settings)
    {
        yield return SequenceSql.Begin;
        yield return SequenceSql.SetLocalLockTimeout(settings.LockTimeout);
        yield return SequenceSql.SetLocalStatementTimeout(settings.StatementTimeout);
        yield return SequenceSql.LockTables(Sequences.SelectMany(s => s.LockTables)
            .DistinctBy(f => f.RelationOid)
            .OrderBy(f => f.RelationOid)
            .Select(f => (f.Schema, f.Table)));
        // One small statement per sequence: a large UNION ALL plans slower than its parts.
        for (var i = 0; i < Sequences.Count; i++)
        {
            var s = Sequences[i];
            yield return SequenceSql.ConditionalSetvalArm(i, s.Schema, s.Name, s.Increment, headroom, s.Limit,
                s.Feeds.Select(f => (f.Schema, f.Table, f.Column)).ToList(), s.Row.Cycle ? (s.Min, s.Max) : null);
        }

        yield return SequenceSql.Commit;
    }

    /// <summary>The statements as a script a person can review (what <c>repair --dry-run</c> prints).</summary>
    public string Script(long headroom, RunSettings settings) =>
        string.Join(";\n", Statements(headroom, settings)) + ";";
}
