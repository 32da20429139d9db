using System.Globalization;
using System.Text;

namespace SequenceOperator.Postgres;

/// <summary>
/// Every SQL statement the engine runs. Identifiers are read from the catalog and quoted with
/// <see cref="Identifiers.Quote(string)"/>; numbers are formatted invariantly; user input only ever arrives as a
/// parameter (<c>$1</c>). Nothing here is ever built from a string the user typed.
/// </summary>
internal static class SequenceSql
{
    /// <summary>Opens the read-only transaction a check runs in.</summary>
    public const string BeginReadOnly = "BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY";

    public const string Begin = "BEGIN";

    public const string Commit = "COMMIT";

    public const string Rollback = "ROLLBACK";

    public const string CurrentUser = "SELECT current_user::text, current_database()::text";

    /// <summary>
    /// Every (sequence, table, column) where the sequence feeds the column, outside the system schemas: owned by the
    /// column (serial, bigserial: deptype 'a'; identity: 'i'), or named by the column's DEFAULT nextval(...) (a
    /// dependency of the default on the sequence), whoever owns it. Partitions and inheritance children that take
    /// the same sequence as an ancestor are flagged: the ancestor's MAX already covers their rows.
    /// </summary>
    public const string Discovery = """
        WITH RECURSIVE
        feeds AS (
            SELECT d.objid AS seq_oid, d.refobjid AS rel_oid, d.refobjsubid::int2 AS attnum
            FROM pg_catalog.pg_depend d
            WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
              AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
              AND d.refobjsubid > 0
              AND d.deptype IN ('a', 'i')
            UNION
            SELECT d.refobjid, ad.adrelid, ad.adnum
            FROM pg_catalog.pg_depend d
            JOIN pg_catalog.pg_attrdef ad ON ad.oid = d.objid
            WHERE d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass
              AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
              AND pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) LIKE '%nextval(%'
        ),
        ancestry AS (
            SELECT i.inhrelid AS rel_oid, i.inhparent AS ancestor_oid FROM pg_catalog.pg_inherits i
            UNION
            SELECT a.rel_oid, i.inhparent FROM ancestry a JOIN pg_catalog.pg_inherits i ON i.inhrelid = a.ancestor_oid
        )
        SELECT f.seq_oid::int8, sn.nspname::text, s.relname::text,
               sq.seqincrement, sq.seqmin, sq.seqmax, sq.seqcycle,
               f.rel_oid::int8, tn.nspname::text, t.relname::text, t.relkind::text,
               a.attname::text, f.attnum, a.atttypid::int8, pg_catalog.format_type(a.atttypid, a.atttypmod),
               EXISTS (
                   SELECT 1
                   FROM pg_catalog.pg_index i
                   JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                   JOIN pg_catalog.pg_am am ON am.oid = ic.relam
                   WHERE i.indrelid = f.rel_oid AND i.indkey[0] = f.attnum AND am.amname = 'btree'
                     AND i.indpred IS NULL AND (i.indisvalid OR t.relkind = 'p')
               ) AS indexed,
               pg_catalog.has_column_privilege(f.rel_oid, f.attnum, 'SELECT') AS can_select_column,
               pg_catalog.has_sequence_privilege(f.seq_oid, 'SELECT') AS can_select_sequence,
               pg_catalog.has_sequence_privilege(f.seq_oid, 'UPDATE') AS can_update_sequence,
               pg_catalog.has_table_privilege(f.rel_oid, 'UPDATE, DELETE, TRUNCATE') AS can_lock_table,
               EXISTS (
                   SELECT 1 FROM ancestry an JOIN feeds f2 ON f2.rel_oid = an.ancestor_oid AND f2.seq_oid = f.seq_oid
                   WHERE an.rel_oid = f.rel_oid
               ) AS covered_by_ancestor
        FROM feeds f
        JOIN pg_catalog.pg_class s ON s.oid = f.seq_oid AND s.relkind = 'S'
        JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
        JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = f.seq_oid
        JOIN pg_catalog.pg_class t ON t.oid = f.rel_oid AND t.relkind IN ('r', 'p')
        JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
        JOIN pg_catalog.pg_attribute a ON a.attrelid = f.rel_oid AND a.attnum = f.attnum AND NOT a.attisdropped
        WHERE tn.nspname <> 'information_schema' AND tn.nspname !~ '^pg_'
        ORDER BY tn.nspname, t.relname, f.attnum, sn.nspname, s.relname
        """;

