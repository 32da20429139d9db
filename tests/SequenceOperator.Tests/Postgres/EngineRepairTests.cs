using Npgsql;
using SequenceOperator.Postgres;
using SequenceOperator.Tests.Infrastructure;

namespace SequenceOperator.Tests.Postgres;

[Collection(PostgresCollection.Name)]
public sealed class EngineRepairTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Repair_SetsNextValueJustPastTheData()
    {
        await using var db = await EngineDatabase.CreateAsync(
            fixture.Server, await File.ReadAllTextAsync(RepoPaths.File("scripts/demo/cityforge.sql")));
        var report = await db.RepairAsync();

        Assert.All(report.Sequences, s => Assert.Equal(SequenceStatus.Repaired, s.Status));
        Assert.Equal(43, report.Entry("cards").RepairedNextValue);
        Assert.Equal(2, report.Entry("cards").NextValue); // as it was before the repair
        Assert.Equal(8, report.Entry("card_modifications").RepairedNextValue);
        Assert.Equal((42L, true), await db.SequenceStateAsync("cards_id_seq")); // setval(seq, MAX, true)
        Assert.Equal(43, await db.ScalarAsync<int>("INSERT INTO cards (title) VALUES ('new') RETURNING id"));
        Assert.All((await db.CheckAsync()).Sequences, s => Assert.Equal(SequenceStatus.InSync, s.Status));
    }

    [Fact]
    public async Task Repair_WithHeadroom_LeavesSpareValues()
    {
        await using var db = await EngineDatabase.CreateAsync(
            fixture.Server, "CREATE TABLE t (id serial PRIMARY KEY); INSERT INTO t (id) VALUES (10);");
        var report = await db.RepairAsync(new RepairOptions { Headroom = 100 });
        Assert.Equal(111, report.Entry("t").RepairedNextValue);
        Assert.Equal(111, await db.ScalarAsync<int>("INSERT INTO t DEFAULT VALUES RETURNING id"));
    }

    [Fact]
    public async Task Repair_OnlyTouchesSequencesBehind()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE behind (id serial PRIMARY KEY); INSERT INTO behind (id) VALUES (5);
            CREATE TABLE fine (id serial PRIMARY KEY); INSERT INTO fine DEFAULT VALUES; INSERT INTO fine DEFAULT VALUES;
            CREATE TABLE ahead (id serial PRIMARY KEY); INSERT INTO ahead (id) VALUES (1); SELECT setval('ahead_id_seq', 50);
            """);
        var report = await db.RepairAsync();
        Assert.Equal(SequenceStatus.Repaired, report.Entry("behind").Status);
        Assert.Equal(SequenceStatus.InSync, report.Entry("fine").Status);
        Assert.Equal(SequenceStatus.InSync, report.Entry("ahead").Status);
        Assert.Equal((2L, true), await db.SequenceStateAsync("fine_id_seq"));
        Assert.Equal((50L, true), await db.SequenceStateAsync("ahead_id_seq"));
    }

    [Fact]
    public async Task Repair_DryRun_ChangesNothingAndPrintsTheExactSql()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE "Card Table" (id serial PRIMARY KEY); INSERT INTO "Card Table" (id) VALUES (12);
            CREATE TABLE other (id serial PRIMARY KEY); INSERT INTO other (id) VALUES (3);
            """);
        var report = await db.RepairAsync(new RepairOptions { DryRun = true, LockTimeout = TimeSpan.FromMilliseconds(1500) });

        Assert.All(report.Sequences, s => Assert.Equal(SequenceStatus.Behind, s.Status));
        Assert.Equal((1L, false), await db.SequenceStateAsync("\"Card Table_id_seq\""));
        var sql = report.RepairSql!;
        Assert.Contains("SET LOCAL lock_timeout = '1500ms'", sql);
        Assert.Contains("LOCK TABLE \"public\".\"Card Table\", \"public\".\"other\" IN SHARE ROW EXCLUSIVE MODE", sql);
        Assert.Contains("pg_catalog.setval", sql);

        // The printed script is exactly what a repair runs: running it by hand repairs.
        await db.ExecuteAsync(sql);
        Assert.Equal((12L, true), await db.SequenceStateAsync("\"Card Table_id_seq\""));
        Assert.Equal((3L, true), await db.SequenceStateAsync("other_id_seq"));
    }

    [Fact]
    public async Task Repair_ThatWouldPassTheColumnTypeLimit_IsAnExhaustionError()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE tiny (id smallserial PRIMARY KEY); INSERT INTO tiny (id) VALUES (32767);
            CREATE SEQUENCE big AS bigint;
            CREATE TABLE narrow (id int PRIMARY KEY DEFAULT nextval('big')); INSERT INTO narrow (id) VALUES (2147483600);
            """);
        var report = await db.RepairAsync(new RepairOptions { Headroom = 100 });

        var tiny = report.Entry("tiny");
        Assert.Equal(SequenceStatus.Error, tiny.Status);
        Assert.Contains("exhausted", tiny.Message);
        var narrow = report.Entry("narrow");
        Assert.Equal(SequenceStatus.Error, narrow.Status);
        Assert.Contains("exhausted", narrow.Message);
        Assert.Contains("2147483647", narrow.Message);
        Assert.Equal((1L, false), await db.SequenceStateAsync("big"));

        var withoutHeadroom = await db.RepairAsync(null, "narrow");
        Assert.Equal(2147483601, withoutHeadroom.Entry("narrow").RepairedNextValue);
    }

    [Fact]
    public async Task Repair_TableLockedByAnotherTransaction_TimesOutAsAnErrorAndRepairsTheRest()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE busy (id serial PRIMARY KEY); INSERT INTO busy (id) VALUES (9);
            CREATE TABLE idle (id serial PRIMARY KEY); INSERT INTO idle (id) VALUES (4);
            """);
        await using var holder = await db.DataSource.OpenConnectionAsync();
        await using var tx = await holder.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("INSERT INTO busy (id) VALUES (1000)", holder, tx))
        {
            await insert.ExecuteNonQueryAsync(); // holds ROW EXCLUSIVE until the transaction ends, as a writer would
        }

        var report = await db.RepairAsync(new RepairOptions { LockTimeout = TimeSpan.FromMilliseconds(300) });

        var busy = report.Entry("busy");
        Assert.Equal(SequenceStatus.Error, busy.Status);
        Assert.Contains("could not lock public.busy within 0.3s", busy.Message);
        Assert.Equal(SequenceStatus.Repaired, report.Entry("idle").Status);
        await tx.RollbackAsync();
        Assert.Equal((1L, false), await db.SequenceStateAsync("busy_id_seq"));
    }

    [Fact]
    public async Task Repair_WaitsForAWriterThatCommitsInTime_AndPassesItsRow()
    {
        await using var db = await EngineDatabase.CreateAsync(
            fixture.Server, "CREATE TABLE t (id serial PRIMARY KEY); INSERT INTO t (id) VALUES (9);");
        await using var holder = await db.DataSource.OpenConnectionAsync();
        var tx = await holder.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("INSERT INTO t (id) VALUES (500)", holder, tx))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var repair = db.RepairAsync(new RepairOptions { LockTimeout = TimeSpan.FromSeconds(10) });
        await Task.Delay(300);
        Assert.False(repair.IsCompleted); // blocked by the writer's lock
        await tx.CommitAsync();
        var report = await repair;
        Assert.Equal(501, report.Entry("t").RepairedNextValue); // re-read under the lock: sees the committed 500
    }

    [Fact]
    public async Task Repair_ManySequences_GroupedInTransactions()
    {
        var sql = string.Concat(Enumerable.Range(0, 120)
            .Select(i => $"CREATE TABLE g{i} (id serial PRIMARY KEY); INSERT INTO g{i} (id) VALUES ({i + 10});"));
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, sql);
        var report = await db.RepairAsync(new RepairOptions { SequencesPerTransaction = 50 });
        Assert.Equal(120, report.Sequences.Count(s => s.Status == SequenceStatus.Repaired));
        Assert.All(report.Sequences, s => Assert.Equal(s.MaxValue + 1, s.RepairedNextValue));
    }
}
