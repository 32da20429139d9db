using Microsoft.Extensions.Options;

namespace SequenceOperator.Metrics;

/// <summary>Configuration section <c>Metrics</c>.</summary>
internal sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>
    /// Cardinality limit of each per-sequence gauge: on <c>/metrics</c> the series of one scrape (beyond it they fold
    /// into one <c>otel_metric_overflow</c> series; nothing is allocated for the limit), for OTLP the OpenTelemetry
    /// SDK's (series ever created, in slots of about 100 bytes allocated up front). The default covers 2,000 policies ×
    /// 20 listed tables with room to spare.
    /// </summary>
    public int SequenceSeriesLimit { get; set; } = 50_000;

    /// <summary>
    /// Cardinality limit of each drift-history instrument (<c>drift_detected_total</c>, <c>explicit_id_rows_total</c>,
    /// <c>sequence_exhaustion_timestamp_seconds</c>): one series per tracked column. Smaller than
    /// <see cref="SequenceSeriesLimit"/> because with OTLP the SDK allocates every slot up front (about 94 bytes each):
    /// 20,000 costs about 1.9 MB an instrument, 50,000 would cost 4.7 MB.
    /// </summary>
    public int InsightSeriesLimit { get; set; } = 20_000;

    /// <summary>Cardinality limit of each per-policy instrument (the state gauge uses 5 series per policy: 2,500 policies).</summary>
    public int PolicySeriesLimit { get; set; } = 12_500;

    /// <summary>
    /// Also export .NET's runtime metrics (the <c>System.Runtime</c> meter: GC heap size and collections, committed
    /// memory, working set, thread pool) on <c>/metrics</c>, as <c>dotnet_*</c> families. Off by default: the operator
    /// benchmark turns it on to show where the memory goes.
    /// </summary>
    public bool RuntimeMetrics { get; set; }
}

/// <summary>
/// The one check of <see cref="MetricsOptions"/>: registered with <c>ValidateOnStart</c>, so a bad limit stops the host at start.
/// </summary>
internal sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.SequenceSeriesLimit < 1 || options.PolicySeriesLimit < 1 || options.InsightSeriesLimit < 1
            ? ValidateOptionsResult.Fail(
                "Metrics:SequenceSeriesLimit, Metrics:InsightSeriesLimit and Metrics:PolicySeriesLimit must be at least 1.")
            : ValidateOptionsResult.Success;
    }
}
