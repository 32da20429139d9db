using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SequenceOperator.Postgres;
using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Benchmarks;

/// <summary>
/// Times the engine's check and repair on databases of N drifted tables, next to the per-table approach of the
/// troubleshooting notes (one SELECT MAX and one setval/last_value statement per table, through psql in one
/// session), and the check of a table with a million rows against a table with one.
/// </summary>
internal sealed class DriftBenchmark : IAsyncDisposable
{
    private readonly PostgresServer _server;
    private readonly TextWriter _out;
    private readonly SequenceEngine _engine = new(NullLogger<SequenceEngine>.Instance);

    private DriftBenchmark(PostgresServer server, TextWriter output)
    {
        _server = server;
        _out = output;
    }

    public static async Task<DriftBenchmark> StartAsync(TextWriter output) => new(await PostgresServer.StartAsync(), output);

    public async Task RunAsync(BenchmarkOptions options)
    {
        _out.WriteLine($"PostgreSQL benchmark on {Environment.ProcessorCount} cores; median of {options.Runs} runs; times in milliseconds.");
        _out.WriteLine();
        _out.WriteLine("| tables | check (engine) | check (per-table psql) | ratio | repair (engine) | repair (per-table psql) | ratio |");
        _out.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var size in options.Sizes)
        {
            var row = await MeasureSizeAsync(size, options.Runs);
            _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {size:N0} | {row.Check:F0} | {row.PsqlCheck:F0} | {row.PsqlCheck / row.Check:F1}x | {row.Repair:F0} | {row.PsqlRepair:F0} | {row.PsqlRepair / row.Repair:F1}x |"));
        }

