using System.Globalization;
using Npgsql;
using SequenceOperator.Postgres;
using SequenceOperator.Testing.Postgres;
using SequenceOperator.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SequenceOperator.Tests.Postgres;

/// <summary>A throwaway server with PostgreSQL's own lock settings, as a stock production server has them.</summary>
public sealed class StockPostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("The PostgreSQL server has not started.");

    public async Task InitializeAsync() => _server = await PostgresServer.StartWithStockLockSettingsAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>
/// Any number of tables on a stock server: the engine's footprint (locks held at once) stays bounded, so it neither
/// runs out of shared memory itself nor starves another session's DDL. In the postgres collection so that it does
/// not compete with the other database tests for the machine.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class EngineScaleTests(StockPostgresFixture stock, ITestOutputHelper output) : IClassFixture<StockPostgresFixture>
{
    private const int Tables = 20_000;

    [Fact]
    public async Task CheckAndRepair_20000Tables_OnStockLockSettings_LeaveRoomForAnotherSessionsDdl()
    {
        Assert.Equal("64", await PostgresServer.ScalarAsync(stock.Server.AdminConnectionString, "SHOW max_locks_per_transaction"));
        Assert.Equal("100", await PostgresServer.ScalarAsync(stock.Server.AdminConnectionString, "SHOW max_connections"));
        await using var db = await EngineDatabase.CreateAsync(stock.Server, string.Empty);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await CreateDriftedTablesAsync(db.ConnectionString);
        output.WriteLine($"created {Tables} tables in {clock.Elapsed}");
        clock.Restart();

        var (check, checkRounds) = await WhileAnotherSessionRunsDdlAsync(db.ConnectionString, () => db.CheckAsync());
        output.WriteLine($"checked in {clock.Elapsed}, {checkRounds} DDL rounds meanwhile");
        clock.Restart();
        Assert.Empty(check.Errors);
        Assert.Equal(Tables, check.Sequences.Count);
        Assert.All(check.Sequences, s => Assert.Equal(SequenceStatus.Behind, s.Status));
        Assert.True(checkRounds > 0, "no DDL ran while the check did");

        var (repair, repairRounds) = await WhileAnotherSessionRunsDdlAsync(db.ConnectionString, () => db.RepairAsync());
        output.WriteLine($"repaired in {clock.Elapsed}, {repairRounds} DDL rounds meanwhile");
        Assert.Equal(Tables, repair.Sequences.Count(s => s.Status == SequenceStatus.Repaired));
        Assert.True(repairRounds > 0, "no DDL ran while the repair did");
        foreach (var i in new[] { 0, 7_777, Tables - 1 })
        {
            Assert.Equal((i + 1L, true), await db.SequenceStateAsync(Name(i) + "_id_seq"));
        }
    }

    private static string Name(int i) => "t" + i.ToString("D5", CultureInfo.InvariantCulture);

    /// <summary>
    /// Tables t00000.. with one explicit id each (i + 1) past a never-used sequence: all behind. 500 per transaction, as
    /// a stock server's lock table allows, on two sessions at once.
    /// </summary>
    private static Task CreateDriftedTablesAsync(string connectionString) =>
        Parallel.ForEachAsync(
            Enumerable.Range(0, Tables / 500),
            new ParallelOptions { MaxDegreeOfParallelism = 2 },
            async (batch, cancellationToken) =>
                await PostgresServer.ExecuteAsync(connectionString, string.Create(CultureInfo.InvariantCulture, $"""
                DO $$ BEGIN
                  FOR i IN {batch * 500}..{(batch * 500) + 499} LOOP
                    EXECUTE format('CREATE TABLE t%s (id serial PRIMARY KEY)', lpad(i::text, 5, '0'));
                    EXECUTE format('INSERT INTO t%s (id) VALUES (%s)', lpad(i::text, 5, '0'), i + 1);
                  END LOOP;
                END $$;
                """), cancellationToken));

    /// <summary>
    /// Runs <paramref name="work"/> while another session creates and drops a table in a loop; any failure of that
    /// DDL (on a stock server, "out of shared memory" when a run holds a lock per table) fails the test.
    /// </summary>
    private static async Task<(T Result, int DdlRounds)> WhileAnotherSessionRunsDdlAsync<T>(string connectionString, Func<Task<T>> work)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        using var stop = new CancellationTokenSource();
        var rounds = 0;
        var ddl = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await using var command = new NpgsqlCommand(
                    "CREATE TABLE ddl_probe (id serial PRIMARY KEY); DROP TABLE ddl_probe;", connection);
                await command.ExecuteNonQueryAsync();
                rounds++;
                await Task.Delay(100);
            }
        });

        T result;
        try
        {
            result = await work();
        }
        finally
        {
            await stop.CancelAsync();
        }

        await ddl;
        return (result, rounds);
    }
}
