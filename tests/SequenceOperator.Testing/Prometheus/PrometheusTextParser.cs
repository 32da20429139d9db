using System.Globalization;
using System.Text;

namespace SequenceOperator.Testing.Prometheus;

/// <summary>
/// A strict parser of the Prometheus text exposition format 0.0.4, for tests of <c>/metrics</c>. Stricter than
/// Prometheus itself where the operator's output has no reason to vary: every family needs <c># HELP</c> then
/// <c># TYPE</c> before its samples, and its samples in one block; no blank lines, other comments, trailing commas,
/// extra spaces or <c>\r</c>; the text ends with a newline. Beyond the grammar it checks: metric and label name
/// syntax, reserved <c>__</c> label names, label value escapes (only <c>\\</c>, <c>\"</c>, <c>\n</c>), HELP escapes
/// (only <c>\\</c>, <c>\n</c>), duplicate labels, duplicate series, sample names that fit the family's type,
/// non-negative counters, and histograms: <c>le</c> on every bucket, bounds increasing, counts cumulative, a
/// <c>+Inf</c> bucket, <c>_sum</c> and <c>_count</c> present, and <c>_count</c> equal to the <c>+Inf</c> bucket.
/// Any violation throws <see cref="PrometheusFormatException"/> naming the line.
/// </summary>
public static class PrometheusTextParser
{
    private static readonly HashSet<string> Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    public static PrometheusDocument Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var families = new List<PrometheusFamily>();
        if (text.Length == 0)
        {
            return new PrometheusDocument(families);
        }

        if (!text.EndsWith('\n'))
        {
            throw new PrometheusFormatException(0, "the text does not end with a newline");
        }

