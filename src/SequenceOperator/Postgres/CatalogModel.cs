using System.Text.Json;
using Npgsql;

namespace SequenceOperator.Postgres;

/// <summary>
/// A column a sequence may feed (linked to a sequence in <c>pg_depend</c>, or with a default that calls
/// <c>nextval</c>), as the catalog says: a row of <see cref="SequenceSql.DiscoverColumns"/>, completed by
/// <see cref="ColumnDetails"/> where its type is a domain or its table has partitions or inheritance children.
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
    /// Reads a row of <see cref="SequenceSql.DiscoverColumns"/>; <see cref="Ancestors"/> come from
    /// <see cref="Inheritance.AncestorsOf"/>, the names from <paramref name="names"/>. The row is what the table
    /// holds itself (its type as <see cref="BaseTypeOid"/>, its own lock weight and rows, no unindexed partitions)
    /// until <see cref="ColumnDetails.Complete"/> adds what lies beneath: a domain's base type, the partitions'.
    /// </summary>
    public static ColumnDraft Read(NpgsqlDataReader r, Inheritance inheritance, NameTable names)
    {
        var relation = r.GetInt64(0);
        var (typeOid, typeName) = (r.GetInt64(6), names.Intern(r.GetString(7)));
        var row = new ColumnRow(
            relation, names.Intern(r.GetString(1)), names.Intern(r.GetString(2)), r.GetString(3), names.Intern(r.GetString(4)),
            r.GetInt16(5), typeOid, typeName, typeOid, typeName, r.GetString(9),
            r.IsDBNull(10) ? null : r.GetString(10), ArrayText.ReadInt64s(r.GetString(11)), ArrayText.ReadInt64s(r.GetString(12)),
            inheritance.AncestorsOf(relation), r.GetBoolean(13), [], r.GetInt32(14),
            r.GetBoolean(15), r.GetBoolean(16), r.GetBoolean(17), r.GetInt64(19));
        return new ColumnDraft(row, Domain: r.GetBoolean(8), HasChildren: r.GetBoolean(18));
    }
}

/// <summary>
/// A row of <see cref="SequenceSql.DiscoverColumns"/> as read (<see cref="ColumnRow.Read"/>), and whether
/// <see cref="ColumnDetails"/> must complete it: its type is a domain (<paramref name="Domain"/>), its table may have
/// partitions or inheritance children (<paramref name="HasChildren"/>, <c>relhassubclass</c>).
/// </summary>
internal readonly record struct ColumnDraft(ColumnRow Row, bool Domain, bool HasChildren);

/// <summary>
/// What the rows of <see cref="SequenceSql.DiscoverColumns"/> that need it lack, asked for in one more round trip
/// only when a row needs it (most databases have no domain columns and no partitions): the base type of each domain
/// (<see cref="SequenceSql.DomainBases"/>) and what each parent's partitions and children add
/// (<see cref="SequenceSql.Partitions"/>). Both read the catalog as it is then, in a read-only transaction of their
/// own (one transaction would not give one view: at READ COMMITTED each statement reads the catalog as it is when
/// it starts, as the first batch's statements already do). A domain or table dropped since the first read has no
/// row here, and the column read with it is left out (<see cref="Complete"/>), as if discovery had run a moment
/// later: a column is never reported without its domain's base type or its partitions.
/// </summary>
internal sealed class ColumnDetails
{
    private readonly long[] _domains;
    private readonly (long Relation, short Attribute)[] _parents;
    private readonly Dictionary<long, (long Oid, string Name)> _bases = [];
    private readonly Dictionary<(long Relation, short Attribute), Beneath> _beneath = [];

    private ColumnDetails(long[] domains, (long Relation, short Attribute)[] parents) => (_domains, _parents) = (domains, parents);

    /// <summary>Something to ask for: false for a database without domain columns and partitions or children.</summary>
    public bool Needed => Domains + Parents > 0;

    /// <summary>How many domains' base types to read.</summary>
    public int Domains => _domains.Length;

    /// <summary>How many columns of tables with partitions or children to read what those add for.</summary>
    public int Parents => _parents.Length;

    /// <summary>What <paramref name="drafts"/> need: each domain once, each parent's column once.</summary>
    public static ColumnDetails For(IReadOnlyList<ColumnDraft> drafts) => new(
        [.. drafts.Where(d => d.Domain).Select(d => d.Row.TypeOid).Distinct()],
        [.. drafts.Where(d => d.HasChildren).Select(d => (d.Row.RelationOid, d.Row.AttributeNumber)).Distinct()]);

    /// <summary>
    /// The statements to run, in the order <see cref="Read"/> expects their result sets; none when not
    /// <see cref="Needed"/>.
    /// </summary>
    public IEnumerable<NpgsqlBatchCommand> Statements()
    {
        if (_domains.Length > 0)
        {
            yield return new NpgsqlBatchCommand(SequenceSql.DomainBases) { Parameters = { ArrayText.Parameter(_domains) } };
        }

        if (_parents.Length > 0)
        {
            yield return new NpgsqlBatchCommand(SequenceSql.Partitions)
            {
                Parameters =
                {
                    ArrayText.Parameter(_parents.Select(p => p.Relation)), ArrayText.Parameter(_parents.Select(p => (long)p.Attribute)),
                },
            };
        }
    }

    /// <summary>Reads a row of result set <paramref name="resultSet"/> of <see cref="Statements"/>.</summary>
    public void Read(int resultSet, NpgsqlDataReader r, NameTable names)
    {
        if (resultSet == 0 && _domains.Length > 0)
        {
            _bases[r.GetInt64(0)] = (r.GetInt64(1), names.Intern(r.GetString(2)));
            return;
        }

        _beneath[(r.GetInt64(0), r.GetInt16(1))] = new Beneath(r.GetInt32(2), r.GetInt64(3), Unindexed(r.GetString(4)));
    }

    /// <summary>
    /// The row of <paramref name="draft"/>, with the base type of its domain and what its partitions or children add
    /// to its lock weight and rows inserted, and which of them lack an index; null when the domain or the table has
    /// gone since it was read.
    /// </summary>
    public ColumnRow? Complete(ColumnDraft draft)
    {
        var row = draft.Row;
        if (draft.Domain)
        {
            if (!_bases.TryGetValue(row.TypeOid, out var type))
            {
                return null;
            }

            row = row with { BaseTypeOid = type.Oid, BaseTypeName = type.Name };
        }

        if (draft.HasChildren)
        {
            if (!_beneath.TryGetValue((row.RelationOid, row.AttributeNumber), out var beneath))
            {
                return null;
            }

            row = row with
            {
                LockWeight = row.LockWeight + beneath.Weight,
                RowsInserted = row.RowsInserted + beneath.Inserted,
                UnindexedPartitions = beneath.Unindexed,
            };
        }

        return row;
    }

    /// <summary>
    /// The partitions without an index, as <see cref="SequenceSql.Partitions"/> writes them:
    /// <c>[["schema", "table"], ...]</c>.
    /// </summary>
    private static List<(string Schema, string Table)> Unindexed(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(p => (p[0].GetString()!, p[1].GetString()!)).ToList();
    }

    /// <summary>What a parent's partitions and children add, for one of its columns.</summary>
    private sealed record Beneath(int Weight, long Inserted, IReadOnlyList<(string Schema, string Table)> Unindexed);
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
