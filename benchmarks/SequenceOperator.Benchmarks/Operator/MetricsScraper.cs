using System.Diagnostics;

namespace SequenceOperator.Benchmarks.Operator;

/// <summary>Scrapes the operator's /metrics periodically, as Prometheus would (<c>--scrape-every</c>); does nothing when the period is zero.</summary>
internal sealed class MetricsScraper : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<Figures?> _loop;

    private MetricsScraper(OperatorProcess process, TimeSpan every)
    {
        _loop = every > TimeSpan.Zero ? RunAsync(process, every, _stop.Token) : Task.FromResult<Figures?>(null);
    }

    public sealed record Figures(TimeSpan Every, int Succeeded, int Failed, TimeSpan Slowest);

    public static MetricsScraper Start(OperatorProcess process, TimeSpan every) => new(process, every);

    /// <summary>Stops scraping; null when there was no periodic scraping.</summary>
    public async Task<Figures?> StopAsync()
    {
        await _stop.CancelAsync();
        return await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private static async Task<Figures?> RunAsync(OperatorProcess process, TimeSpan every, CancellationToken stop)
    {
        int ok = 0, failed = 0;
        var slowest = TimeSpan.Zero;
        using var timer = new PeriodicTimer(every);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var sw = Stopwatch.StartNew();
                try
                {
                    await process.ScrapeMetricsAsync(stop);
                    ok++;
                }
                catch (HttpRequestException)
                {
                    failed++;
                }

                slowest = sw.Elapsed > slowest ? sw.Elapsed : slowest;
            }
        }
        catch (OperationCanceledException)
        {
        }

        return new Figures(every, ok, failed, slowest);
    }
}
