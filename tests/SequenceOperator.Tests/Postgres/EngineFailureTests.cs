using System.Globalization;
using Npgsql;
using SequenceOperator.Postgres;
using SequenceOperator.Tests.Infrastructure;

namespace SequenceOperator.Tests.Postgres;

/// <summary>
/// A run that fails as a whole (here: its backend is terminated, as when the server crashes or an administrator
/// kills it) still says what it measured and repaired: <see cref="SequenceEngineException.PartialReport"/>.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class EngineFailureTests(PostgresFixture fixture)
{
    private const string ApplicationName = "engine-under-test";

    [Fact]
    public async Task Repair_ConnectionLostMidRun_ReportsExactlyWhatWasCommitted()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, DriftedTables(300));
        // A writer on t200 makes the repair wait for its lock: groups of 50 (t000..t199) are committed by then.
        await using var writer = await db.HoldAsync("INSERT INTO t200 (id) VALUES (5000)");

        await using var dataSource = NamedDataSource(db);
        var repair = db.Engine.RepairAsync(dataSource, EngineDatabase.Options(),
            new RepairOptions { LockTimeout = TimeSpan.FromMinutes(2), SequencesPerTransaction = 50 }, CancellationToken.None);
        await TerminateWhenWaitingForALockAsync(db, repair);

        var failure = await Assert.ThrowsAsync<SequenceEngineException>(() => repair);
        var partial = failure.PartialReport;
        Assert.NotNull(partial);
        Assert.Equal(300, partial.Sequences.Count); // every sequence was measured before the repair began
        var repaired = partial.Sequences
            .Where(s => s.Status == SequenceStatus.Repaired)
            .Select(s => s.Table)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(Enumerable.Range(0, 200).Select(Name), repaired);
        Assert.All(partial.Sequences.Where(s => s.Status != SequenceStatus.Repaired), s =>
        {
            Assert.Equal(SequenceStatus.Behind, s.Status);
            Assert.Equal(s.MaxValue + 1, s.PlannedNextValue);
        });

        // The database holds exactly what the report claims.
        Assert.Equal((200L, true), await db.SequenceStateAsync("t199_id_seq"));
        Assert.Equal((1L, false), await db.SequenceStateAsync("t200_id_seq"));
        Assert.Equal((1L, false), await db.SequenceStateAsync("t250_id_seq"));
    }

    [Fact]
    public async Task Check_ConnectionLostMidRun_ReportsWhatWasMeasured()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, DriftedTables(600));
        await using var holder = await db.HoldAsync("LOCK TABLE t450 IN ACCESS EXCLUSIVE MODE");

        await using var dataSource = NamedDataSource(db);
        var check = db.Engine.CheckAsync(
            dataSource, EngineDatabase.Options() with { LockTimeout = TimeSpan.FromMinutes(2) }, CancellationToken.None);
        await TerminateWhenWaitingForALockAsync(db, check);

        var failure = await Assert.ThrowsAsync<SequenceEngineException>(() => check);
        var measured = failure.PartialReport!.Sequences;
        Assert.InRange(measured.Count, 1, 450); // the chunks before the one reading t450
        Assert.All(measured, s => Assert.Equal((SequenceStatus.Behind, s.MaxValue), (s.Status, (long?)s.BehindBy)));
        Assert.Equal(Enumerable.Range(0, measured.Count).Select(Name), measured.Select(s => s.Table));
    }

    private static string Name(int i) => "t" + i.ToString("D3", CultureInfo.InvariantCulture);

    private static string DriftedTables(int count) => string.Concat(Enumerable.Range(0, count).Select(i =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"CREATE TABLE {Name(i)} (id serial PRIMARY KEY); INSERT INTO {Name(i)} (id) VALUES ({i + 1});")));

    private static NpgsqlDataSource NamedDataSource(EngineDatabase db) =>
        NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(db.ConnectionString) { ApplicationName = ApplicationName }.ConnectionString);

    /// <summary>Waits until the engine's backend waits for a lock, then terminates it, as a crash or an administrator would.</summary>
    private static async Task TerminateWhenWaitingForALockAsync(EngineDatabase db, Task run)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline && !run.IsCompleted)
        {
            var terminated = await db.ScalarAsync<long>($"""
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE application_name = '{ApplicationName}' AND datname = current_database() AND wait_event_type = 'Lock'
                """);
            if (terminated > 0)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail("the run never waited for the lock");
    }
}
