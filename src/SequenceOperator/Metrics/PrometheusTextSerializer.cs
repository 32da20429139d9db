using System.Buffers;
using System.Globalization;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace SequenceOperator.Metrics;

/// <summary>
/// Writes collected OpenTelemetry metrics in the Prometheus text exposition format 0.0.4: for each family, in name
/// order, <c># HELP</c>, <c># TYPE</c>, then its series in label order. Monotonic sums are counters (the name gets
/// <c>_total</c> unless it already ends with it), other sums and gauges are gauges, explicit-bucket histograms are
/// <c>_bucket{le}</c> (cumulative, ending with <c>+Inf</c>), <c>_sum</c> and <c>_count</c>. Label values and HELP text
/// are escaped; NaN and infinities are written <c>NaN</c>, <c>+Inf</c>, <c>-Inf</c>. No timestamps (the scrape time
/// applies), no scope or resource labels. Units are not appended: the operator's names already carry them.
/// </summary>
internal static class PrometheusTextSerializer
{
    private static readonly SearchValues<char> LabelNameChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    private static readonly SearchValues<char> MetricNameChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:");

    /// <summary>The Content-Type of the output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <param name="batch">The metrics of one collection (only valid during the export call).</param>
    /// <param name="include">Whether a series (by its sanitized labels) is written; false hides it.</param>
    /// <param name="output">Receives the UTF-8 text; the pipeline reuses one buffer across scrapes.</param>
    public static void Serialize(in Batch<Metric> batch, Func<IReadOnlyList<KeyValuePair<string, string>>, bool> include, IBufferWriter<byte> output)
    {
        var families = new SortedDictionary<string, Family>(StringComparer.Ordinal);
        foreach (var metric in batch)
        {
            var (type, isCounter) = metric.MetricType switch
            {
                MetricType.LongSum or MetricType.DoubleSum => ("counter", true),
                MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic or MetricType.LongGauge or MetricType.DoubleGauge => ("gauge", false),
                MetricType.Histogram => ("histogram", false),
                _ => (null, false), // exponential histograms have no 0.0.4 form; the operator has none
            };
            if (type is null)
            {
                continue;
            }

            var name = SanitizeMetricName(metric.Name);
            if (isCounter && !name.EndsWith("_total", StringComparison.Ordinal))
            {
                name += "_total";
            }

            if (!families.TryGetValue(name, out var family))
            {
                family = new Family(name, metric.Description, type);
                families.Add(name, family);
            }

            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var labels = Labels(point);
                if (!include(labels))
                {
                    continue;
                }

                family.Series.Add(metric.MetricType switch
                {
                    MetricType.LongSum or MetricType.LongSumNonMonotonic => new Series(labels, SampleValue.Of(point.GetSumLong()), null),
                    MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => new Series(labels, SampleValue.Of(point.GetSumDouble()), null),
                    MetricType.LongGauge => new Series(labels, SampleValue.Of(point.GetGaugeLastValueLong()), null),
                    MetricType.DoubleGauge => new Series(labels, SampleValue.Of(point.GetGaugeLastValueDouble()), null),
                    _ => new Series(labels, default, Histogram(point)),
                });
            }
        }

