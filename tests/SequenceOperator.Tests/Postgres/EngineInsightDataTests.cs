using Npgsql;
using SequenceOperator.Postgres;
using SequenceOperator.Reconciliation.Insights;

namespace SequenceOperator.Tests.Postgres;

/// <summary>
/// What the drift insight reads from a check, with the catalog it already reads: each entry's sequence oid,
/// increment, type-aware limit and column type, the rows inserted into its table (partitions summed), and the
/// database's statistics reset time.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class EngineInsightDataTests(PostgresFixture fixture)
{
    /// <summary><c>p</c>, partitioned by range, fed by one sequence, with partitions <c>p1</c> (2024) and <c>p2</c> (2025).</summary>
    private const string PartitionedSql = """
        CREATE TABLE p (id bigserial, day date NOT NULL, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
        CREATE TABLE p1 PARTITION OF p FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
        CREATE TABLE p2 PARTITION OF p FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        """;

    [Fact]
    public async Task Check_RowsInserted_GrowsByTheRowsInserted_AndSumsPartitions()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE plain (id serial PRIMARY KEY, note text);
            CREATE TABLE events (id bigserial, day date NOT NULL, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
            CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
            CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
            """);
        await InsertAsync(db, "INSERT INTO plain (note) SELECT 'x' FROM generate_series(1, 5)");
        await InsertAsync(db, "INSERT INTO events (day) SELECT '2024-06-01' FROM generate_series(1, 3)");
        await InsertAsync(db, "INSERT INTO events (day) SELECT '2025-06-01' FROM generate_series(1, 4)");
        var before = await db.CheckAsync();

        Assert.Equal(5, before.Entry("plain").RowsInserted);
        Assert.Equal(7, before.Entry("events").RowsInserted);

        await InsertAsync(db, "INSERT INTO plain (note) SELECT 'y' FROM generate_series(1, 11)");
        await InsertAsync(db, "INSERT INTO events (day) SELECT '2025-07-01' FROM generate_series(1, 2)");
        var after = await db.CheckAsync();

        Assert.Equal(16, after.Entry("plain").RowsInserted);
        Assert.Equal(9, after.Entry("events").RowsInserted);
        Assert.Equal(await StatsResetAsync(db), after.StatsResetTime);

        // Resetting the database's statistics restarts the counts, and the report says when.
        await db.ExecuteAsync("SELECT pg_stat_reset()");
        var reset = await db.CheckAsync();

        Assert.Equal(0, reset.Entry("plain").RowsInserted);
        Assert.NotNull(reset.StatsResetTime);
        Assert.Equal(await StatsResetAsync(db), reset.StatsResetTime);
    }

    [Fact]
    public async Task Check_Entry_CarriesOidIncrementLimitAndColumnType()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE small (id smallserial PRIMARY KEY);
            CREATE TABLE normal (id serial PRIMARY KEY);
            CREATE SEQUENCE down_seq INCREMENT BY -2 MINVALUE -1000 MAXVALUE -1;
            CREATE TABLE down (id bigint PRIMARY KEY DEFAULT nextval('down_seq'));
            CREATE TABLE invoices (id serial PRIMARY KEY, code text DEFAULT 'INV-' || nextval('invoices_id_seq'));
            """);
        var report = await db.CheckAsync();

        var small = report.Entry("small");
        Assert.Equal(await db.ScalarAsync<long>("SELECT 'small_id_seq'::regclass::oid::int8"), small.SequenceOid);
        Assert.Equal((1L, 32767L, "int2"), (small.Increment, small.Limit!.Value, small.ColumnType));
        var normal = report.Entry("normal");
        Assert.Equal((1L, (long)int.MaxValue, "int4"), (normal.Increment, normal.Limit!.Value, normal.ColumnType));
        var down = report.Entry("down");
        Assert.Equal((-2L, -1000L, "int8"), (down.Increment, down.Limit!.Value, down.ColumnType));
        var skipped = report.Sequences.Single(s => s.Table == "invoices" && s.Column == "code");
        Assert.Equal(SequenceStatus.Skipped, skipped.Status);
        Assert.Equal(string.Empty, skipped.ColumnType);
        Assert.Null(skipped.Limit);
    }

    [Fact]
    public async Task Samples_PartitionedParentListedWithAPartition_CountsThePartitionsRowsOnce()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, PartitionedSql);
        await InsertAsync(db, "INSERT INTO p (day) SELECT '2024-06-01' FROM generate_series(1, 3)");
        await InsertAsync(db, "INSERT INTO p (day) SELECT '2025-06-01' FROM generate_series(1, 4)");

        var report = await db.CheckAsync("p", "p1");

        // p's n_tup_ins already holds p1's 3 rows (the engine sums the partitions): 7 rows in all, not 10.
        Assert.Equal((7L, 3L), (report.Entry("p").RowsInserted, report.Entry("p1").RowsInserted));
        Assert.Equal([7L, 7L], InsightMapping.Samples(report).Select(s => s.RowsInserted));
    }

    [Fact]
    public async Task Samples_OnlyPartitionsListed_CountsEachOnce()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, PartitionedSql);
        await InsertAsync(db, "INSERT INTO p (day) SELECT '2024-06-01' FROM generate_series(1, 3)");
        await InsertAsync(db, "INSERT INTO p (day) SELECT '2025-06-01' FROM generate_series(1, 4)");

        var report = await db.CheckAsync("p1", "p2");

        Assert.Equal([7L, 7L], InsightMapping.Samples(report).Select(s => s.RowsInserted));
    }

    [Fact]
    public async Task Samples_InheritanceParentListedWithItsChildren_CountsTheChildrensRowsOnce()
    {
        // child inherits base's default (the same sequence); grandchild inherits child's, at a second level.
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE base (id bigserial PRIMARY KEY, note text);
            CREATE TABLE child () INHERITS (base);
            CREATE TABLE grandchild () INHERITS (child);
            """);
        await InsertAsync(db, "INSERT INTO base (note) SELECT 'b' FROM generate_series(1, 2)");
        await InsertAsync(db, "INSERT INTO child (note) SELECT 'c' FROM generate_series(1, 5)");
        await InsertAsync(db, "INSERT INTO grandchild (note) SELECT 'g' FROM generate_series(1, 4)");

        var all = await db.CheckAsync("base", "child", "grandchild");
        var lower = await db.CheckAsync("child", "grandchild");

        Assert.Equal((11L, 9L, 4L), (all.Entry("base").RowsInserted, all.Entry("child").RowsInserted,
            all.Entry("grandchild").RowsInserted));
        Assert.All(InsightMapping.Samples(all), s => Assert.Equal(11L, s.RowsInserted));
        Assert.Equal(3, InsightMapping.Samples(all).Count);
        Assert.All(InsightMapping.Samples(lower), s => Assert.Equal(9L, s.RowsInserted));
    }

    /// <summary>Inserts in a session of its own, and flushes that session's statistics when its transaction ends.</summary>
    private static async Task InsertAsync(EngineDatabase db, string sql)
    {
        await using var connection = new NpgsqlConnection(db.ConnectionString);
        await connection.OpenAsync();
        await using (var insert = new NpgsqlCommand(sql, connection))
        {
            await insert.ExecuteNonQueryAsync();
        }

        await using var flush = new NpgsqlCommand("SELECT pg_stat_force_next_flush()", connection);
        await flush.ExecuteNonQueryAsync();
        // The flush happens when the session is next idle: one more statement makes sure it did.
        await using var idle = new NpgsqlCommand("SELECT 1", connection);
        await idle.ExecuteNonQueryAsync();
    }

    private static async Task<DateTimeOffset?> StatsResetAsync(EngineDatabase db)
    {
        await using var command = db.DataSource.CreateCommand(
            "SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()");
        return await command.ExecuteScalarAsync() is DateTime value ? new DateTimeOffset(value) : null;
    }
}
