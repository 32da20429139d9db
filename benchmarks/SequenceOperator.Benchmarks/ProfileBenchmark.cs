using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SequenceOperator.Postgres;
using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Benchmarks;

/// <summary>
/// Where a check's server time goes, at N drifted tables: the engine's discovery batch, and each way of reading
/// every MAX and every sequence that was measured for the engine (the engine's own shape first), each in a fresh
/// connection (cold caches, as a check's own connection has them), by wall-clock time and by the CPU time of the
/// server process (<c>/proc/self/schedstat</c>, read through <c>pg_read_file</c>: the throwaway server's superuser
/// may). Then a whole check and a whole repair by the engine in process, each in a fresh connection, with the
/// client process's CPU time as well (a repair's sequences are set back to their drifted state before each run).
/// Usage: <c>profile [--sizes 1000,10000] [--runs 3] [--parts no]</c> (<c>--parts no</c>: only the whole check and
/// repair).
/// </summary>
internal static class ProfileBenchmark
{
    private const int TablesPerChunk = 130; // the engine's lock budget: about 400 relations (table, index, sequence)

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output)
    {
        IReadOnlyList<int> sizes = [1_000, 10_000];
        var runs = 3;
        var parts = true;
        BenchmarkArguments.Read(args, [
            ("--sizes", value => sizes = BenchmarkArguments.WholeNumbers(value)),
            ("--runs", value => runs = BenchmarkArguments.WholeNumber(value)),
            ("--parts", value => parts = value != "no"),
        ]);

        await using var server = await PostgresServer.StartWithStockLockSettingsAsync();
        output.WriteLine($"Server time of a check's parts, fresh connection each, median of {runs}; milliseconds (wall / server CPU).");
        output.WriteLine();
        output.WriteLine("| tables | part | wall | server CPU | client CPU |");
        output.WriteLine("|---:|---|---:|---:|---:|");
        foreach (var size in sizes)
        {
            var cs = await server.CreateDatabaseAsync(string.Create(CultureInfo.InvariantCulture, $"profile{size}"));
            await DriftFixture.CreateAsync(cs, size);
            var shapes = new List<(string Name, Func<int, IEnumerable<string>> Batches)>
            {
                ("discovery (catalog, one round trip)", _ => [Discovery]),
                ("MAX: UNION ALL of 16 arms; sequences: pg_sequence_last_value, one statement (the engine)", n => Chunked(n, c =>
                    [.. Arms(c, Max).Chunk(16).Select(Union), LastValues(c)])),
                ("MAX and sequences: UNION ALL of 16 arms each (before)", n => Chunked(n, c =>
                    [.. Arms(c, Max).Chunk(16).Select(Union), .. Arms(c, Sequence).Chunk(16).Select(Union)])),
                ("one statement per table: MAX and the sequence, pipelined", n => Chunked(n, c =>
                    c.Select(i => string.Create(CultureInfo.InvariantCulture,
                        $"SELECT (SELECT max(id) FROM t_{i}), last_value, is_called FROM t_{i}_id_seq")))),
                ("MAX: one UNION ALL per chunk (130 arms); sequences: pg_sequence_last_value", n => Chunked(n, c =>
                    [Union(Arms(c, Max)), LastValues(c)])),
            };
            foreach (var (name, batches) in parts ? shapes : [])
            {
                var measured = new List<(double Wall, double Cpu)>();
                for (var run = 0; run < runs; run++)
                {
                    measured.Add(await MeasureAsync(cs, batches(size)));
                }

                Row(output, size, name, measured);
            }

            var engine = new SequenceEngine(NullLogger<SequenceEngine>.Instance);
            var checks = new List<(double Wall, double Cpu)>();
            var repairs = new List<(double Wall, double Cpu)>();
            var checkClient = new List<double>();
            var repairClient = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                // Alternately, so both see the same load.
                var (wall, cpu, client) = await WholeAsync(cs, size, SequenceStatus.Behind,
                    dataSource => engine.CheckAsync(dataSource, new CheckOptions(), CancellationToken.None));
                checks.Add((wall, cpu));
                checkClient.Add(client);
                await PostgresServer.ExecuteAsync(cs, Drift(size));
                (wall, cpu, client) = await WholeAsync(cs, size, SequenceStatus.Repaired,
                    dataSource => engine.RepairAsync(dataSource, new CheckOptions(), new RepairOptions(), CancellationToken.None));
                repairs.Add((wall, cpu));
                repairClient.Add(client);
                await PostgresServer.ExecuteAsync(cs, Drift(size));
            }

            Row(output, size, "a whole check by the engine, in process (connection included)", checks, checkClient);
            Row(output, size, "a whole repair by the engine, in process (connection included)", repairs, repairClient);
        }

        return 0;
    }

    /// <summary>
    /// One whole run by the engine in a fresh connection: wall-clock time, the CPU time of its server process and of
    /// this process, in milliseconds; every sequence must end in <paramref name="expected"/>.
    /// </summary>
    private static async Task<(double Wall, double Cpu, double Client)> WholeAsync(string cs, int size, SequenceStatus expected,
        Func<NpgsqlDataSource, Task<SequenceReport>> run)
    {
        var builder = new NpgsqlConnectionStringBuilder(cs) { ApplicationName = "profile", Pooling = true, MaxPoolSize = 1 };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        var clientBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var report = await run(dataSource);
        var wall = clock.Elapsed.TotalMilliseconds;
        var client = (Process.GetCurrentProcess().TotalProcessorTime - clientBefore).TotalMilliseconds;
        if (report.Sequences.Count(s => s.Status == expected) != size)
        {
            throw new InvalidOperationException($"expected {size} {expected}");
        }

        // The engine's connection is back in the pool, idle: its server process's CPU time so far.
        await using var connection = await dataSource.OpenConnectionAsync();
        return (wall, await CpuAsync(connection), client);
    }

    /// <summary>Every sequence back where <see cref="DriftFixture.CreateAsync"/> left it: it handed out 1 to 3.</summary>
    private static string Drift(int tables) => string.Create(CultureInfo.InvariantCulture,
        $"DO $$ BEGIN FOR i IN 0..{tables - 1} LOOP PERFORM setval(format('t_%s_id_seq', i), 3, true); END LOOP; END $$;");

    private static void Row(TextWriter output, int size, string name, List<(double Wall, double Cpu)> measured,
        List<double>? client = null) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {size:N0} | {name} | {Median(measured.Select(m => m.Wall)):F0} | {Median(measured.Select(m => m.Cpu)):F0} | "
            + $"{(client is null ? string.Empty : Median(client).ToString("F0", CultureInfo.InvariantCulture))} |"));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>
    /// The engine's discovery batch as it runs for a database without domain columns, partitions or inheritance
    /// children, as <see cref="DriftFixture"/> makes: the engine adds <see cref="ColumnDetails"/> (a second round
    /// trip) only where a column needs it.
    /// </summary>
    private static string Discovery => string.Join(";\n",
        SequenceSql.CurrentUser, SequenceSql.Inheritance, SequenceSql.DiscoverColumns, SequenceSql.DiscoverSequences);

    private static string Max(int i) =>
        string.Create(CultureInfo.InvariantCulture, $"SELECT {i} AS i, (SELECT max(id) FROM t_{i})::numeric AS v");

    private static string Sequence(int i) =>
        string.Create(CultureInfo.InvariantCulture, $"SELECT {i} AS i, last_value, is_called FROM t_{i}_id_seq");

    private static IEnumerable<string> Arms(int[] chunk, Func<int, string> arm) => chunk.Select(arm);

    private static string Union(IEnumerable<string> arms) => string.Join("\nUNION ALL\n", arms);

    /// <summary>The engine's statement, its parameter replaced by the chunk's sequences (a batch here sends no parameters).</summary>
    private static string LastValues(int[] chunk)
    {
        const string Parameter = "$1::pg_catalog.int8[]";
        if (!SequenceSql.SequenceLastValues.Contains(Parameter, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"SequenceSql.SequenceLastValues no longer takes {Parameter}: update the profile");
        }

        return SequenceSql.SequenceLastValues.Replace(Parameter, "ARRAY[" + string.Join(", ", chunk.Select(i =>
            string.Create(CultureInfo.InvariantCulture, $"'t_{i}_id_seq'::regclass::oid::int8"))) + "]::pg_catalog.int8[]", StringComparison.Ordinal);
    }

    /// <summary>A batch (one transaction, one round trip) per chunk of tables, as the engine reads them.</summary>
    private static IEnumerable<string> Chunked(int tables, Func<int[], IEnumerable<string>> statements) =>
        Enumerable.Range(0, tables).Chunk(TablesPerChunk).Select(c => string.Join(";\n", ["BEGIN READ ONLY", .. statements(c), "COMMIT"]));

    /// <summary>Runs the batches in a fresh connection; the wall-clock time and the server process's CPU time they took.</summary>
    private static async Task<(double Wall, double Cpu)> MeasureAsync(string cs, IEnumerable<string> batches)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync();
        var cpuBefore = await CpuAsync(connection);
        var clock = Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            await using var command = new NpgsqlCommand(batch, connection);
            await using var reader = await command.ExecuteReaderAsync();
            do
            {
                while (await reader.ReadAsync())
                {
                }
            }
            while (await reader.NextResultAsync());
        }

        var wall = clock.Elapsed.TotalMilliseconds;
        return (wall, await CpuAsync(connection) - cpuBefore);
    }

    /// <summary>The CPU time the connection's server process has used so far, in milliseconds.</summary>
    private static async Task<double> CpuAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT split_part(pg_read_file('/proc/self/schedstat'), ' ', 1)::int8", connection);
        return (long)(await command.ExecuteScalarAsync())! / 1e6;
    }
}
