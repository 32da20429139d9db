using Npgsql;

namespace SequenceOperator.Postgres;

/// <summary>One row of <see cref="SequenceSql.Discovery"/>: a sequence feeding a column, as the catalog says.</summary>
internal sealed record Feed(
    long SequenceOid,
    string SequenceSchema,
    string SequenceName,
    long Increment,
    long SequenceMin,
    long SequenceMax,
    bool Cycle,
    long RelationOid,
    string Schema,
    string Table,
    string RelationKind,
    string Column,
    short AttributeNumber,
    long TypeOid,
    string TypeName,
    bool Indexed,
    bool CanSelectColumn,
    bool CanSelectSequence,
    bool CanUpdateSequence,
    bool CanLockTable,
    bool CoveredByAncestor)
{
    public bool Descending => Increment < 0;

    public ColumnKey ColumnKey => new(RelationOid, AttributeNumber, Descending);

    public static Feed Read(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetBoolean(6),
        r.GetInt64(7), r.GetString(8), r.GetString(9), r.GetString(10), r.GetString(11), r.GetInt16(12), r.GetInt64(13),
        r.GetString(14), r.GetBoolean(15), r.GetBoolean(16), r.GetBoolean(17), r.GetBoolean(18), r.GetBoolean(19), r.GetBoolean(20));
}

/// <summary>A column measured for its extreme value (MAX, or MIN for a descending sequence).</summary>
internal readonly record struct ColumnKey(long RelationOid, short AttributeNumber, bool Descending);

/// <summary>One row of <see cref="SequenceSql.FindRelations"/>.</summary>
internal sealed record RelationRow(long Oid, string Schema, string Name, string Kind, bool Visible, IReadOnlyList<string> Columns)
{
    public static RelationRow Read(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetBoolean(4), r.GetFieldValue<string[]>(5));

    public string KindName => Kind switch
    {
        "v" => "a view",
        "m" => "a materialized view",
        "f" => "a foreign table",
        _ => "a table",
    };
}