    /// <summary>
    /// Relations whose name is one of <c>$1</c> (the names as typed and as PostgreSQL would fold them), with their
    /// columns and whether the search_path finds them first, so table entries are matched against the catalog
    /// rather than put into SQL.
    /// </summary>
    public const string FindRelations = """
        SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text, pg_catalog.pg_table_is_visible(c.oid),
               ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        """;

    public static string SetLocalStatementTimeout(TimeSpan timeout) =>
        "SET LOCAL statement_timeout = " + Milliseconds(timeout);

    public static string SetLocalLockTimeout(TimeSpan timeout) =>
        "SET LOCAL lock_timeout = " + Milliseconds(timeout);

    /// <summary>One arm of the MAX (MIN for descending) query: <c>SELECT i, (SELECT max(col) FROM t)::numeric</c>; served by a btree index where there is one.</summary>
    public static string ExtremeArm(int index, string schema, string table, string column, bool descending) =>
        string.Create(CultureInfo.InvariantCulture,
            $"SELECT {index} AS i, (SELECT {(descending ? "min" : "max")}({Identifiers.Quote(column)}) FROM {Identifiers.Quote(schema, table)})::numeric AS v");

    /// <summary>One arm of the sequence query: the sequence relation itself, so a never-used sequence reads right.</summary>
    public static string SequenceArm(int index, string schema, string name) =>
        string.Create(CultureInfo.InvariantCulture,
            $"SELECT {index} AS i, last_value, is_called FROM {Identifiers.Quote(schema, name)}");

    /// <summary>Joins arms into one statement.</summary>
    public static string UnionAll(IEnumerable<string> arms) => string.Join("\nUNION ALL\n", arms);

    /// <summary><c>LOCK TABLE a, b IN SHARE ROW EXCLUSIVE MODE</c>: blocks writers and other repairers, not readers.</summary>
    public static string LockTables(IEnumerable<(string Schema, string Table)> tables) =>
        "LOCK TABLE " + string.Join(", ", tables.Select(t => Identifiers.Quote(t.Schema, t.Table))) + " IN SHARE ROW EXCLUSIVE MODE";

    /// <summary>
    /// Re-reads, under the table locks, the data's extreme value and the sequence, and calls setval only when the
    /// sequence is still behind and the new next value stays within <paramref name="limit"/>. Returns
    /// (i, h, last_value, is_called, set_to); set_to is null when nothing was set.
    /// </summary>
    public static string ConditionalSetvalArm(int index, string sequenceSchema, string sequenceName, long increment,
        long headroom, decimal limit, IReadOnlyList<(string Schema, string Table, string Column)> columns)
    {
        var descending = increment < 0;
        var extremes = columns.Select(c =>
            $"(SELECT {(descending ? "floor(min" : "ceil(max")}({Identifiers.Quote(c.Column)})::numeric) FROM {Identifiers.Quote(c.Schema, c.Table)})");
        var h = (descending ? "LEAST(" : "GREATEST(") + string.Join(", ", extremes) + ")";
        var inc = increment.ToString(CultureInfo.InvariantCulture);
        var room = headroom.ToString(CultureInfo.InvariantCulture);
        var lim = limit.ToString(CultureInfo.InvariantCulture);
        var behind = descending ? "x.h <= x.next_value" : "x.h >= x.next_value";
        var target = descending ? $"x.h - {room}" : $"x.h + {room}";
        var withinLimit = descending ? $"{target} + ({inc}) >= {lim}" : $"{target} + {inc} <= {lim}";
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"SELECT {index} AS i, x.h, x.last_value, x.is_called,\n");
        sb.Append(CultureInfo.InvariantCulture, $"       CASE WHEN x.h IS NOT NULL AND {behind} AND {withinLimit}\n");
        sb.Append(CultureInfo.InvariantCulture, $"            THEN pg_catalog.setval(x.seq, ({target})::bigint, true) END AS set_to\n");
        sb.Append(CultureInfo.InvariantCulture, $"FROM (SELECT q.tableoid::pg_catalog.regclass AS seq, q.last_value, q.is_called,\n");
        sb.Append(CultureInfo.InvariantCulture, $"             CASE WHEN q.is_called THEN q.last_value::numeric + ({inc}) ELSE q.last_value::numeric END AS next_value,\n");
        sb.Append(CultureInfo.InvariantCulture, $"             {h} AS h\n");
        sb.Append(CultureInfo.InvariantCulture, $"      FROM {Identifiers.Quote(sequenceSchema, sequenceName)} q) x");
        return sb.ToString();
    }

    private static string Milliseconds(TimeSpan timeout) =>
        "'" + ((long)Math.Max(1, Math.Ceiling(timeout.TotalMilliseconds))).ToString(CultureInfo.InvariantCulture) + "ms'";
}
