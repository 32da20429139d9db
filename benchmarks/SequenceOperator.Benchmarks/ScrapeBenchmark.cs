using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using SequenceOperator.Metrics;
using SequenceOperator.Postgres;

namespace SequenceOperator.Benchmarks;

/// <summary>
/// What one <c>/metrics</c> scrape costs in this process: every policy has recorded one check of
/// <c>--tables</c> sequences, all behind (so each has its two per-sequence series), then the page is collected and
/// gzipped <c>--scrapes</c> times. Prints the bytes allocated and the time of each scrape, and the live heap after it;
/// the first scrape also creates the SDK's series. Usage: <c>scrape [--policies 500] [--tables 20] [--scrapes 5]</c>.
/// </summary>
internal static class ScrapeBenchmark
{
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var policies = 500;
        var tables = 20;
        var scrapes = 5;
        BenchmarkArguments.Read(args, [
            ("--policies", value => policies = BenchmarkArguments.WholeNumber(value)),
            ("--tables", value => tables = BenchmarkArguments.WholeNumber(value)),
            ("--scrapes", value => scrapes = BenchmarkArguments.WholeNumber(value)),
        ]);

        using var pipeline = new MetricsPipeline(new MetricsOptions(), new ConfigurationBuilder().Build(), TimeProvider.System, NullLogger<MetricsPipeline>.Instance);
        for (var p = 0; p < policies; p++)
        {
            var sequences = Enumerable.Range(1, tables)
                .Select(t => new SequenceObservation("public", $"t_{t:D3}", "id", $"public.t_{t:D3}_id_seq", 999, 0.001, SequenceStatus.Behind))
                .ToList();
            pipeline.Metrics.RecordCheck(
                new PolicyLabels($"tenant-{p:D4}", "cityforge"),
                new CheckOutcome { Succeeded = true, Duration = TimeSpan.FromMilliseconds(20), Sequences = sequences, TablesListedExplicitly = false });
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"scrape: {policies} policies x {tables} sequences behind; live heap before the first scrape {LiveMegabytes():F1} MB"));
        output.WriteLine("| scrape | page (KB, gzipped) | allocated (MB) | time (ms) | live heap after (MB) |");
        output.WriteLine("|---:|---:|---:|---:|---:|");
        for (var s = 1; s <= scrapes; s++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            long size = 0;
            await pipeline.ScrapeAsync(page =>
            {
                size = page.Length;
                return Task.CompletedTask;
            }, CancellationToken.None, gzip: true);
            clock.Stop();
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {s} | {size / 1024.0:F0} | {allocated / 1048576.0:F2} | {clock.Elapsed.TotalMilliseconds:F0} | {LiveMegabytes():F1} |"));
        }

        return 0;
    }

    private static double LiveMegabytes() => GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;
}
