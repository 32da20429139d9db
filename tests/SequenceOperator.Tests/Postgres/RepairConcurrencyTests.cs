using Npgsql;
using SequenceOperator.Postgres;
using SequenceOperator.Tests.Infrastructure;

namespace SequenceOperator.Tests.Postgres;

/// <summary>
/// Writers insert through the sequence while an importer writes explicit ids ahead of it and repairs run in a loop:
/// the repair must cause no duplicate key and the sequence must never move backwards. The same scenario run with
/// the troubleshooting notes' script (<c>setval(seq, MAX(id))</c> with no lock) shows the harness catches the flaw.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RepairConcurrencyTests(PostgresFixture fixture)
{
    private const int Writers = 4;
    private const int InsertsPerWriter = 250;
    private const int Imports = 8;

    [Fact]
    public async Task Repair_UnderConcurrentWriters_CausesNoDuplicateKeyAndNeverMovesBackwards()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, Schema);
        var outcome = await RunScenarioAsync(db, async pool =>
        {
            var report = await db.Engine.RepairAsync(
                pool,
                EngineDatabase.Options("orders"),
                new RepairOptions { LockTimeout = TimeSpan.FromSeconds(5) },
                CancellationToken.None);
            var entry = Assert.Single(report.Sequences);
            Assert.NotEqual(SequenceStatus.Error, entry.Status);
            return entry.Status == SequenceStatus.Repaired;
        });

        Assert.Equal(0, outcome.DuplicateErrors);
        Assert.Empty(outcome.Backwards);
        Assert.True(
            outcome.Samples > 10 && outcome.Repairs > 3,
            $"the race was not exercised: {outcome.Samples} samples, {outcome.Repairs} repairs");
        Assert.InRange(outcome.Repaired, 1, Imports);
        Assert.Equal(100L + (Writers * InsertsPerWriter) + Imports, await db.ScalarAsync<long>("SELECT count(*) FROM orders"));
        Assert.Equal(SequenceStatus.InSync, Assert.Single((await db.CheckAsync("orders")).Sequences).Status);
    }

    [Fact]
    public async Task NaiveScriptFromTheNotes_UnderConcurrentWriters_IsCaughtByTheSameHarness()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, Schema);
        var outcome = await RunScenarioAsync(db, async pool =>
        {
            await using var cmd = pool.CreateCommand("SELECT setval('orders_id_seq', COALESCE((SELECT MAX(id) FROM orders), 1), true)");
            await cmd.ExecuteScalarAsync();
            return true;
        });

        Assert.True(outcome.DuplicateErrors > 0 || outcome.Backwards.Count > 0,
            $"the harness did not catch the unlocked setval(MAX) ({outcome.Repairs} runs, {outcome.Samples} samples)");
    }

    private const string Schema = """
        CREATE TABLE orders (id bigserial PRIMARY KEY, writer int NOT NULL);
        INSERT INTO orders (writer) SELECT 0 FROM generate_series(1, 100);
        """;

    private sealed record Outcome(int DuplicateErrors, IReadOnlyList<string> Backwards, int Samples, int Repairs, int Repaired);

    private static async Task<Outcome> RunScenarioAsync(EngineDatabase db, Func<NpgsqlDataSource, Task<bool>> repairOnce)
    {
        await using var pool = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(db.ConnectionString) { MaxPoolSize = 20 }.ConnectionString);
        using var done = new CancellationTokenSource();

        var duplicateErrors = 0;
        var writers = Enumerable.Range(1, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < InsertsPerWriter; i++)
            {
                try
                {
                    await using var cmd = pool.CreateCommand($"INSERT INTO orders (writer) VALUES ({w})");
                    await cmd.ExecuteNonQueryAsync();
                }
                catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
                {
                    Interlocked.Increment(ref duplicateErrors);
                }
            }
        })).ToArray();

        // An import that writes explicit ids far ahead of the sequence, as restores do: drift the repairs must catch
        // before the writers run into it.
        var importer = Task.Run(async () =>
        {
            for (var i = 0; i < Imports; i++)
            {
                await using var cmd = pool.CreateCommand("INSERT INTO orders (id, writer) SELECT max(id) + 5000, -1 FROM orders");
                await cmd.ExecuteNonQueryAsync();
                await Task.Delay(40);
            }
        });

        var backwards = new List<string>();
        var samples = 0;
        var sampler = Task.Run(async () =>
        {
            long previous = 0;
            while (!done.IsCancellationRequested)
            {
                await using var cmd = pool.CreateCommand("SELECT last_value FROM orders_id_seq");
                var value = (long)(await cmd.ExecuteScalarAsync())!;
                if (value < previous)
                {
                    backwards.Add($"{previous} -> {value}");
                }

                previous = value;
                samples++;
            }
        });

        var repairs = 0;
        var repaired = 0;
        var repairer = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                repaired += await repairOnce(pool) ? 1 : 0;
                repairs++;
            }
        });

        await Task.WhenAll(writers.Append(importer));
        await done.CancelAsync();
        await Task.WhenAll(sampler, repairer);
        return new Outcome(duplicateErrors, backwards, samples, repairs, repaired);
    }
}