        var lines = text[..^1].Split('\n');
        FamilyBuilder? current = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Length; i++)
        {
            var number = i + 1;
            var line = lines[i];
            if (line.Length == 0)
            {
                throw new PrometheusFormatException(number, "blank line");
            }

            if (line.Contains('\r', StringComparison.Ordinal))
            {
                throw new PrometheusFormatException(number, "carriage return");
            }

            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var rest = line["# HELP ".Length..];
                var space = rest.IndexOf(' ', StringComparison.Ordinal);
                if (space < 0)
                {
                    throw new PrometheusFormatException(number, "HELP without text (expected '# HELP name text')");
                }

                var name = rest[..space];
                RequireMetricName(name, number);
                if (!seen.Add(name))
                {
                    throw new PrometheusFormatException(number, $"second HELP for {name} (a family must be one block)");
                }

                if (current is not null)
                {
                    families.Add(current.Build());
                }

                current = new FamilyBuilder(name, UnescapeHelp(rest[(space + 1)..], number));
                continue;
            }

            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line["# TYPE ".Length..].Split(' ');
                if (parts.Length != 2)
                {
                    throw new PrometheusFormatException(number, "TYPE must be '# TYPE name type'");
                }

                if (current is null || current.Name != parts[0])
                {
                    throw new PrometheusFormatException(number, $"TYPE for {parts[0]} without its HELP right before");
                }

                if (current.Type is not null)
                {
                    throw new PrometheusFormatException(number, $"second TYPE for {parts[0]}");
                }

                if (current.Samples.Count > 0)
                {
                    throw new PrometheusFormatException(number, $"TYPE for {parts[0]} after its samples");
                }

                if (!Types.Contains(parts[1]))
                {
                    throw new PrometheusFormatException(number, $"unknown type '{parts[1]}'");
                }

                current.Type = parts[1];
                continue;
            }

            if (line.StartsWith('#'))
            {
                throw new PrometheusFormatException(number, "unexpected comment line");
            }

            var sample = ParseSample(line, number);
            if (current?.Type is null)
            {
                throw new PrometheusFormatException(number, $"sample {sample.Name} before its family's HELP and TYPE");
            }

            if (!BelongsTo(sample, current, out var why))
            {
                throw new PrometheusFormatException(
                    number,
                    $"sample {sample.Name} does not belong to the {current.Type} {current.Name}: {why}");
            }

            if (!current.SeriesKeys.Add(sample.Name + "{" + string.Join(
                ",",
                sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}"))
            {
                throw new PrometheusFormatException(number, $"duplicate series {line}");
            }

            current.Samples.Add((sample, number));
        }

        if (current is not null)
        {
            families.Add(current.Build());
        }

        return new PrometheusDocument(families);
    }

    private static bool BelongsTo(PrometheusSample sample, FamilyBuilder family, out string why)
    {
        why = string.Empty;
        switch (family.Type)
        {
            case "counter":
                if (sample.Name != family.Name)
                {
                    why = "a counter's samples carry the family name";
                    return false;
                }

                if (!(sample.Value >= 0))
                {
                    why = "a counter cannot be negative or NaN";
                    return false;
                }

                return true;
            case "histogram":
                if (sample.Name == family.Name + "_bucket")
                {
                    if (!sample.Labels.ContainsKey("le"))
                    {
                        why = "a bucket needs le";
                        return false;
                    }

                    return true;
                }

                if (sample.Name == family.Name + "_sum" || sample.Name == family.Name + "_count")
                {
                    if (sample.Labels.ContainsKey("le"))
                    {
                        why = "only buckets carry le";
                        return false;
                    }

                    return true;
                }

                why = "expected _bucket, _sum or _count";
                return false;
            case "summary":
                return sample.Name == family.Name || sample.Name == family.Name + "_sum" || sample.Name == family.Name + "_count";
            default:
                if (sample.Name != family.Name)
                {
                    why = "expected the family name";
                    return false;
                }

                return true;
        }
    }

    private static PrometheusSample ParseSample(string line, int number)
    {
        var i = 0;
        while (i < line.Length && IsNameChar(line[i], i == 0, allowColon: true))
        {
            i++;
        }

        var name = line[..i];
        RequireMetricName(name, number);
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            if (i < line.Length && line[i] == '}')
            {
                throw new PrometheusFormatException(number, "empty label braces");
            }

            while (true)
            {
                var start = i;
                while (i < line.Length && IsNameChar(line[i], i == start, allowColon: false))
                {
                    i++;
                }

                var labelName = line[start..i];
                if (labelName.Length == 0)
                {
                    throw new PrometheusFormatException(number, $"bad label name at column {start + 1}");
                }

                if (labelName.StartsWith("__", StringComparison.Ordinal))
                {
                    throw new PrometheusFormatException(number, $"reserved label name {labelName}");
                }

                if (i + 1 >= line.Length || line[i] != '=' || line[i + 1] != '"')
                {
                    throw new PrometheusFormatException(number, $"expected =\" after label {labelName}");
                }

                i += 2;
                var value = new StringBuilder();
                while (true)
                {
                    if (i >= line.Length)
                    {
                        throw new PrometheusFormatException(number, $"unterminated value of label {labelName}");
                    }

                    var c = line[i];
                    if (c == '"')
                    {
                        i++;
                        break;
                    }

                    if (c == '\\')
                    {
                        if (i + 1 >= line.Length)
                        {
                            throw new PrometheusFormatException(number, "backslash at the end of the line");
                        }

                        value.Append(line[i + 1] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            var other => throw new PrometheusFormatException(number, $"bad escape \\{other} in label {labelName}"),
                        });
                        i += 2;
                        continue;
                    }

                    value.Append(c);
                    i++;
                }

                if (!labels.TryAdd(labelName, value.ToString()))
                {
                    throw new PrometheusFormatException(number, $"label {labelName} twice");
                }

                if (i < line.Length && line[i] == ',')
                {
                    i++;
                    if (i < line.Length && line[i] == '}')
                    {
                        throw new PrometheusFormatException(number, "trailing comma in labels");
                    }

                    continue;
                }

                if (i < line.Length && line[i] == '}')
                {
                    i++;
                    break;
                }

                throw new PrometheusFormatException(number, "expected , or } after a label value");
            }
        }

        if (i >= line.Length || line[i] != ' ')
        {
            throw new PrometheusFormatException(number, "expected one space before the value");
        }

        var fields = line[(i + 1)..].Split(' ');
        if (fields.Length is < 1 or > 2 || fields.Any(f => f.Length == 0))
        {
            throw new PrometheusFormatException(number, "expected 'value' or 'value timestamp' after the labels, single spaces");
        }

        var parsed = ParseValue(fields[0], number);
        long? timestamp = null;
        if (fields.Length == 2)
        {
            timestamp = long.TryParse(fields[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var t)
                ? t
                : throw new PrometheusFormatException(number, $"bad timestamp '{fields[1]}'");
        }

        return new PrometheusSample(name, labels, parsed, timestamp);
    }

    /// <summary>A Go <c>ParseFloat</c> number, <c>NaN</c>, <c>+Inf</c> or <c>-Inf</c>.</summary>
    public static double ParseValue(string text, int line = 0)
    {
        ArgumentNullException.ThrowIfNull(text);
        switch (text)
        {
            case "NaN":
                return double.NaN;
            case "+Inf":
                return double.PositiveInfinity;
            case "-Inf":
                return double.NegativeInfinity;
        }

        if (!System.Text.RegularExpressions.Regex.IsMatch(text, @"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$")
            || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            throw new PrometheusFormatException(line, $"bad value '{text}'");
        }

        return value;
    }

    private static string UnescapeHelp(string text, int number)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                builder.Append(text[i]);
                continue;
            }

            if (i + 1 >= text.Length)
            {
                throw new PrometheusFormatException(number, "HELP ends with a backslash");
            }

            builder.Append(text[++i] switch
            {
                '\\' => '\\',
                'n' => '\n',
                var other => throw new PrometheusFormatException(number, $"bad escape \\{other} in HELP"),
            });
        }

        return builder.ToString();
    }

    private static void RequireMetricName(string name, int number)
    {
        if (name.Length == 0 || !name.Select((c, i) => IsNameChar(c, i == 0, allowColon: true)).All(ok => ok))
        {
            throw new PrometheusFormatException(number, $"bad metric name '{name}'");
        }
    }

    private static bool IsNameChar(char c, bool first, bool allowColon) =>
        char.IsAsciiLetter(c) || c == '_' || (allowColon && c == ':') || (!first && char.IsAsciiDigit(c));

    private sealed class FamilyBuilder(string name, string help)
    {
        public string Name { get; } = name;

        public string Help { get; } = help;

        public string? Type { get; set; }

        public List<(PrometheusSample Sample, int Line)> Samples { get; } = [];

        public HashSet<string> SeriesKeys { get; } = new(StringComparer.Ordinal);

        public PrometheusFamily Build()
        {
            if (Type is null)
            {
                throw new PrometheusFormatException(0, $"family {Name} has HELP but no TYPE");
            }

            if (Type == "histogram")
            {
                CheckHistograms();
            }

            return new PrometheusFamily(Name, Type, Help, [.. Samples.Select(s => s.Sample)]);
        }

        private void CheckHistograms()
        {
            foreach (var group in Samples.GroupBy(s => SeriesKey(s.Sample), StringComparer.Ordinal))
            {
                var buckets = group.Where(s => s.Sample.Name == Name + "_bucket").ToList();
                var sum = group.Where(s => s.Sample.Name == Name + "_sum").ToList();
                var count = group.Where(s => s.Sample.Name == Name + "_count").ToList();
                var at = group.First().Line;
                if (buckets.Count == 0)
                {
                    throw new PrometheusFormatException(at, $"histogram {Name}{group.Key} has no buckets");
                }

                if (sum.Count != 1 || count.Count != 1)
                {
                    throw new PrometheusFormatException(at, $"histogram {Name}{group.Key} needs one _sum and one _count");
                }

                var previousBound = double.NegativeInfinity;
                var previousCount = 0.0;
                foreach (var (bucket, line) in buckets)
                {
                    var bound = ParseValue(bucket.Labels["le"], line);
                    if (double.IsNaN(bound) || bound <= previousBound)
                    {
                        throw new PrometheusFormatException(line, $"le=\"{bucket.Labels["le"]}\" is not above the previous bound");
                    }

                    if (!(bucket.Value >= previousCount) || bucket.Value % 1 != 0)
                    {
                        throw new PrometheusFormatException(
                            line,
                            $"bucket count {bucket.Value} is not cumulative (previous {previousCount})");
                    }

                    previousBound = bound;
                    previousCount = bucket.Value;
                }

                if (!double.IsPositiveInfinity(previousBound) || buckets[^1].Sample.Labels["le"] != "+Inf")
                {
                    throw new PrometheusFormatException(buckets[^1].Line, $"histogram {Name}{group.Key} does not end with le=\"+Inf\"");
                }

                if (count[0].Sample.Value != previousCount)
                {
                    throw new PrometheusFormatException(count[0].Line, $"_count {count[0].Sample.Value} != +Inf bucket {previousCount}");
                }

                var bucketLines = buckets.Select(b => b.Line).ToList();
                if (bucketLines.Max() > sum[0].Line || bucketLines.Max() > count[0].Line)
                {
                    throw new PrometheusFormatException(
                        sum[0].Line,
                        $"histogram {Name}{group.Key}: buckets must come before _sum and _count");
                }
            }
        }

        private static string SeriesKey(PrometheusSample sample) =>
            "{" + string.Join(
                ",",
                sample.Labels.Where(l => l.Key != "le").OrderBy(
                    l => l.Key,
                    StringComparer.Ordinal).Select(l => $"{l.Key}=\"{l.Value}\"")) + "}";
    }
}

