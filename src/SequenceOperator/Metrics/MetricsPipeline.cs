using System.Buffers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using SequenceOperator.Logging;

namespace SequenceOperator.Metrics;

/// <summary>
/// Exports <see cref="SequenceOperatorMetrics"/>: on <c>/metrics</c> through a <see cref="PrometheusCollector"/> that
/// reads the instruments at each scrape (cumulative values, nothing kept per series between scrapes), and, when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is configured, over OTLP through an OpenTelemetry <see cref="MeterProvider"/>
/// with a periodic reader (the standard <c>OTEL_*</c> settings apply; the SDK is built only then, since it keeps
/// every series it sees in slots it allocates up front). Disposing it flushes OTLP and releases the meter.
/// </summary>
internal sealed partial class MetricsPipeline : IDisposable
{
    /// <summary>The configuration key that turns OTLP export on.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>.NET's own meter (GC, memory, thread pool), exported on /metrics with <c>Metrics:RuntimeMetrics</c>.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    private readonly MeterProvider? _provider;
    private readonly PrometheusCollector _collector;
    private readonly SemaphoreSlim _scrapeLock = new(1, 1);

    /// <param name="options">Validated by <see cref="MetricsOptionsValidator"/> (the options system does it on start).</param>
    /// <param name="configureOtlp">Tests only: adjusts the OTLP exporter options after configuration was applied.</param>
    public MetricsPipeline(
        MetricsOptions options,
        IConfiguration configuration,
        TimeProvider timeProvider,
        ILogger<MetricsPipeline> logger,
        Action<OtlpExporterOptions>? configureOtlp = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        Metrics = new SequenceOperatorMetrics(timeProvider);
        var meter = Metrics.Meter;
        var metrics = Metrics;

        // The operator's own meter (this instance's: test hosts run side by side), and with Metrics:RuntimeMetrics .NET's.
        // A deleted policy's histogram series are still recorded: the filter hides them (and the collector drops them).
        _collector = new PrometheusCollector(
            m => ReferenceEquals(m, meter) || (options.RuntimeMetrics && m.Name == RuntimeMeterName),
            instrument => LimitOf(instrument.Name, options),
            BoundsOf,
            labels => IsLive(metrics, labels));

        var otlpEndpoint = configuration[OtlpEndpointKey];
        if (string.IsNullOrWhiteSpace(otlpEndpoint))
        {
            return;
        }

        var builder = Sdk.CreateMeterProviderBuilder()
            .AddMeter(MetricNames.MeterName)
            .AddView(instrument =>
            {
                if (instrument.Meter.Name != MetricNames.MeterName)
                {
                    return null;
                }

                // Another pipeline's meter (tests run hosts side by side): not ours to export.
                if (!ReferenceEquals(instrument.Meter, meter))
                {
                    return MetricStreamConfiguration.Drop;
                }

                return BoundsOf(instrument) is { } bounds
                    ? new ExplicitBucketHistogramConfiguration
                    {
                        Boundaries = [.. bounds],
                        CardinalityLimit = LimitOf(instrument.Name, options),
                    }
                    : new MetricStreamConfiguration { CardinalityLimit = LimitOf(instrument.Name, options) };
            });

        // The exporter reads OTEL_EXPORTER_OTLP_* and OTEL_METRIC_EXPORT_* from this configuration.
        builder.ConfigureServices(services => services.AddSingleton(configuration));
        builder.AddOtlpExporter((exporterOptions, readerOptions) =>
        {
            readerOptions.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
            configureOtlp?.Invoke(exporterOptions);
        });
        OtlpEnabled = true;
        LogOtlpEnabled(logger, otlpEndpoint);
        _provider = builder.Build();
    }

    /// <summary>The metrics service the reconciler reports to.</summary>
    public SequenceOperatorMetrics Metrics { get; }

    /// <summary>True when an OTLP exporter was added (<see cref="OtlpEndpointKey"/> was set).</summary>
    public bool OtlpEnabled { get; }

    /// <summary>
    /// Collects now and hands the text exposition to <paramref name="write"/>. Concurrent scrapes run one after the
    /// other; each page is built in its own short-lived chunks, so nothing of it stays in memory between scrapes.
    /// </summary>
    /// <param name="gzip">Compress the page as it is written (the client accepts gzip, as Prometheus does).</param>
    public async Task ScrapeAsync(Func<ChunkedBufferWriter, Task> write, CancellationToken cancellationToken, bool gzip = false)
    {
        ArgumentNullException.ThrowIfNull(write);
        await _scrapeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        var page = new ChunkedBufferWriter();
        try
        {
            using var compressed = gzip ? new GzipBufferWriter(page) : null;
            _collector.Collect((IBufferWriter<byte>?)compressed ?? page);
        }
        finally
        {
            _scrapeLock.Release();
        }

        await write(page).ConfigureAwait(false);
    }

    /// <summary>Collects now and returns the text exposition (tests, diagnostics).</summary>
    public async Task<byte[]> ScrapeAsync(CancellationToken cancellationToken)
    {
        byte[] copy = [];
        await ScrapeAsync(page =>
        {
            copy = page.ToArray();
            return Task.CompletedTask;
        }, cancellationToken).ConfigureAwait(false);
        return copy;
    }

    /// <summary>Exports to OTLP now (true without OTLP: nothing to export); for shutdown paths and tests.</summary>
    public bool ForceFlush(int timeoutMilliseconds = 5000) => _provider?.ForceFlush(timeoutMilliseconds) ?? true;

    public void Dispose()
    {
        _provider?.Dispose();
        _collector.Dispose();
        Metrics.Dispose();
        _scrapeLock.Dispose();
    }

    /// <summary>An instrument's cardinality limit (series per scrape on /metrics; series ever created for OTLP).</summary>
    private static int LimitOf(string instrument, MetricsOptions options) => instrument switch
    {
        MetricNames.SequenceBehind or MetricNames.SequenceCapacityUsedRatio => options.SequenceSeriesLimit,
        MetricNames.ExplicitIdRowsTotal or MetricNames.DriftDetectedTotal or MetricNames.SequenceExhaustionTimestampSeconds =>
            options.InsightSeriesLimit,
        _ => options.PolicySeriesLimit,
    };

    /// <summary>False for a series of a policy that is gone (by its namespace and policy labels).</summary>
    private static bool IsLive(SequenceOperatorMetrics metrics, ReadOnlySpan<KeyValuePair<string, string>> labels)
    {
        string? ns = null, policy = null;
        foreach (var (name, value) in labels)
        {
            if (name == "namespace")
            {
                ns = value;
            }
            else if (name == "policy")
            {
                policy = value;
            }
        }

        return ns is null || policy is null || metrics.IsLive(ns, policy);
    }

    private static IReadOnlyList<double>? BoundsOf(System.Diagnostics.Metrics.Instrument instrument) =>
        instrument.Name == MetricNames.CheckDurationSeconds ? SequenceOperatorMetrics.CheckDurationBuckets : null;

    [LoggerMessage(EventId = LogEvents.Metrics.OtlpEnabled, Level = LogLevel.Information,
        Message = "Exporting metrics over OTLP to {Endpoint} as well as on /metrics")]
    private static partial void LogOtlpEnabled(ILogger logger, string endpoint);
}
