using System.Buffers;
using System.Globalization;
using System.Text;

namespace SequenceOperator.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format 0.0.4 (<see cref="PrometheusCollector"/> decides what): per family
/// <c># HELP</c> and <c># TYPE</c>, then its samples, each with its labels in name order. Counters' names end with
/// <c>_total</c>; explicit-bucket histograms are <c>_bucket{le}</c> (cumulative, ending with <c>+Inf</c>), <c>_sum</c>
/// and <c>_count</c>. Label values and HELP text are escaped; NaN and infinities are written <c>NaN</c>, <c>+Inf</c>,
/// <c>-Inf</c>. No timestamps (the scrape time applies). Everything is written straight into the output as UTF-8:
/// nothing is built per sample.
/// </summary>
internal static class PrometheusTextSerializer
{
    private static readonly SearchValues<char> LabelNameChars = SearchValues.Create(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
    private static readonly SearchValues<char> MetricNameChars = SearchValues.Create(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:");

    /// <summary>The Content-Type of the output.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Whether a series, by its sanitized labels in name order, is written; false hides it.</summary>
    public delegate bool SeriesFilter(ReadOnlySpan<KeyValuePair<string, string>> labels);

    /// <summary>The <c># HELP</c> and <c># TYPE</c> lines of a family (<paramref name="type"/>: counter, gauge or histogram).</summary>
    public static void Header(IBufferWriter<byte> output, string name, string help, string type)
    {
        var text = new Utf8Text(output);
        text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    /// <summary>One sample of a counter or gauge; <paramref name="labels"/> sanitized and in name order.</summary>
    public static void Sample(IBufferWriter<byte> output, string name, ReadOnlySpan<KeyValuePair<string, string>> labels, double value) =>
        Sample(new Utf8Text(output), name, null, labels, null, SampleValue.Of(value));

    /// <inheritdoc cref="Sample(IBufferWriter{byte}, string, ReadOnlySpan{KeyValuePair{string, string}}, double)"/>
    public static void Sample(IBufferWriter<byte> output, string name, ReadOnlySpan<KeyValuePair<string, string>> labels, long value) =>
        Sample(new Utf8Text(output), name, null, labels, null, SampleValue.Of(value));

    /// <summary>
    /// Cumulative <c>_bucket</c> samples for <paramref name="bounds"/> and <c>+Inf</c> (<paramref name="counts"/> holds
    /// one count per bound and the last for the values above them all, not cumulated), then <c>_sum</c> and <c>_count</c>.
    /// </summary>
    public static void Histogram(
        IBufferWriter<byte> output, string name, ReadOnlySpan<KeyValuePair<string, string>> labels, IReadOnlyList<double> bounds,
        ReadOnlySpan<long> counts, double sum)
    {
        var text = new Utf8Text(output);
        long cumulative = 0;
        for (var i = 0; i <= bounds.Count; i++)
        {
            cumulative += counts[i];
            Sample(text, name, "_bucket", labels, i < bounds.Count ? bounds[i] : double.PositiveInfinity, SampleValue.Of(cumulative));
        }

        Sample(text, name, "_sum", labels, null, SampleValue.Of(sum));
        Sample(text, name, "_count", labels, null, SampleValue.Of(cumulative));
    }

    /// <summary>
    /// Fills <paramref name="labels"/> (grown when needed, reused across samples) with <paramref name="tags"/> as
    /// labels: sanitized names in order; two tags that sanitize to one name are joined with ';' (as the OTel spec
    /// says). Returns the count.
    /// </summary>
    public static int Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags, ref KeyValuePair<string, string>[] labels)
    {
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
                continue;
            }

            if (count == labels.Length)
            {
                Array.Resize(ref labels, Math.Max(4, count * 2));
            }

            // Insertion sort: the operator's own tags already come in name order, so this rarely moves anything.
            var i = count++;
            while (i > 0 && string.CompareOrdinal(labels[i - 1].Key, name) > 0)
            {
                labels[i] = labels[i - 1];
                i--;
            }

            labels[i] = new(name, value);
        }

        return count;
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
            if (value >= 0x80)
            {
                return Append([value]);
            }

            output.GetSpan(1)[0] = (byte)value;
            output.Advance(1);
            return this;
        }
    }

    private static void Sample(
        Utf8Text text, string name, string? suffix, ReadOnlySpan<KeyValuePair<string, string>> labels, double? le, SampleValue value)
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

    /// <summary>A sample value or <c>le</c> bound as Prometheus reads it.</summary>
    internal static string Format(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

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

    /// <summary>A sample's value as the instrument gave it (a whole number or not), written without a string.</summary>
    private readonly record struct SampleValue(double Double, long Long, bool IsLong)
    {
        public static SampleValue Of(double value) => new(value, 0, false);

        public static SampleValue Of(long value) => new(0, value, true);
    }
}
