using Microsoft.Extensions.Options;

namespace SequenceOperator.Metrics;

/// <summary>Configuration section <c>Metrics</c>.</summary>
internal sealed class MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>
    /// OpenTelemetry cardinality limit of each per-sequence gauge (series ever created, per reader). The default
    /// covers 500 policies × 20 listed tables five times over; each slot costs about 100 bytes, allocated up front.
    /// </summary>
    public int SequenceSeriesLimit { get; set; } = 50_000;

    /// <summary>
    /// OpenTelemetry cardinality limit of each drift-history instrument (<c>drift_detected_total</c>,
    /// <c>explicit_id_rows_total</c>, <c>sequence_exhaustion_timestamp_seconds</c>): one series per tracked column.
    /// Smaller than <see cref="SequenceSeriesLimit"/> because the SDK allocates every slot up front (about 94 bytes
    /// each, per reader): 20,000 costs about 1.9 MB an instrument, 50,000 would cost 4.7 MB.
    /// </summary>
    public int InsightSeriesLimit { get; set; } = 20_000;

    /// <summary>OpenTelemetry cardinality limit of each per-policy instrument (the state gauge uses 4 series per policy).</summary>
    public int PolicySeriesLimit { get; set; } = 5_000;
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
