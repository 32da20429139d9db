using System.Text.Json;
using Npgsql;

namespace SequenceOperator.Postgres;

/// <summary>
/// One row of <see cref="SequenceSql.DiscoverColumns"/>: a column a sequence may feed (linked to a sequence in
/// <c>pg_depend</c>, or with a default that calls <c>nextval</c>), as the catalog says.
/// </summary>
/// <param name="BaseTypeOid">The column's type, or for a domain the integer (or other) type beneath it.</param>
/// <param name="Identity">pg_attribute.attidentity: empty, <c>a</c> (ALWAYS) or <c>d</c> (BY DEFAULT).</param>
/// <param name="DefaultTree">The default as a node tree (<c>adbin::text</c>); null when the column has none.</param>
/// <param name="OwnedBy">Sequences owned by the column (serial, identity).</param>
/// <param name="DefaultDependsOn">Sequences the default depends on (named by a regclass constant).</param>
/// <param name="Ancestors">Every table this one inherits from (partitions: their parents), at any depth.</param>
/// <param name="OwnIndex">A valid, unconditional btree index leads with the column (always true for a partitioned table, which holds no
/// rows).</param>
/// <param name="UnindexedPartitions">Partitions and inheritance children, at any depth, with no such index of their own: MAX scans
/// them.</param>
/// <param name="LockWeight">How many relations reading MAX locks: the table, its children, and their indexes.</param>
/// <param name="RowsInserted">Rows ever inserted into the table and its partitions or children, by the statistics
/// (<c>n_tup_ins</c>).</param>
internal sealed record ColumnRow(
    long RelationOid,
    string Schema,
    string Table,
    string RelationKind,
    string Column,
    short AttributeNumber,
    long TypeOid,
    string TypeName,
    long BaseTypeOid,
    string BaseTypeName,
    string Identity,
    string? DefaultTree,
    IReadOnlyList<long> OwnedBy,
    IReadOnlyList<long> DefaultDependsOn,
    IReadOnlyList<long> Ancestors,
    bool OwnIndex,
    IReadOnlyList<(string Schema, string Table)> UnindexedPartitions,
    int LockWeight,
    bool CanSelectColumn,
    bool CanLockTable,
    bool SchemaUsable,
    long RowsInserted)
{
    public bool Indexed => OwnIndex && UnindexedPartitions.Count == 0;

    public string Display => Identifiers.Display(Schema, Table) + "." + Identifiers.Display(Column);

    /// <summary>Schema, table, column position, compared as PostgreSQL compares names (bytewise).</summary>
    public static int CatalogOrder(ColumnRow x, ColumnRow y)
    {
        var bySchema = string.CompareOrdinal(x.Schema, y.Schema);
        if (bySchema != 0)
        {
            return bySchema;
        }

        var byTable = string.CompareOrdinal(x.Table, y.Table);
        return byTable != 0 ? byTable : x.AttributeNumber.CompareTo(y.AttributeNumber);
    }

    /// <summary>
    /// Reads a row; <see cref="Ancestors"/> come from <see cref="Inheritance.AncestorsOf"/>, the names from
    /// <paramref name="names"/>.
    /// </summary>
    public static ColumnRow Read(NpgsqlDataReader r, Inheritance inheritance, NameTable names)
    {
        var (partitionWeight, partitionRows, unindexed) = r.IsDBNull(19) ? (0, 0L, []) : Partitions(r.GetString(19));
        var relation = r.GetInt64(0);
        var typeName = names.Intern(r.GetString(7));
        return new(
            relation, names.Intern(r.GetString(1)), names.Intern(r.GetString(2)), r.GetString(3), names.Intern(r.GetString(4)),
            r.GetInt16(5), r.GetInt64(6), typeName, r.GetInt64(8), r.IsDBNull(9) ? typeName : names.Intern(r.GetString(9)),
            r.GetString(10),
            r.IsDBNull(11) ? null : r.GetString(11), ArrayText.ReadInt64s(r.GetString(12)), ArrayText.ReadInt64s(r.GetString(13)),
            inheritance.AncestorsOf(relation), r.GetBoolean(14), unindexed, r.GetInt32(15) + partitionWeight,
            r.GetBoolean(16), r.GetBoolean(17), r.GetBoolean(18), r.GetInt64(20) + partitionRows);
    }

    /// <summary>
    /// The JSON the catalog query writes for a table with partitions or children:
    /// <c>{"weight": n, "inserted": n, "unindexed": [["schema", "table"], ...]}</c>.
    /// </summary>
    private static (int Weight, long Inserted, IReadOnlyList<(string Schema, string Table)> Unindexed) Partitions(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var weight = root.GetProperty("weight") is { ValueKind: JsonValueKind.Number } w ? w.GetInt32() : 0;
        var inserted = root.GetProperty("inserted") is { ValueKind: JsonValueKind.Number } n ? n.GetInt64() : 0;
        var unindexed = root.GetProperty("unindexed").EnumerateArray().Select(p => (p[0].GetString()!, p[1].GetString()!)).ToList();
        return (weight, inserted, unindexed);
    }
}

