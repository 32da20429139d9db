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
/// Owns the OpenTelemetry <see cref="MeterProvider"/> for <see cref="SequenceOperatorMetrics"/>: a pull reader that the
/// <c>/metrics</c> endpoint collects on each scrape (cumulative temporality), and, when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is configured, an OTLP exporter with a periodic reader (the standard
/// <c>OTEL_*</c> settings apply). Disposing it flushes OTLP and releases the meter.
/// </summary>
internal sealed partial class MetricsPipeline : IDisposable
{
    /// <summary>The configuration key that turns OTLP export on.</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private readonly MeterProvider _provider;
    private readonly BaseExportingMetricReader _scrapeReader;
    private readonly ScrapeExporter _scrapeExporter;
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
        _scrapeExporter = new ScrapeExporter(Metrics);
        _scrapeReader = new BaseExportingMetricReader(_scrapeExporter) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative };

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

                return instrument.Name switch
                {
                    MetricNames.SequenceBehind or MetricNames.SequenceCapacityUsedRatio =>
                        new MetricStreamConfiguration { CardinalityLimit = options.SequenceSeriesLimit },
                    MetricNames.ExplicitIdRowsTotal or MetricNames.DriftDetectedTotal or MetricNames.SequenceExhaustionTimestampSeconds =>
                        new MetricStreamConfiguration { CardinalityLimit = options.InsightSeriesLimit },
                    MetricNames.CheckDurationSeconds => new ExplicitBucketHistogramConfiguration
                    {
                        Boundaries = [.. SequenceOperatorMetrics.CheckDurationBuckets],
                        CardinalityLimit = options.PolicySeriesLimit,
                    },
                    _ => new MetricStreamConfiguration { CardinalityLimit = options.PolicySeriesLimit },
                };
            })
            .AddReader(_scrapeReader);

        var otlpEndpoint = configuration[OtlpEndpointKey];
        if (!string.IsNullOrWhiteSpace(otlpEndpoint))
        {
            // The exporter reads OTEL_EXPORTER_OTLP_* and OTEL_METRIC_EXPORT_* from this configuration.
            builder.ConfigureServices(services => services.AddSingleton(configuration));
            builder.AddOtlpExporter((exporterOptions, readerOptions) =>
            {
                readerOptions.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
                configureOtlp?.Invoke(exporterOptions);
            });
            OtlpEnabled = true;
            LogOtlpEnabled(logger, otlpEndpoint);
        }

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
            _scrapeExporter.Output = (IBufferWriter<byte>?)compressed ?? page;
            if (!_scrapeReader.Collect() || !_scrapeExporter.Wrote)
            {
                throw new InvalidOperationException("Metrics collection failed (is the meter provider disposed?).");
            }
        }
        finally
        {
            _scrapeExporter.Output = null;
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

    /// <summary>Exports to OTLP now (no-op without OTLP); for shutdown paths and tests.</summary>
    public bool ForceFlush(int timeoutMilliseconds = 5000) => _provider.ForceFlush(timeoutMilliseconds);

    public void Dispose()
    {
        _provider.Dispose();
        Metrics.Dispose();
        _scrapeLock.Dispose();
    }

    [LoggerMessage(
        EventId = LogEvents.Metrics.OtlpEnabled,
        Level = LogLevel.Information,
        Message = "Exporting metrics over OTLP to {Endpoint} as well as on /metrics")]
    private static partial void LogOtlpEnabled(ILogger logger, string endpoint);

    /// <summary>Serializes each collection of the pull reader; the result is read right after <c>Collect()</c> returns.</summary>
    private sealed class ScrapeExporter(SequenceOperatorMetrics metrics) : BaseExporter<Metric>
    {
        private IBufferWriter<byte>? _current;

        public IBufferWriter<byte>? Output
        {
            get => _current;
            set
            {
                _current = value;
                Wrote = false;
            }
        }

        /// <summary>True once an export wrote to the current <see cref="Output"/>.</summary>
        public bool Wrote { get; private set; }

        public override ExportResult Export(in Batch<Metric> batch)
        {
            if (Output is not { } output)
            {
                return ExportResult.Success; // a flush outside a scrape (e.g. ForceFlush for OTLP): nothing to write
            }

            // The SDK keeps a sync instrument's series (the histogram) after its policy is gone: hide them here.
            PrometheusTextSerializer.Serialize(batch, labels =>
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
            }, output);
            Wrote = true;
            return ExportResult.Success;
        }
    }
}
