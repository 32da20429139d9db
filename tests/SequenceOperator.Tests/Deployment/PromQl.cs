using System.Text.RegularExpressions;
using SequenceOperator.Metrics;

namespace SequenceOperator.Tests.Deployment;

/// <summary>Metric names in PromQL, checked against what the operator exports.</summary>
internal static partial class PromQl
{
    /// <summary>Series names a histogram exports besides its base name.</summary>
    private static readonly string[] HistogramSuffixes = ["_bucket", "_sum", "_count"];

    private static readonly string[] Histograms = [MetricNames.CheckDurationSeconds];

    /// <summary>Metrics that carry {namespace, policy}: every one but the operator-wide ones.</summary>
    public static readonly string[] PolicyMetrics =
        MetricNames.All.Except([MetricNames.Leader, MetricNames.WatchRestartsTotal]).ToArray();

    [GeneratedRegex("sequence_operator_[a-z_]+", RegexOptions.CultureInvariant)]
    private static partial Regex MetricName();

    public static SortedSet<string> MetricsIn(string expression) =>
        new(MetricName().Matches(expression).Select(m => m.Value), StringComparer.Ordinal);

    /// <summary>The exported metric a series name belongs to, or null when the operator exports no such series.</summary>
    public static string? ExportedMetric(string series)
    {
        if (MetricNames.All.Contains(series))
        {
            return series;
        }

        foreach (var suffix in HistogramSuffixes)
        {
            if (series.EndsWith(suffix, StringComparison.Ordinal) && Histograms.Contains(series[..^suffix.Length]))
            {
                return series[..^suffix.Length];
            }
        }

        return null;
    }

    /// <summary>Anchors GitHub gives the headings of a Markdown file.</summary>
    public static HashSet<string> MarkdownAnchors(string markdown) =>
        markdown.Split('\n').Where(l => l.StartsWith('#'))
            .Select(l => Slug().Replace(l.TrimStart('#').Trim().ToLowerInvariant(), string.Empty).Replace(' ', '-'))
            .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex("[^a-z0-9 _-]", RegexOptions.CultureInvariant)]
    private static partial Regex Slug();
}
