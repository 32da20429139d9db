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

    /// <summary>
    /// Who runs the check, in which database, whether that role is a superuser (then the per-row privilege
    /// functions are skipped), and when this database's statistics were last reset (for <c>RowsInserted</c>).
    /// </summary>
    public const string CurrentUser = """
        SELECT current_user::text, pg_catalog.current_database()::text,
               pg_catalog.pg_stat_get_db_stat_reset_time(
                   (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()))
        """;

    /// <summary>
    /// Every column a sequence may feed, outside the system schemas: a column that owns a sequence (serial and
    /// identity columns: <c>pg_depend</c> deptype 'a' and 'i' from a sequence), or whose default depends on a sequence
    /// or calls <c>nextval</c> at all (<c>nextval('s'::text)</c> records no dependency). Reads the catalog only: the
    /// default comes as its node tree (<c>adbin::text</c>), never through <c>pg_get_expr</c>, which opens the table and
    /// so waits for any lock on it. Also: whether an index serves MAX on the table, how many relations reading MAX
    /// locks on the table itself, the rows inserted into it (statistics, no grant needed), and whether the row needs
    /// <see cref="DomainBases"/> (its type is a domain) or <see cref="Partitions"/> (<c>relhassubclass</c>: it may have
    /// partitions or inheritance children).
    /// <para>Shaped for a fresh connection, whose cost is the catalog pages and cache entries it touches and, as much,
    /// the planning: one scan each of <c>pg_depend</c> (both kinds of link, checked against <c>pg_sequence</c> by a
    /// hashed subplan) and of <c>pg_attrdef</c> (without carrying the default along), nothing materialized, sorted or
    /// hashed but those links; per candidate column only index probes on unique or leading index columns (its table,
    /// attribute, type, indexes and default, the tree fetched last). The privilege functions only run for a role that
    /// is not a superuser; ancestors come from <see cref="Inheritance"/>. What only some databases need (the domain
    /// chain, the recursion into partitions) is not here: a subquery is planned even where it never runs, and those
    /// two doubled this statement's planning time; the engine asks for them in a second round trip, and only when a
    /// row needs them. Right after a restore the catalog's statistics are stale: no per-row step is a join the
    /// planner could turn into a loop over a whole catalog. The rows come unordered; the engine sorts them.</para>
    /// </summary>
    public const string DiscoverColumns = """
        WITH links AS (
            SELECT d.classid, d.objid, d.refobjid, d.refobjsubid
            FROM pg_catalog.pg_depend d
            WHERE d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objsubid = 0
              AND ((d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0
                    AND d.objid IN (SELECT sq.seqrelid FROM pg_catalog.pg_sequence sq))
                OR (d.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND d.deptype = 'n'
                    AND d.refobjid IN (SELECT sq.seqrelid FROM pg_catalog.pg_sequence sq)))
        ),
        candidates AS (
            SELECT f.rel_oid, f.attnum,
                   pg_catalog.array_agg(f.seq) FILTER (WHERE f.owning AND f.seq IS NOT NULL) AS owned,
                   pg_catalog.array_agg(f.seq) FILTER (WHERE NOT f.owning AND f.seq IS NOT NULL) AS by_default
            FROM (
                SELECT l.refobjid AS rel_oid, l.refobjsubid::int2 AS attnum, l.objid::int8 AS seq, true AS owning
                FROM links l WHERE l.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                UNION ALL
                SELECT ad.adrelid, ad.adnum, l.refobjid::int8, false
                FROM pg_catalog.pg_attrdef ad
                LEFT JOIN links l ON l.classid = 'pg_catalog.pg_attrdef'::pg_catalog.regclass AND l.objid = ad.oid
                WHERE l.objid IS NOT NULL OR pg_catalog.strpos(ad.adbin::text, ':funcid 1574 ') > 0
            ) f
            GROUP BY f.rel_oid, f.attnum
        ),
        columns AS (
            SELECT c.rel_oid, c.attnum, c.owned, c.by_default, n.nspname, n.oid AS nsp_oid, t.relname, t.relkind, t.relhassubclass,
                   a.attname, a.atttypid, a.atttypmod, a.attidentity, ty.typtype
            FROM candidates c
            JOIN pg_catalog.pg_class t ON t.oid = c.rel_oid AND t.relkind IN ('r', 'p')
            JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'
            JOIN pg_catalog.pg_attribute a ON a.attrelid = c.rel_oid AND a.attnum = c.attnum AND NOT a.attisdropped
            JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
        ),
        role AS MATERIALIZED (
            SELECT pg_catalog.current_setting('is_superuser')::bool AS super,
                   (SELECT am.oid FROM pg_catalog.pg_am am WHERE am.amname = 'btree') AS btree
        )
        SELECT c.rel_oid::int8, c.nspname::text, c.relname::text, c.relkind::text,
               c.attname::text, c.attnum, c.atttypid::int8, pg_catalog.format_type(c.atttypid, c.atttypmod),
               c.typtype = 'd',
               c.attidentity::text,
               (SELECT ad.adbin::text FROM pg_catalog.pg_attrdef ad WHERE ad.adrelid = c.rel_oid AND ad.adnum = c.attnum),
               COALESCE(c.owned, '{}')::text, COALESCE(c.by_default, '{}')::text,
               c.relkind = 'p' OR COALESCE(ix.own, false),
               (1 + ix.indexes)::int4,
               r.super OR pg_catalog.has_column_privilege(c.rel_oid, c.attnum, 'SELECT'),
               r.super OR pg_catalog.has_table_privilege(c.rel_oid, 'UPDATE, DELETE, TRUNCATE'),
               r.super OR pg_catalog.has_schema_privilege(c.nsp_oid, 'USAGE'),
               c.relhassubclass,
               pg_catalog.pg_stat_get_tuples_inserted(c.rel_oid)
        FROM columns c
        CROSS JOIN role r
        CROSS JOIN LATERAL (
            SELECT pg_catalog.count(*) AS indexes,
                   pg_catalog.bool_or(i.indkey[0] = c.attnum AND i.indpred IS NULL AND i.indisvalid
                                      AND (SELECT oc.opcmethod FROM pg_catalog.pg_opclass oc WHERE oc.oid = i.indclass[0]) = r.btree) AS own
            FROM pg_catalog.pg_index i
            WHERE i.indrelid = c.rel_oid
        ) ix
        """;

    /// <summary>
    /// For each domain in <c>$1</c> (type OIDs: the domain columns of <see cref="DiscoverColumns"/>), the type at the
    /// bottom of its chain of domains (a domain over a domain over int4: int4), its OID and name. A domain that no
    /// longer exists has no row. Catalog only.
    /// </summary>
    public const string DomainBases = """
        WITH RECURSIVE chain AS (
            SELECT ty.oid AS domain, ty.typbasetype AS oid, 1 AS depth
            FROM pg_catalog.pg_type ty WHERE ty.oid = ANY($1::pg_catalog.oid[]) AND ty.typtype = 'd'
            UNION ALL
            SELECT ch.domain, ty.typbasetype, ch.depth + 1 FROM chain ch JOIN pg_catalog.pg_type ty ON ty.oid = ch.oid AND ty.typtype = 'd'
        )
        SELECT DISTINCT ON (ch.domain) ch.domain::int8, ch.oid::int8, pg_catalog.format_type(ch.oid, NULL)
        FROM chain ch ORDER BY ch.domain, ch.depth DESC
        """;

    /// <summary>
    /// For each column <c>$1[i]</c>, <c>$2[i]</c> (table OID and attribute number: the rows of
    /// <see cref="DiscoverColumns"/> whose table has <c>relhassubclass</c>), what its partitions and inheritance
    /// children add, at any depth: how many relations reading MAX locks on them (each, and its indexes), their rows
    /// inserted (statistics), and, as JSON (<c>[["schema", "table"], ...]</c>, ordered), the ones with no valid,
    /// unconditional btree index of their own leading with the column (found by its name, which a child may hold at
    /// another position); a partitioned child holds no rows and so needs none. A table with no children left
    /// (<c>relhassubclass</c> is cleared lazily) adds nothing; a table or column that no longer exists has no row.
    /// Catalog and statistics only: no lock on any of them.
    /// </summary>
    public const string Partitions = """
        SELECT p.rel::int8, p.attnum, COALESCE(x.weight, 0)::int4, COALESCE(x.inserted, 0)::int8, x.unindexed::text
        FROM ROWS FROM (pg_catalog.unnest($1::pg_catalog.oid[]), pg_catalog.unnest($2::pg_catalog.int2[])) AS p(rel, attnum)
        JOIN pg_catalog.pg_attribute a ON a.attrelid = p.rel AND a.attnum = p.attnum AND NOT a.attisdropped
        CROSS JOIN LATERAL (
            WITH RECURSIVE down AS (
                SELECT i.inhrelid AS oid FROM pg_catalog.pg_inherits i WHERE i.inhparent = p.rel
                UNION
                SELECT i.inhrelid FROM down JOIN pg_catalog.pg_inherits i ON i.inhparent = down.oid
            )
            SELECT pg_catalog.sum(1 + (SELECT pg_catalog.count(*) FROM pg_catalog.pg_index i WHERE i.indrelid = lc.oid)) AS weight,
                   pg_catalog.sum(pg_catalog.pg_stat_get_tuples_inserted(lc.oid)) AS inserted,
                   COALESCE(pg_catalog.json_agg(pg_catalog.json_build_array(ln.nspname, lc.relname) ORDER BY ln.nspname, lc.relname)
                       FILTER (WHERE lc.relkind <> 'p' AND NOT EXISTS (
                           SELECT 1
                           FROM pg_catalog.pg_attribute la
                           JOIN pg_catalog.pg_index i ON i.indrelid = lc.oid AND i.indkey[0] = la.attnum
                           JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                           JOIN pg_catalog.pg_am am ON am.oid = ic.relam
                           WHERE la.attrelid = lc.oid AND la.attname = a.attname AND am.amname = 'btree'
                             AND i.indpred IS NULL AND i.indisvalid)), '[]') AS unindexed
            FROM down
            JOIN pg_catalog.pg_class lc ON lc.oid = down.oid
            JOIN pg_catalog.pg_namespace ln ON ln.oid = lc.relnamespace
        ) x
        """;

    /// <summary>Every inheritance link (partition or child, and its parent): the engine works out each table's ancestors.</summary>
    public const string Inheritance = "SELECT i.inhrelid::int8, i.inhparent::int8 FROM pg_catalog.pg_inherits i";

    /// <summary>
    /// Every sequence, with what a check and a repair need to know of it; whether the search_path finds it by its
    /// bare name resolves legacy <c>nextval('s'::text)</c> defaults. Catalog only; the privilege functions only
    /// when the role is not a superuser.
    /// </summary>
    public const string DiscoverSequences = """
        WITH role AS MATERIALIZED (SELECT pg_catalog.current_setting('is_superuser')::bool AS super)
        SELECT s.oid::int8, sn.nspname::text, s.relname::text, sq.seqincrement, sq.seqmin, sq.seqmax, sq.seqcycle,
               r.super OR pg_catalog.has_sequence_privilege(s.oid, 'SELECT'),
               r.super OR pg_catalog.has_sequence_privilege(s.oid, 'UPDATE'),
               r.super OR pg_catalog.has_schema_privilege(sn.oid, 'USAGE'), pg_catalog.pg_table_is_visible(s.oid)
        FROM pg_catalog.pg_sequence sq
        JOIN pg_catalog.pg_class s ON s.oid = sq.seqrelid
        JOIN pg_catalog.pg_namespace sn ON sn.oid = s.relnamespace
        CROSS JOIN role r
        """;

    /// <summary>
    /// Names of operators (<c>$1</c>), functions (<c>$2</c>) and types (<c>$3</c>), to render defaults that are not
    /// judged.
    /// </summary>
    public const string ExpressionNames = """
        SELECT 'o', o.oid::int8, o.oprname::text FROM pg_catalog.pg_operator o WHERE o.oid = ANY($1::pg_catalog.oid[])
        UNION ALL
        SELECT 'p', p.oid::int8, p.proname::text FROM pg_catalog.pg_proc p WHERE p.oid = ANY($2::pg_catalog.oid[])
        UNION ALL
        SELECT 't', t.oid::int8, pg_catalog.format_type(t.oid, NULL) FROM pg_catalog.pg_type t WHERE t.oid = ANY($3::pg_catalog.oid[])
        """;

    /// <summary>
    /// Relations in this database that another session holds, or waits for, in ACCESS EXCLUSIVE mode (the only mode
    /// that blocks a reader), each with the table it belongs to (an index's table) and that table's ancestors.
    /// </summary>
    public const string LockedRelations = """
        WITH RECURSIVE locked AS (
            SELECT DISTINCT COALESCE(i.indrelid, l.relation) AS oid, l.granted
            FROM pg_catalog.pg_locks l
            LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = l.relation
            WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock' AND l.pid <> pg_catalog.pg_backend_pid()
              AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
            UNION
            SELECT i.inhparent, k.granted FROM locked k JOIN pg_catalog.pg_inherits i ON i.inhrelid = k.oid
        )
        SELECT oid::int8, pg_catalog.bool_or(granted) FROM locked GROUP BY oid
        """;

    /// <summary>
    /// Relations whose name is one of <c>$1</c> (the names as typed and as PostgreSQL would fold them), with their
    /// columns and whether the search_path finds them first, so table entries are matched against the catalog
    /// rather than put into SQL.
    /// </summary>
    public const string FindRelations = """
        SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text, pg_catalog.pg_table_is_visible(c.oid),
               ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum)::text
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = ANY($1::pg_catalog.text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        """;

    public static string SetLocalStatementTimeout(TimeSpan timeout) =>
        "SET LOCAL statement_timeout = " + Milliseconds(timeout);

    public static string SetLocalLockTimeout(TimeSpan timeout) =>
        "SET LOCAL lock_timeout = " + Milliseconds(timeout);

    /// <summary>
    /// One arm of the MAX (MIN for descending) query: <c>SELECT i, (SELECT max(col) FROM t)::numeric</c>; served by a
    /// btree index where there is one.
    /// </summary>
    public static string ExtremeArm(int index, string schema, string table, string column, bool descending) =>
        string.Create(CultureInfo.InvariantCulture,
            $"SELECT {index} AS i, (SELECT {(descending ? "min" : "max")}({Identifiers.Quote(column)}) "
            + $"FROM {Identifiers.Quote(schema, table)})::numeric AS v");

    /// <summary>One arm of the sequence query: the sequence relation itself, so a never-used sequence reads right.</summary>
    public static string SequenceArm(int index, string schema, string name) =>
        string.Create(CultureInfo.InvariantCulture,
            $"SELECT {index} AS i, last_value, is_called FROM {Identifiers.Quote(schema, name)}");

    /// <summary>
    /// The state of the sequences <c>$1</c> (OIDs), one row each: (position in <c>$1</c>, <c>last_value</c>), one
    /// statement however many there are. <c>last_value</c> is NULL when <c>is_called</c> is false (the next value is
    /// then <c>last_value</c> itself, which only the sequence relation tells). Takes the same ROW EXCLUSIVE lock on
    /// each sequence as <c>nextval</c>, under the run's lock_timeout.
    /// </summary>
    public const string SequenceLastValues = """
        SELECT (x.i - 1)::int4, pg_catalog.pg_sequence_last_value(x.oid::pg_catalog.oid::pg_catalog.regclass)
        FROM pg_catalog.unnest($1::pg_catalog.int8[]) WITH ORDINALITY AS x(oid, i)
        """;

    /// <summary>Joins arms into one statement.</summary>
    public static string UnionAll(IEnumerable<string> arms) => string.Join("\nUNION ALL\n", arms);

    /// <summary><c>LOCK TABLE a, b IN SHARE ROW EXCLUSIVE MODE</c>: blocks writers and other repairers, not readers.</summary>
    public static string LockTables(IEnumerable<(string Schema, string Table)> tables) =>
        "LOCK TABLE " + string.Join(", ", tables.Select(t => Identifiers.Quote(t.Schema, t.Table))) + " IN SHARE ROW EXCLUSIVE MODE";

    /// <summary>
    /// Re-reads, under the table locks, every sequence's data extreme (MAX, MIN when descending) and its state, and
    /// calls setval only where the sequence is still behind and its new next value stays within its limit: one
    /// statement for several sequences (rows numbered from <paramref name="firstIndex"/>), judged server-side on the
    /// values read in that same statement, so a sequence never moves backwards. Returns (i, h, last_value, is_called,
    /// set_to); set_to is null when nothing was set, last_value null when the state could not be read this way (see
    /// <see cref="SetvalTarget.NotCalled"/>).
    /// <para>The state comes from <c>pg_sequence_last_value</c> (no statement planned per sequence); a sequence the
    /// check found not yet called (that function reads NULL for it) is also read from its relation. With
    /// <paramref name="readRelations"/>, every sequence is read from its relation alone, the exact form for a single
    /// sequence.</para>
    /// </summary>
    /// <remarks>
    /// The next value after a CYCLE sequence's limit is its MINVALUE (MAXVALUE when descending). The subquery is
    /// kept apart (<c>OFFSET 0</c>) so every row is read before its own setval.
    /// </remarks>
    public static string RepairSequences(IReadOnlyList<SetvalTarget> targets, long headroom, bool readRelations = false, int firstIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfZero(targets.Count);
        var room = headroom.ToString(CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""
            SELECT x.i, x.h, x.last_value, x.is_called,
                   CASE WHEN x.h IS NOT NULL AND x.next_value IS NOT NULL
                             AND CASE WHEN x.inc > 0 THEN x.h >= x.next_value ELSE x.h <= x.next_value END
                             AND CASE WHEN x.inc > 0 THEN x.h + {room} + x.inc <= x.lim ELSE x.h - {room} + x.inc >= x.lim END
                        THEN pg_catalog.setval(x.seq, (CASE WHEN x.inc > 0 THEN x.h + {room} ELSE x.h - {room} END)::int8, true)
                   END AS set_to
            FROM (SELECT s.i, s.seq, s.inc, s.lim, s.h, s.last_value, s.is_called,
                         CASE WHEN NOT s.is_called THEN s.last_value::numeric
                              WHEN s.cycles AND s.inc > 0 AND s.last_value::numeric + s.inc > s.seqmax THEN s.seqmin
                              WHEN s.cycles AND s.inc < 0 AND s.last_value::numeric + s.inc < s.seqmin THEN s.seqmax
                              ELSE s.last_value::numeric + s.inc END AS next_value
                  FROM (SELECT v.i, v.seq, v.inc, v.lim, v.cycles, v.seqmin, v.seqmax, v.h, l.last_value, l.is_called
                        FROM (VALUES

            """);
        for (var i = 0; i < targets.Count; i++)
        {
            var t = targets[i];
            var extreme = t.Increment < 0 ? "floor(min" : "ceil(max";
            var extremes = t.Columns.Select(c =>
                $"(SELECT {extreme}({Identifiers.Quote(c.Column)})::numeric) FROM {Identifiers.Quote(c.Schema, c.Table)})");
            var h = (t.Increment < 0 ? "LEAST(" : "GREATEST(") + string.Join(", ", extremes) + ")";
            var unread = t.NotCalled && !readRelations
                ? $"(SELECT q.last_value FROM {Identifiers.Quote(t.Schema, t.Name)} q WHERE NOT q.is_called)"
                : "NULL::int8";
            sb.Append(CultureInfo.InvariantCulture, $"""
                                ({firstIndex + i}, {RegClass(t.Schema, t.Name)}, {Number(t.Increment)}::int8, {Number(t.Limit)}::numeric,
                                 {(t.Cycle ? "true" : "false")}, {Number(t.Min)}::int8, {Number(t.Max)}::int8,
                                 {h},
                                 {unread}){(i + 1 < targets.Count ? "," : string.Empty)}

                """);
        }

        sb.Append("""
                        ) AS v(i, seq, inc, lim, cycles, seqmin, seqmax, h, unread)

            """);
        if (readRelations)
        {
            ArgumentOutOfRangeException.ThrowIfNotEqual(targets.Count, 1);
            var sequence = Identifiers.Quote(targets[0].Schema, targets[0].Name);
            sb.Append(CultureInfo.InvariantCulture, $"            CROSS JOIN (SELECT q.last_value, q.is_called FROM {sequence} q) l\n");
        }
        else
        {
            sb.Append("""
                        CROSS JOIN LATERAL (SELECT COALESCE(r.v, v.unread) AS last_value, r.v IS NOT NULL AS is_called
                                            FROM (SELECT pg_catalog.pg_sequence_last_value(v.seq) AS v) r) l

                """);
        }

        sb.Append("            OFFSET 0) s) x");
        return sb.ToString();
    }

    /// <summary>A number as SQL, a negative one in parentheses: <c>-9223372036854775808::int8</c> would cast before negating.</summary>
    private static string Number(decimal value) =>
        value < 0 ? "(" + value.ToString(CultureInfo.InvariantCulture) + ")" : value.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>'"schema"."name"'::pg_catalog.regclass</c>: a quoted name as a string literal, read back by PostgreSQL.</summary>
    private static string RegClass(string schema, string name) =>
        "'" + Identifiers.Quote(schema, name).Replace("'", "''", StringComparison.Ordinal) + "'::pg_catalog.regclass";

    private static string Milliseconds(TimeSpan timeout) =>
        "'" + ((long)Math.Max(1, Math.Ceiling(timeout.TotalMilliseconds))).ToString(CultureInfo.InvariantCulture) + "ms'";
}

/// <summary>
/// What <see cref="SequenceSql.RepairSequences"/> needs of one sequence: its name, increment, limit (the column
/// types' and its own), CYCLE bounds, the columns it is judged on, and whether the check found it not yet called.
/// </summary>
internal sealed record SetvalTarget(
    string Schema,
    string Name,
    long Increment,
    decimal Limit,
    bool Cycle,
    long Min,
    long Max,
    IReadOnlyList<(string Schema, string Table, string Column)> Columns,
    bool NotCalled);
