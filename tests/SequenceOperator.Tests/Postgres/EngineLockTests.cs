using System.Diagnostics;
using System.Globalization;
using Npgsql;
using SequenceOperator.Postgres;
using SequenceOperator.Tests.Infrastructure;

namespace SequenceOperator.Tests.Postgres;

/// <summary>
/// A lock another session holds (a migration's ALTER TABLE, a VACUUM FULL, a LOCK TABLE) costs the run at most one
/// lock timeout and that table only: discovery takes no lock on any user table, and every read waits at most
/// <see cref="CheckOptions.LockTimeout"/>.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class EngineLockTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Check_OtherTable_WhileATableWithADefaultIsLockedAccessExclusive_DoesNotWait()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE migrating (id serial PRIMARY KEY, note text DEFAULT 'x'); INSERT INTO migrating (id) VALUES (3);
            CREATE TABLE cards (id serial PRIMARY KEY); INSERT INTO cards (id) VALUES (5);
            """);
        await using var holder = await HoldAccessExclusiveAsync(db, "migrating");

        // Any wait on the locked table would last the whole 30 s lock timeout.
        var options = EngineDatabase.Options("cards") with
        {
            LockTimeout = TimeSpan.FromSeconds(30),
            StatementTimeout = TimeSpan.FromSeconds(60),
        };
        var clock = Stopwatch.StartNew();
        var report = await db.Engine.CheckAsync(db.DataSource, options, CancellationToken.None);
        clock.Stop();

        Assert.Equal(5, Assert.Single(report.Sequences).BehindBy);
        Assert.Empty(report.Errors);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the check waited {clock.Elapsed} for a table it does not read");
    }

    [Fact]
    public async Task Repair_200TablesOneLockedAccessExclusive_RepairsTheOthersAndNamesTheLockedOne()
    {
        var sql = string.Concat(Enumerable.Range(0, 200).Select(i => string.Create(CultureInfo.InvariantCulture,
            $"CREATE TABLE t{i:D3} (id serial PRIMARY KEY); INSERT INTO t{i:D3} (id) VALUES ({i + 1});")));
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, sql);
        await using var holder = await HoldAccessExclusiveAsync(db, "t077");

        var clock = Stopwatch.StartNew();
        var report = await db.Engine.RepairAsync(
            db.DataSource,
            EngineDatabase.Options() with { StatementTimeout = TimeSpan.FromSeconds(60) },
            new RepairOptions(),
            CancellationToken.None);
        clock.Stop();

        // one 2 s lock timeout, not a statement timeout per table
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"the repair took {clock.Elapsed}");
        Assert.Equal(200, report.Sequences.Count);
        Assert.Equal(199, report.Sequences.Count(s => s.Status == SequenceStatus.Repaired));
        var locked = report.Entry("t077");
        Assert.Equal(SequenceStatus.Error, locked.Status);
        Assert.Equal("public.t077 is locked by another session (ACCESS EXCLUSIVE); it was not checked", locked.Message);
        Assert.False(report.Succeeded);

        await holder.DisposeAsync();
        Assert.Equal((1L, false), await db.SequenceStateAsync("t077_id_seq")); // untouched
        Assert.Equal((79L, true), await db.SequenceStateAsync("t078_id_seq")); // t078 holds 79
    }

    [Fact]
    public async Task Check_LockTimeout_IsTheRunsOwn()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE busy (id serial PRIMARY KEY); INSERT INTO busy (id) VALUES (3);
            CREATE TABLE idle (id serial PRIMARY KEY); INSERT INTO idle (id) VALUES (4);
            """);
        var holder = await HoldAccessExclusiveAsync(db, "busy");
        var release = Task.Delay(TimeSpan.FromSeconds(3)).ContinueWith(_ => holder.DisposeAsync().AsTask(), TaskScheduler.Default).Unwrap();

        // Longer than the 2 s default: the check waits for the lock to go, and reads the table.
        var report = await db.Engine.CheckAsync(
            db.DataSource, EngineDatabase.Options() with { LockTimeout = TimeSpan.FromSeconds(30) }, CancellationToken.None);
        await release;

        Assert.Equal(SequenceStatus.Behind, report.Entry("busy").Status);
        Assert.Equal(SequenceStatus.Behind, report.Entry("idle").Status);
    }

    private static Task<NpgsqlConnection> HoldAccessExclusiveAsync(EngineDatabase db, string table) =>
        db.HoldAsync($"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE");
}
