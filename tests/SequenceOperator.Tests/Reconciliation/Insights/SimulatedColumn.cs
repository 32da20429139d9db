using SequenceOperator.Reconciliation.Insights;

namespace SequenceOperator.Tests.Reconciliation.Insights;

/// <summary>
/// A table with one sequence-fed key column, as the checks would read it: the sequence's next value, the table's
/// cumulative <c>n_tup_ins</c>, the highest key. Inserts go through the sequence or carry explicit ids.
/// </summary>
internal sealed class SimulatedColumn(
    string table = "cards",
    long start = 1,
    long increment = 1,
    long limit = int.MaxValue,
    string columnType = "int4")
{
    public FedColumn Column { get; } = new("public", table, "id");

    public string Sequence => $"public.{Column.Table}_id_seq";

    public long NextValue { get; set; } = start;

    public long RowsInserted { get; set; }

    /// <summary>MAX(id) (MIN for a descending sequence); null while the table is empty.</summary>
    public long? Extreme { get; private set; }

    public long? SequenceOid { get; set; } = 16_400;

    public DateTimeOffset? StatsReset { get; set; }

    public bool IsBehind => Extreme is { } h && (increment > 0 ? h >= NextValue : h <= NextValue);

    /// <summary>Rows inserted through the sequence (nextval for each).</summary>
    public void Insert(long rows)
    {
        if (rows > 0)
        {
            NextValue += rows * increment;
            Keep(NextValue - increment);
            RowsInserted += rows;
        }
    }

    /// <summary>Rows inserted with explicit ids, the highest being <paramref name="highestId"/> (an import).</summary>
    public void InsertExplicit(long rows, long highestId)
    {
        Keep(highestId);
        RowsInserted += rows;
    }

    /// <summary>What a check reads; in Repair mode a column found behind is repaired past its data.</summary>
    public SequenceSample Check(bool repair = false)
    {
        var behind = IsBehind;
        var before = NextValue;
        long? repaired = null;
        if (repair && behind)
        {
            NextValue = Extreme!.Value + increment;
            repaired = NextValue;
        }

        return new SequenceSample
        {
            Column = Column,
            Sequence = Sequence,
            SequenceOid = SequenceOid,
            NextValue = before,
            Increment = increment,
            RowsInserted = RowsInserted,
            StatsResetTime = StatsReset,
            Behind = behind,
            RepairedNextValue = repaired,
            Limit = limit,
            ColumnType = columnType,
        };
    }

    private void Keep(long id) => Extreme = Extreme is not { } h ? id : increment > 0 ? Math.Max(h, id) : Math.Min(h, id);
}