        var text = new Utf8Text(output);
        foreach (var family in families.Values.Where(f => f.Series.Count > 0))
        {
            text.Append("# HELP ").Append(family.Name).Append(' ').Append(EscapeHelp(family.Help)).Append('\n');
            text.Append("# TYPE ").Append(family.Name).Append(' ').Append(family.Type).Append('\n');
            family.Series.Sort(static (a, b) => CompareLabels(a.Labels, b.Labels));
            foreach (var series in family.Series)
            {
                if (series.Histogram is { } histogram)
                {
                    long cumulative = 0;
                    foreach (var (bound, count) in histogram.Buckets)
                    {
                        cumulative += count;
                        Sample(text, family.Name, "_bucket", series.Labels, bound, SampleValue.Of(cumulative));
                    }

                    Sample(text, family.Name, "_sum", series.Labels, null, SampleValue.Of(histogram.Sum));
                    Sample(text, family.Name, "_count", series.Labels, null, SampleValue.Of(histogram.Count));
                }
                else
                {
                    Sample(text, family.Name, null, series.Labels, null, series.Value);
                }
            }
        }
    }

    /// <summary>Appends text straight into a UTF-8 buffer: no UTF-16 copy of a page that can be megabytes long.</summary>
    private readonly struct Utf8Text(IBufferWriter<byte> output)
    {
        public Utf8Text Append(string value) => Append(value.AsSpan());

        public Utf8Text Append(ReadOnlySpan<char> value)
        {
            if (!value.IsEmpty)
            {
                // Encoding.GetBytes(span, IBufferWriter) would allocate an Encoder per call: encode into a span instead.
                var written = Encoding.UTF8.GetBytes(value, output.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length)));
                output.Advance(written);
            }

            return this;
        }

        /// <summary>The value as Prometheus reads it (see <see cref="Format(double)"/>), formatted in place.</summary>
        public Utf8Text Append(SampleValue value)
        {
            if (value.IsLong)
            {
                var span = output.GetSpan(20);
                value.Long.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
                output.Advance(written);
                return this;
            }

            if (!double.IsFinite(value.Double))
            {
                return Append(Format(value.Double));
            }

            var buffer = output.GetSpan(32);
            value.Double.TryFormat(buffer, out var length, "R", CultureInfo.InvariantCulture);
            output.Advance(length);
            return this;
        }

        /// <summary>A label value with <c>\\</c>, <c>\"</c> and <c>\n</c> escaped, without a copy when nothing needs escaping.</summary>
        public Utf8Text AppendEscaped(string value)
        {
            var start = 0;
            for (var i = 0; i < value.Length; i++)
            {
                var escaped = value[i] switch
                {
                    '\\' => @"\\",
                    '"' => "\\\"",
                    '\n' => @"\n",
                    _ => null,
                };
                if (escaped is not null)
                {
                    Append(value.AsSpan(start, i - start)).Append(escaped);
                    start = i + 1;
                }
            }

            return Append(value.AsSpan(start));
        }

        public Utf8Text Append(char value)
        {
            var span = output.GetSpan(4);
            var written = value < 0x80 ? WriteAscii(span, value) : Encoding.UTF8.GetBytes([value], span);
            output.Advance(written);
            return this;
        }

        private static int WriteAscii(Span<byte> span, char value)
        {
            span[0] = (byte)value;
            return 1;
        }
    }

    private static HistogramData Histogram(in MetricPoint point)
    {
        var buckets = new List<(double, long)>();
        foreach (var bucket in point.GetHistogramBuckets())
        {
            buckets.Add((bucket.ExplicitBound, bucket.BucketCount));
        }

        // The SDK always ends with the +Inf bucket; make sure the output does too.
        if (buckets.Count == 0 || !double.IsPositiveInfinity(buckets[^1].Item1))
        {
            buckets.Add((double.PositiveInfinity, 0));
        }

        return new HistogramData(buckets, point.GetHistogramSum(), point.GetHistogramCount());
    }

    private static void Sample(Utf8Text text, string name, string? suffix, KeyValuePair<string, string>[] labels, double? le, SampleValue value)
    {
        text.Append(name);
        if (suffix is not null)
        {
            text.Append(suffix);
        }

        if (labels.Length > 0 || le is not null)
        {
            text.Append('{');
            var first = true;
            foreach (var (labelName, labelValue) in labels)
            {
                if (!first)
                {
                    text.Append(',');
                }

                first = false;
                text.Append(labelName).Append("=\"").AppendEscaped(labelValue).Append('"');
            }

            if (le is { } bound)
            {
                if (!first)
                {
                    text.Append(',');
                }

                text.Append("le=\"").Append(SampleValue.Of(bound)).Append('"');
            }

            text.Append('}');
        }

        text.Append(' ').Append(value).Append('\n');
    }

    private static KeyValuePair<string, string>[] Labels(in MetricPoint point)
    {
        // Sanitized names, sorted; two tags that sanitize to one name are joined with ';' (as the OTel spec says).
        // One array per point, sized to its tags; names and string values are used as they are when already valid.
        var tags = point.Tags;
        var labels = new KeyValuePair<string, string>[tags.Count];
        var count = 0;
        foreach (var tag in tags)
        {
            var name = SanitizeLabelName(tag.Key);
            var value = tag.Value switch
            {
                null => string.Empty,
                string s => s,
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                var other => other.ToString() ?? string.Empty,
            };
            var at = IndexOf(labels, count, name);
            if (at >= 0)
            {
                labels[at] = new(name, labels[at].Value + ";" + value);
            }
            else
            {
                labels[count++] = new(name, value);
            }
        }

        if (count < labels.Length)
        {
            Array.Resize(ref labels, count);
        }

        Array.Sort(labels, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return labels;
    }

    private static int IndexOf(KeyValuePair<string, string>[] labels, int count, string name)
    {
        for (var i = 0; i < count; i++)
        {
            if (labels[i].Key == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static int CompareLabels(KeyValuePair<string, string>[] a, KeyValuePair<string, string>[] b)
    {
        for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
        {
            var c = string.CompareOrdinal(a[i].Key, b[i].Key);
            if (c == 0)
            {
                c = string.CompareOrdinal(a[i].Value, b[i].Value);
            }

            if (c != 0)
            {
                return c;
            }
        }

        return a.Length.CompareTo(b.Length);
    }

    /// <summary>A sample value or <c>le</c> bound as Prometheus reads it.</summary>
    internal static string Format(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A label value as it is written (tests): <c>\\</c>, <c>\"</c> and newline escaped.</summary>
    internal static string EscapeLabelValue(string value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new Utf8Text(buffer).AppendEscaped(value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    internal static string EscapeHelp(string help) =>
        help.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    /// <summary>[a-zA-Z_:][a-zA-Z0-9_:]*: anything else becomes '_'.</summary>
    internal static string SanitizeMetricName(string name) => Sanitize(name, allowColon: true);

    /// <summary>[a-zA-Z_][a-zA-Z0-9_]*: anything else becomes '_'.</summary>
    internal static string SanitizeLabelName(string name) => Sanitize(name, allowColon: false);

    private static string Sanitize(string name, bool allowColon)
    {
        if (name.Length == 0)
        {
            return "_";
        }

        if (!char.IsAsciiDigit(name[0]) && name.AsSpan().IndexOfAnyExcept(allowColon ? MetricNameChars : LabelNameChars) < 0)
        {
            return name;
        }

        var builder = new StringBuilder(name.Length + 1);
        if (char.IsAsciiDigit(name[0]))
        {
            builder.Append('_');
        }

        foreach (var c in name)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_');
        }

        return builder.ToString();
    }

    private sealed record Family(string Name, string Help, string Type)
    {
        public List<Series> Series { get; } = [];
    }

    private sealed record Series(KeyValuePair<string, string>[] Labels, SampleValue Value, HistogramData? Histogram);

    /// <summary>A sample's value, kept as the SDK gave it until it is written.</summary>
    private readonly record struct SampleValue(double Double, long Long, bool IsLong)
    {
        public static SampleValue Of(double value) => new(value, 0, false);

        public static SampleValue Of(long value) => new(0, value, true);
    }

    private sealed record HistogramData(List<(double Bound, long Count)> Buckets, double Sum, long Count);
}
