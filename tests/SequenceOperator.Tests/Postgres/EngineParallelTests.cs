using System.Globalization;
using Npgsql;
using SequenceOperator.Postgres;
using SequenceOperator.Testing.Postgres;
using SequenceOperator.Tests.Infrastructure;

namespace SequenceOperator.Tests.Postgres;

/// <summary>
/// <see cref="CheckOptions.Connections"/>: a database of several chunks is measured on that many connections, with the
/// same report as on one, locked tables still isolated; never more connections than the pool gives, and a small
/// database on one.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class EngineParallelTests(PostgresFixture fixture)
{
    // About 130 serial tables fill a chunk: 400 make four.
    private const int Tables = 400;

    [Fact]
    public async Task CheckAndRepair_OnTwoConnections_ReportAsOnOne_AndOpenTwoSessions()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, Setup(Tables));

        var (one, oneSessions) = await RunAsync(db, connections: 1, poolSize: 2, repair: false);
        var (two, twoSessions) = await RunAsync(db, connections: 2, poolSize: 2, repair: false);

        Assert.Equal(1, oneSessions);
        Assert.Equal(2, twoSessions);
        Assert.Empty(two.Errors);
        Assert.Equal(Tables, two.Sequences.Count);
        Assert.Equal(Summary(one), Summary(two));
        Assert.Equal(Tables / 2, two.Sequences.Count(s => s.Status == SequenceStatus.Behind));
        Assert.Equal(997m, two.Entry("t_000").BehindBy);
        Assert.Equal(SequenceStatus.InSync, two.Entry("t_001").Status);

        var (repaired, repairSessions) = await RunAsync(db, connections: 2, poolSize: 2, repair: true);
        Assert.Equal(2, repairSessions);
        Assert.Equal(Tables / 2, repaired.Sequences.Count(s => s.Status == SequenceStatus.Repaired));
        Assert.Equal((1000L, true), await db.SequenceStateAsync("t_000_id_seq"));
        Assert.Equal((1000L, true), await db.SequenceStateAsync("t_398_id_seq"));
    }

    [Fact]
    public async Task Check_OnTwoConnections_ATableLockedByAnotherSession_IsThatTablesErrorOnly()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, Setup(Tables));
        await using var holder = await db.HoldAsync("LOCK TABLE t_350 IN ACCESS EXCLUSIVE MODE;");

        var (report, _) = await RunAsync(db, connections: 2, poolSize: 2, repair: false,
            lockTimeout: TimeSpan.FromMilliseconds(200));

        var locked = report.Entry("t_350");
        Assert.Equal(SequenceStatus.Error, locked.Status);
        Assert.Contains("locked by another session", locked.Message);
        Assert.Equal(Tables - 1, report.Sequences.Count(s => s.Status != SequenceStatus.Error));
        Assert.Equal(SequenceStatus.Behind, report.Entry("t_348").Status);
    }

    [Fact]
    public async Task Check_MoreConnectionsThanThePoolGives_UsesThePool_WithoutWaitingForItself()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, Setup(Tables));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (report, sessions) = await RunAsync(db, connections: 4, poolSize: 1, repair: false);

        // A further open would have waited for the pool's one connection until Npgsql's 15 s timeout.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Equal(1, sessions);
        Assert.Equal(Tables, report.Sequences.Count);
        Assert.Equal(Tables / 2, report.Sequences.Count(s => s.Status == SequenceStatus.Behind));
    }

    [Fact]
    public async Task Check_OneChunk_OpensOneConnection_WhateverConnectionsSays()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, Setup(6));

        var (report, sessions) = await RunAsync(db, connections: 8, poolSize: 8, repair: false);

        Assert.Equal(1, sessions);
        Assert.Equal(6, report.Sequences.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(CheckOptions.MaxConnections + 1)]
    public async Task Connections_OutOfRange_IsRefused(int connections)
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, string.Empty);
        var options = new CheckOptions { Connections = connections };

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.Engine.CheckAsync(db.DataSource, options, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            () => db.Engine.RepairAsync(db.DataSource, options, new RepairOptions(), CancellationToken.None));
    }

    /// <summary>Tables t_000..: the even ones with an explicit id 1000 past a sequence that handed out 1 to 3 (behind by 997).</summary>
    private static string Setup(int tables) => string.Create(CultureInfo.InvariantCulture, $$"""
        DO $$ BEGIN
          FOR i IN 0..{{tables - 1}} LOOP
            EXECUTE format('CREATE TABLE t_%s (id serial PRIMARY KEY, payload text)', lpad(i::text, 3, '0'));
            EXECUTE format('INSERT INTO t_%s (payload) VALUES (%L), (%L), (%L)', lpad(i::text, 3, '0'), 'a', 'b', 'c');
            IF i % 2 = 0 THEN
              EXECUTE format('INSERT INTO t_%s (id, payload) VALUES (1000, %L)', lpad(i::text, 3, '0'), 'imported');
            END IF;
          END LOOP;
        END $$;
        """);

    /// <summary>
    /// One run on a data source of its own (so no pooled connection carries over), and how many sessions it opened to
    /// the database (pg_stat_database.sessions, counted once each backend has exited and reported).
    /// </summary>
    private static async Task<(SequenceReport Report, long Sessions)> RunAsync(EngineDatabase db, int connections, int poolSize,
        bool repair, TimeSpan? lockTimeout = null)
    {
        var before = await SessionsAsync(db, 0);
        SequenceReport report;
        // Pooled, as the CLI's and the operator's data sources are (the test server's connection strings are not).
        var settings = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Pooling = true };
        await using (var dataSource = DatabaseConnection.CreateDataSource(settings, maxPoolSize: poolSize))
        {
            var options = new CheckOptions { Connections = connections, LockTimeout = lockTimeout ?? TimeSpan.FromSeconds(2) };
            report = repair
                ? await db.Engine.RepairAsync(dataSource, options, new RepairOptions(), CancellationToken.None)
                : await db.Engine.CheckAsync(dataSource, options, CancellationToken.None);
        }

        return (report, await SessionsAsync(db, before) - before);
    }

    /// <summary>
    /// The database's session count once past <paramref name="atLeast"/> and unchanged for half a second (backends
    /// report as they exit), read from the server's postgres database so that the reading is not counted.
    /// </summary>
    private static async Task<long> SessionsAsync(EngineDatabase db, long atLeast)
    {
        var sql = $"SELECT sessions FROM pg_stat_database WHERE datname = '{db.Name}'";
        var (last, unchanged) = (-1L, 0);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var now = long.Parse(await PostgresServer.ScalarAsync(db.Server.AdminConnectionString, sql), CultureInfo.InvariantCulture);
            unchanged = now == last ? unchanged + 1 : 0;
            if (now > atLeast && unchanged >= 5)
            {
                return now;
            }

            last = now;
            await Task.Delay(100);
        }

        throw new TimeoutException($"pg_stat_database.sessions did not settle past {atLeast}");
    }

    private static List<string> Summary(SequenceReport report) =>
        report.Sequences.Select(s => $"{s.Table}.{s.Column}:{s.Status}:{s.BehindBy}").Order(StringComparer.Ordinal).ToList();
}
