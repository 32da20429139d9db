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

    /// <summary>
    /// A dashboard query as Prometheus receives it: Grafana's interval variables replaced by a duration, and a
    /// label_values(selector, label) variable query reduced to its selector.
    /// </summary>
    public static string ForParsing(string expression)
    {
        var text = expression.Replace("$__rate_interval", "5m", StringComparison.Ordinal)
            .Replace("$__interval", "1m", StringComparison.Ordinal).Replace("$__range", "1h", StringComparison.Ordinal);
        var labelValues = LabelValues().Match(text);
        return labelValues.Success ? labelValues.Groups[1].Value : text;
    }

    /// <summary>The expressions Prometheus' own PromQL grammar does not parse.</summary>
    public static List<string> SyntaxErrors(IReadOnlyList<string> expressions)
    {
        var grammar = Path.Combine(RepoPaths.Root, ".tools", "promql", "node_modules", "@prometheus-io", "lezer-promql");
        if (!Directory.Exists(grammar))
        {
            throw new InvalidOperationException($"{grammar} is missing: run `bash scripts/install-helm.sh` (scripts/bootstrap.sh does).");
        }

        var script = RepoPaths.File("tests", "SequenceOperator.Tests", "Deployment", "check-promql.cjs");
        var input = Path.Combine(Path.GetTempPath(), $"sequence-operator-promql-{Guid.NewGuid():N}.json");
        File.WriteAllText(input, System.Text.Json.JsonSerializer.Serialize(expressions));
        try
        {
            var result = Tool.Run(
                "bash",
                ["-c", "node \"$0\" \"$1\" < \"$2\"", script, RepoPaths.Root, input]).EnsureSuccess("node check-promql.cjs");
            using var failures = System.Text.Json.JsonDocument.Parse(result.Stdout);
            return failures.RootElement.EnumerateArray().Select(f => f.GetProperty("expr").GetString()!).ToList();
        }
        finally
        {
            File.Delete(input);
        }
    }

    [GeneratedRegex(@"^label_values\((.+),\s*[a-zA-Z_][a-zA-Z0-9_]*\)$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValues();

    /// <summary>Anchors GitHub gives the headings of a Markdown file.</summary>
    public static HashSet<string> MarkdownAnchors(string markdown) =>
        markdown.Split('\n').Where(l => l.StartsWith('#'))
            .Select(l => Slug().Replace(l.TrimStart('#').Trim().ToLowerInvariant(), string.Empty).Replace(' ', '-'))
            .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex("[^a-z0-9 _-]", RegexOptions.CultureInvariant)]
    private static partial Regex Slug();
}
