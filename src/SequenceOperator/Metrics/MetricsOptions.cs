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

    /// <summary>OpenTelemetry cardinality limit of each per-policy instrument (the state gauge uses 4 series per policy).</summary>
    public int PolicySeriesLimit { get; set; } = 5_000;
}
