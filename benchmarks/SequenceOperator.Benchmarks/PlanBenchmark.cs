using System.Diagnostics;
using System.Globalization;
using Npgsql;
using SequenceOperator.Postgres;

namespace SequenceOperator.Benchmarks;

/// <summary>
/// What a check spends on the client between the discovery query's rows and the first measuring statement: reading
/// the column rows (<see cref="ColumnRow.Read"/>), then judging every default (<see cref="FeedDiscovery.Plan"/>,
/// <see cref="FeedDiscovery.NamesNeeded"/>, <see cref="FeedDiscovery.Feeds"/>), each <c>--runs</c> times, on the
/// catalog of an existing database (read only). Prints CPU milliseconds and bytes allocated per pass; the first pass
/// includes the JIT. Reading is timed by the clock around each call (the row is already buffered); judging by the
/// process's CPU time, the GC's included. Usage: <c>plan [--connection "Host=...;Database=drift10000;..."] [--runs 5]</c>.
/// </summary>
internal static class PlanBenchmark
{
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var connectionString = "Host=127.0.0.1;Port=55432;Username=postgres;Password=secret;Database=drift10000";
        var runs = 5;
        BenchmarkArguments.Read(args, [
            ("--connection", value => connectionString = value),
            ("--runs", value => runs = BenchmarkArguments.WholeNumber(value)),
        ]);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var inheritance = new Inheritance();
        await using (var command = new NpgsqlCommand(SequenceSql.Inheritance, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                inheritance.Add(reader.GetInt64(0), reader.GetInt64(1));
            }
        }

        var names = new NameTable();
        var sequences = new List<SequenceRow>();
        await using (var command = new NpgsqlCommand(SequenceSql.DiscoverSequences, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                sequences.Add(SequenceRow.Read(reader, names));
            }
        }

        output.WriteLine("| pass | rows | read: ms | read: allocated MB | plan: CPU ms | plan: allocated MB |");
        output.WriteLine("|---:|---:|---:|---:|---:|---:|");
        for (var run = 1; run <= runs; run++)
        {
            var drafts = new List<ColumnDraft>();
            long readTicks = 0;
            long readBytes = 0;
            await using (var command = new NpgsqlCommand(SequenceSql.DiscoverColumns, connection))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (true)
                {
                    // Only ColumnRow.Read is counted, not the wait for the next row.
                    if (!await reader.ReadAsync())
                    {
                        break;
                    }

                    var (start, bytes) = (Stopwatch.GetTimestamp(), GC.GetAllocatedBytesForCurrentThread());
                    drafts.Add(ColumnRow.Read(reader, inheritance, names));
                    readTicks += Stopwatch.GetTimestamp() - start;
                    readBytes += GC.GetAllocatedBytesForCurrentThread() - bytes;
                }
            }

            // Domain columns and partitions, as the engine reads them (not timed: none in the drift databases).
            var details = ColumnDetails.For(drafts);
            if (details.Needed)
            {
                await SequenceEngine.RunBatchAsync(connection, details.Statements(),
                    (resultSet, reader) => details.Read(resultSet, reader, names), CancellationToken.None);
            }

            var columns = drafts.Select(details.Complete).OfType<ColumnRow>().ToList();
            columns.Sort(ColumnRow.CatalogOrder);
            var (planStart, planBytes) = (ProcessCpu(), GC.GetAllocatedBytesForCurrentThread());
            var plan = FeedDiscovery.Plan(columns, sequences);
            plan.NamesNeeded();
            var feeds = plan.Feeds(new Dictionary<(char Kind, long Oid), string>());
            var planCpu = ProcessCpu() - planStart;
            planBytes = GC.GetAllocatedBytesForCurrentThread() - planBytes;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {run} | {feeds.Count} | {Stopwatch.GetElapsedTime(0, readTicks).TotalMilliseconds:F1} | {readBytes / 1e6:F1} | {planCpu.TotalMilliseconds:F1} | {planBytes / 1e6:F1} |"));
        }

        return 0;
    }

    private static TimeSpan ProcessCpu() => Process.GetCurrentProcess().TotalProcessorTime;
}