/// <summary>
/// The rows of <see cref="SequenceSql.Inheritance"/>: which table inherits from which (partitions from their
/// parent), so each table's ancestors are worked out here rather than by a recursive query per catalog row.
/// </summary>
internal sealed class Inheritance
{
    private readonly Dictionary<long, List<long>> _parents = [];

    public void Add(long child, long parent)
    {
        if (!_parents.TryGetValue(child, out var parents))
        {
            _parents[child] = parents = [];
        }

        parents.Add(parent);
    }

    /// <summary>Every table <paramref name="relation"/> inherits from, at any depth; empty for most tables.</summary>
    public IReadOnlyList<long> AncestorsOf(long relation)
    {
        if (!_parents.ContainsKey(relation))
        {
            return [];
        }

        var seen = new HashSet<long>();
        var pending = new Stack<long>([relation]);
        while (pending.TryPop(out var current))
        {
            foreach (var parent in _parents.GetValueOrDefault(current) ?? [])
            {
                if (seen.Add(parent))
                {
                    pending.Push(parent);
                }
            }
        }

        return [.. seen];
    }
}

/// <summary>One row of <see cref="SequenceSql.DiscoverSequences"/>.</summary>
/// <param name="Visible">The search_path finds it by its bare name (how a legacy <c>nextval('s'::text)</c> finds it).</param>
internal sealed record SequenceRow(
    long Oid,
    string Schema,
    string Name,
    long Increment,
    long Min,
    long Max,
    bool Cycle,
    bool CanSelect,
    bool CanUpdate,
    bool SchemaUsable,
    bool Visible)
{
    public string Display => Identifiers.Display(Schema, Name);

    /// <summary><c>schema.name</c> as it is, unquoted (what the operator's metrics and insights call the sequence).</summary>
    public string QualifiedName { get => field ?? $"{Schema}.{Name}"; init; }

    /// <summary>Reads a row, its names (and the qualified name) from <paramref name="names"/>.</summary>
    public static SequenceRow Read(NpgsqlDataReader r, NameTable names)
    {
        var (schema, name) = (names.Intern(r.GetString(1)), names.Intern(r.GetString(2)));
        return new(
            r.GetInt64(0), schema, name, r.GetInt64(3), r.GetInt64(4), r.GetInt64(5),
            r.GetBoolean(6), r.GetBoolean(7), r.GetBoolean(8), r.GetBoolean(9), r.GetBoolean(10))
        {
            QualifiedName = names.Intern($"{schema}.{name}"),
        };
    }
}

/// <summary>
/// A sequence feeding a column. <see cref="SkipReason"/> is null when the column holds the sequence's values (its
/// default is <c>nextval</c> itself, or it is an identity or owning column of an integer type) and so is judged;
/// else it says why the column is not judged.
/// </summary>
/// <param name="LimitTypeOid">The integer type that bounds the values: the column's (a domain's base type) or a narrower cast in its
/// default.</param>
/// <param name="CoveredByAncestor">A partition or child whose ancestor the same sequence feeds: the ancestor's MAX covers its rows.</param>
internal sealed record Feed(
    SequenceRow Sequence,
    ColumnRow Row,
    string? SkipReason,
    long LimitTypeOid,
    string LimitTypeName,
    bool CoveredByAncestor)
{
    public bool Judged => SkipReason is null;

    public long SequenceOid => Sequence.Oid;

    public long RelationOid => Row.RelationOid;

    public string Schema => Row.Schema;

    public string Table => Row.Table;

    public string Column => Row.Column;

    public short AttributeNumber => Row.AttributeNumber;

    public bool Descending => Sequence.Increment < 0;

    public ColumnKey ColumnKey => new(Row.RelationOid, Row.AttributeNumber, Descending);
}

/// <summary>A column measured for its extreme value (MAX, or MIN for a descending sequence).</summary>
internal readonly record struct ColumnKey(long RelationOid, short AttributeNumber, bool Descending);

/// <summary>One row of <see cref="SequenceSql.FindRelations"/>.</summary>
internal sealed record RelationRow(long Oid, string Schema, string Name, string Kind, bool Visible, IReadOnlyList<string> Columns)
{
    public static RelationRow Read(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetBoolean(4), ArrayText.ReadStrings(r.GetString(5)));

    public string KindName => Kind switch
    {
        "v" => "a view",
        "m" => "a materialized view",
        "f" => "a foreign table",
        _ => "a table",
    };
}
