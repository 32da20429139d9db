using System.Globalization;
using Npgsql;
using SequenceOperator.Postgres;
using SequenceOperator.Tests.Infrastructure;

namespace SequenceOperator.Tests.Postgres;

/// <summary>
/// The repair pass: one transaction and one round trip per chunk of sequences behind, the chunk's tables locked and
/// then statements of a few sequences each that re-read every MAX and every sequence under the lock and call setval
/// only where that moves the sequence forward, judged server-side exactly as a sequence repaired on its own.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RepairPassTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Repair_ManySequences_IsOneTransactionPerChunk()
    {
        var sql = string.Concat(Enumerable.Range(0, 120).Select(i => string.Create(CultureInfo.InvariantCulture,
            $"CREATE TABLE g{i} (id serial PRIMARY KEY); INSERT INTO g{i} (id) VALUES ({i + 10});")));
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, sql);

        var plan = (await db.RepairAsync(new RepairOptions { DryRun = true })).RepairSql!;
        Assert.Equal(1, Occurrences(plan, "BEGIN;")); // 120 sequences, 360 locked relations: one chunk
        Assert.Equal(1, Occurrences(plan, "LOCK TABLE"));
        Assert.Equal(15, Occurrences(plan, "pg_catalog.setval(")); // statements of 8 sequences, in the same round trip
        Assert.Equal(1, Occurrences(plan, "COMMIT;"));

        var report = await db.RepairAsync();
        Assert.Equal(120, report.Sequences.Count(s => s.Status == SequenceStatus.Repaired));
        Assert.All(report.Sequences, s => Assert.Equal(s.MaxValue + 1, s.RepairedNextValue));
        Assert.Equal((129L, true), await db.SequenceStateAsync("g119_id_seq"));
    }

    [Fact]
    public async Task Repair_MixedSequencesInOneChunk_AreEachJudgedAsOnTheirOwn()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE called (id serial PRIMARY KEY); INSERT INTO called DEFAULT VALUES; INSERT INTO called DEFAULT VALUES;
            INSERT INTO called (id) VALUES (40);
            CREATE TABLE fresh (id bigserial PRIMARY KEY); INSERT INTO fresh (id) VALUES (7);
            CREATE SEQUENCE down_seq INCREMENT -1; -- MINVALUE -9223372036854775808, beyond int4: the column bounds it
            CREATE TABLE down (id int PRIMARY KEY DEFAULT nextval('down_seq')); INSERT INTO down (id) VALUES (-30);
            CREATE SEQUENCE cyc MAXVALUE 100 CYCLE;
            CREATE TABLE c (id int PRIMARY KEY DEFAULT nextval('cyc'));
            SELECT setval('cyc', 100);
            INSERT INTO c (id) SELECT generate_series(1, 10);
            CREATE SEQUENCE shared_ids;
            CREATE TABLE a (id bigint PRIMARY KEY DEFAULT nextval('shared_ids'));
            CREATE TABLE b (id bigint PRIMARY KEY DEFAULT nextval('shared_ids'));
            INSERT INTO a (id) VALUES (10); INSERT INTO b (id) VALUES (24);
            CREATE TABLE ahead (id serial PRIMARY KEY); INSERT INTO ahead (id) VALUES (3); SELECT setval('ahead_id_seq', 50);
            CREATE TABLE tiny (id smallserial PRIMARY KEY); INSERT INTO tiny (id) VALUES (32765);
            """);

        var plan = (await db.RepairAsync(new RepairOptions { DryRun = true, Headroom = 5 })).RepairSql!;
        Assert.Equal(1, Occurrences(plan, "pg_catalog.setval(")); // five sequences behind, one statement
        var report = await db.RepairAsync(new RepairOptions { Headroom = 5 });

        Assert.Equal((SequenceStatus.Repaired, 46L), (report.Entry("called").Status, report.Entry("called").RepairedNextValue!.Value));
        Assert.Equal((45L, true), await db.SequenceStateAsync("called_id_seq"));
        Assert.Equal(13L, report.Entry("fresh").RepairedNextValue);
        Assert.Equal((12L, true), await db.SequenceStateAsync("fresh_id_seq"));
        Assert.Equal(-36L, report.Entry("down").RepairedNextValue);
        Assert.Equal((-35L, true), await db.SequenceStateAsync("down_seq"));
        Assert.Equal(16L, report.Entry("c").RepairedNextValue);
        Assert.Equal((15L, true), await db.SequenceStateAsync("cyc"));
        Assert.Equal(30L, report.Entry("a").RepairedNextValue);
        Assert.Equal((29L, true), await db.SequenceStateAsync("shared_ids"));
        Assert.Equal(SequenceStatus.InSync, report.Entry("ahead").Status);
        Assert.Equal((50L, true), await db.SequenceStateAsync("ahead_id_seq"));
        Assert.Equal(SequenceStatus.Error, report.Entry("tiny").Status);
        Assert.Contains("exhausted", report.Entry("tiny").Message);
        Assert.Equal((1L, false), await db.SequenceStateAsync("tiny_id_seq"));
        Assert.Equal(-36, await db.ScalarAsync<int>("INSERT INTO down DEFAULT VALUES RETURNING id"));
        Assert.Equal(16, await db.ScalarAsync<int>("INSERT INTO c DEFAULT VALUES RETURNING id"));
    }

    [Fact]
    public async Task Repair_OneSequenceOnItsOwn_ReadsItsRelation_DescendingWithDefaultBounds()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE SEQUENCE down_seq INCREMENT -1 CYCLE;
            CREATE TABLE down (id bigint PRIMARY KEY DEFAULT nextval('down_seq')); INSERT INTO down (id) VALUES (-30);
            """);

        var plan = (await db.RepairAsync(new RepairOptions { DryRun = true })).RepairSql!;
        Assert.Contains("(-9223372036854775808)::int8", plan);
        Assert.DoesNotContain("pg_sequence_last_value", plan);
        var report = await db.RepairAsync();

        Assert.Equal(-31L, report.Entry("down").RepairedNextValue);
        Assert.Equal((-30L, true), await db.SequenceStateAsync("down_seq"));
    }

    [Fact]
    public async Task Statement_JudgesOnWhatItReadsUnderTheLock_NeverBackwards()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE behind (id serial PRIMARY KEY); INSERT INTO behind (id) VALUES (20);
            CREATE TABLE caught_up (id serial PRIMARY KEY); INSERT INTO caught_up (id) VALUES (20); SELECT setval('caught_up_id_seq', 20);
            CREATE TABLE passed (id serial PRIMARY KEY); INSERT INTO passed (id) VALUES (20); SELECT setval('passed_id_seq', 90);
            CREATE TABLE full_up (id serial PRIMARY KEY); INSERT INTO full_up (id) VALUES (2147483647);
            CREATE TABLE reset (id serial PRIMARY KEY); INSERT INTO reset (id) VALUES (20); SELECT setval('reset_id_seq', 5, false);
            CREATE TABLE empty (id serial PRIMARY KEY);
            """);
        // As the check left them (NotCalled: it read is_called false), then changed: caught_up and passed were called
        // since, reset was reset to is_called false though the check read it called.
        SetvalTarget[] targets =
        [
            Target("behind", notCalled: true),
            Target("caught_up", notCalled: true),
            Target("passed", notCalled: false),
            Target("full_up", notCalled: true),
            Target("reset", notCalled: false),
            Target("empty", notCalled: true),
        ];

        var rows = await RunAsync(db, SequenceSql.RepairSequences(targets, 0));

        Assert.Equal((20m, 1L, false, 20L), rows[0]); // behind: set to MAX
        Assert.Equal((20m, 20L, true, (long?)null), rows[1]); // next value 21 is past MAX 20: left
        Assert.Equal((20m, 90L, true, (long?)null), rows[2]); // never backwards
        Assert.Equal((2147483647m, 1L, false, (long?)null), rows[3]); // its next value would pass int4: nothing set
        Assert.Equal((20m, (long?)null, false, (long?)null), rows[4]); // state not read this way: nothing set, left to a retry
        Assert.Equal(((decimal?)null, 1L, false, (long?)null), rows[5]); // no data: nothing to pass
        Assert.Equal((20L, true), await db.SequenceStateAsync("behind_id_seq"));
        Assert.Equal((90L, true), await db.SequenceStateAsync("passed_id_seq"));
        Assert.Equal((1L, false), await db.SequenceStateAsync("full_up_id_seq"));
        Assert.Equal((5L, false), await db.SequenceStateAsync("reset_id_seq"));

        // The retry reads the sequence's relation: exact whatever its state.
        var retry = await RunAsync(db, SequenceSql.RepairSequences([targets[4]], 0, readRelations: true));
        Assert.Equal((20m, 5L, false, 20L), Assert.Single(retry));
        Assert.Equal((20L, true), await db.SequenceStateAsync("reset_id_seq"));
    }

    private static SetvalTarget Target(string table, bool notCalled) =>
        new("public", table + "_id_seq", 1, int.MaxValue, false, 1, int.MaxValue, [("public", table, "id")], notCalled);

    private static async Task<List<(decimal? H, long? Last, bool Called, long? SetTo)>> RunAsync(EngineDatabase db, string sql)
    {
        var rows = new List<(decimal?, long?, bool, long?)>();
        await using var cmd = db.DataSource.CreateCommand(sql);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            Assert.Equal(rows.Count, reader.GetInt32(0));
            rows.Add((reader.IsDBNull(1) ? null : reader.GetDecimal(1), reader.IsDBNull(2) ? null : reader.GetInt64(2),
                reader.GetBoolean(3), reader.IsDBNull(4) ? null : reader.GetInt64(4)));
        }

        return rows;
    }

    private static int Occurrences(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0;
             i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