        _out.WriteLine();
        var (small, big) = await MeasureRowsAsync(options.BigTableRows, options.Runs);
        _out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"check of one indexed table: 1 row {small:F1} ms, {options.BigTableRows:N0} rows {big:F1} ms (MAX through the index: the cost does not grow with rows)"));
    }

    private sealed record SizeRow(double Check, double PsqlCheck, double Repair, double PsqlRepair);

    private async Task<SizeRow> MeasureSizeAsync(int tables, int runs)
    {
        var cs = await _server.CreateDatabaseAsync($"bench{tables}");
        await CreateDriftedTablesAsync(cs, tables);
        await using var dataSource = DatabaseConnection.CreateDataSource(DatabaseConnection.Parse(cs), maxPoolSize: 1);
        var check = new CheckOptions();

        var report = await _engine.CheckAsync(dataSource, check, CancellationToken.None); // warm-up, and proof of drift
        if (report.Sequences.Count != tables || report.Sequences.Any(s => s.Status != SequenceStatus.Behind))
        {
            throw new InvalidOperationException($"expected {tables} sequences behind, found {report.Sequences.Count(s => s.Status == SequenceStatus.Behind)}");
        }

        var checkMs = await MedianAsync(runs, () => _engine.CheckAsync(dataSource, check, CancellationToken.None));
        var psqlCheck = await MedianAsync(runs, () => RunPsqlAsync(cs, PerTableScript(tables, repair: false)));

        var repairMs = await MedianAsync(runs, async () =>
        {
            var repaired = await _engine.RepairAsync(dataSource, check, new RepairOptions(), CancellationToken.None);
            if (repaired.Sequences.Count(s => s.Status == SequenceStatus.Repaired) != tables)
            {
                throw new InvalidOperationException("not every sequence was repaired");
            }
        }, () => DriftAsync(cs, tables));
        var psqlRepair = await MedianAsync(runs, () => RunPsqlAsync(cs, PerTableScript(tables, repair: true)), () => DriftAsync(cs, tables));
        return new SizeRow(checkMs, psqlCheck, repairMs, psqlRepair);
    }

    private async Task<(double Small, double Big)> MeasureRowsAsync(int rows, int runs)
    {
        var cs = await _server.CreateDatabaseAsync("benchrows");
        await PostgresServer.ExecuteAsync(cs, $"""
            CREATE TABLE one_row (id bigserial PRIMARY KEY, payload text);
            INSERT INTO one_row (id, payload) VALUES (1, 'x');
            CREATE TABLE big (id bigserial PRIMARY KEY, payload text);
            INSERT INTO big (id, payload) SELECT g, 'row ' || g FROM generate_series(1, {rows.ToString(CultureInfo.InvariantCulture)}) g;
            """);
        await PostgresServer.ExecuteAsync(cs, "VACUUM ANALYZE big");
        await using var dataSource = DatabaseConnection.CreateDataSource(DatabaseConnection.Parse(cs), maxPoolSize: 1);
        var small = new CheckOptions { Tables = [TableSelector.Parse("one_row")] };
        var big = new CheckOptions { Tables = [TableSelector.Parse("big")] };
        await _engine.CheckAsync(dataSource, big, CancellationToken.None);
        var runsHere = Math.Max(runs, 5);
        return (await MedianAsync(runsHere, () => _engine.CheckAsync(dataSource, small, CancellationToken.None)),
                await MedianAsync(runsHere, () => _engine.CheckAsync(dataSource, big, CancellationToken.None)));
    }

    /// <summary>N tables, each with an explicit id 1000 written past a never-used sequence: all N behind.</summary>
    private static async Task CreateDriftedTablesAsync(string cs, int tables)
    {
        for (var start = 0; start < tables; start += 500)
        {
            var end = Math.Min(tables, start + 500) - 1;
            await PostgresServer.ExecuteAsync(cs, string.Create(CultureInfo.InvariantCulture, $"""
                DO $$ BEGIN
                  FOR i IN {start}..{end} LOOP
                    EXECUTE format('CREATE TABLE t_%s (id serial PRIMARY KEY, payload text)', i);
                    EXECUTE format('INSERT INTO t_%s (id, payload) VALUES (1000, %L)', i, 'imported');
                  END LOOP;
                END $$;
                """));
        }
    }

    private static Task DriftAsync(string cs, int tables) =>
        PostgresServer.ExecuteAsync(cs, string.Create(CultureInfo.InvariantCulture,
            $"DO $$ BEGIN FOR i IN 0..{tables - 1} LOOP PERFORM setval(format('t_%s_id_seq', i), 1, false); END LOOP; END $$;"));

    /// <summary>The notes' approach: a statement per table (check-all-sequences.sql / fix-all-sequences.sql).</summary>
    private static string PerTableScript(int tables, bool repair)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < tables; i++)
        {
            sb.Append(repair
                ? string.Create(CultureInfo.InvariantCulture, $"SELECT setval('t_{i}_id_seq', COALESCE((SELECT MAX(id) FROM t_{i}), 1), true);\n")
                : string.Create(CultureInfo.InvariantCulture, $"SELECT 't_{i}' AS table_name, (SELECT MAX(id) FROM t_{i}) AS max_id, (SELECT last_value FROM t_{i}_id_seq) AS seq_value;\n"));
        }

        return sb.ToString();
    }

    private static async Task RunPsqlAsync(string cs, string script)
    {
        var b = new NpgsqlConnectionStringBuilder(cs);
        var psi = new ProcessStartInfo("psql")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", b.Host!, "-p", b.Port.ToString(CultureInfo.InvariantCulture), "-U", b.Username!, "-d", b.Database! })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["PGPASSWORD"] = b.Password;
        using var process = Process.Start(psi)!;
        var drain = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(script);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        await drain;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("psql failed: " + await errors);
        }
    }

    private static async Task<double> MedianAsync(int runs, Func<Task> action, Func<Task>? before = null)
    {
        var times = new List<double>();
        for (var i = 0; i < runs; i++)
        {
            if (before is not null)
            {
                await before();
            }

            var sw = Stopwatch.StartNew();
            await action();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }

        times.Sort();
        return times[times.Count / 2];
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