/// <summary>A parsed exposition.</summary>
public sealed class PrometheusDocument(IReadOnlyList<PrometheusFamily> families)
{
    public IReadOnlyList<PrometheusFamily> Families { get; } = families;

    /// <summary>The family of that name, or null.</summary>
    public PrometheusFamily? Family(string name) => Families.FirstOrDefault(f => f.Name == name);

    /// <summary>
    /// Every sample named <paramref name="sampleName"/> whose labels include all of <paramref name="labels"/> ("name=value").
    /// </summary>
    public IReadOnlyList<PrometheusSample> Samples(string sampleName, params string[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var wanted = labels.Select(l => l.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1])).ToList();
        return
        [
            .. Families.SelectMany(f => f.Samples)
                .Where(s => s.Name == sampleName && wanted.All(w => s.Labels.TryGetValue(w.Key, out var v) && v == w.Value)),
        ];
    }

    /// <summary>The value of the one sample that matches; throws if none or several do.</summary>
    public double Value(string sampleName, params string[] labels)
    {
        var matches = Samples(sampleName, labels);
        return matches.Count == 1
            ? matches[0].Value
            : throw new InvalidOperationException($"{matches.Count} samples of {sampleName} match {string.Join(",", labels)}");
    }
}

public sealed record PrometheusFamily(string Name, string Type, string Help, IReadOnlyList<PrometheusSample> Samples);

public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value, long? Timestamp);

public sealed class PrometheusFormatException : FormatException
{
    public PrometheusFormatException()
    {
    }

    public PrometheusFormatException(string message)
        : base(message)
    {
    }

    public PrometheusFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PrometheusFormatException(int line, string message)
        : base(line > 0 ? $"line {line}: {message}" : message)
    {
        Line = line;
    }

    /// <summary>1-based line of the problem; 0 when it concerns the whole text.</summary>
    public int Line { get; }
}
