using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace SequenceOperator.Entities;

/// <summary>
/// Kubernetes (Go <c>time.ParseDuration</c>) duration strings: a sequence of decimal numbers, each with an optional
/// fraction and a unit (<c>h</c>, <c>m</c>, <c>s</c>, <c>ms</c>, <c>us</c>, <c>ns</c>), such as <c>10s</c>, <c>5m</c>,
/// <c>1h30m</c>, <c>1.5s</c>, <c>500ms</c>. The parser accepts exactly what <see cref="Pattern"/> accepts (no sign, no
/// bare <c>0</c>, no <c>µs</c>), which is also what the CRD's CEL <c>duration()</c> can evaluate.
/// </summary>
public static class KubernetesDuration
{
    /// <summary>The schema pattern for duration fields.</summary>
    public const string Pattern = "^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$";

    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    /// <summary>Parses a duration; throws <see cref="FormatException"/> when the text is not one.</summary>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not a duration such as 10s, 5m, 1h30m or 500ms.");

    /// <summary>Parses a duration such as <c>1h30m</c>; false when the text is not one or does not fit a <see cref="TimeSpan"/>.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        decimal totalTicks = 0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start)
            {
                return false;
            }

            if (i < text.Length && text[i] == '.')
            {
                i++;
                var fractionStart = i;
                while (i < text.Length && char.IsAsciiDigit(text[i]))
                {
                    i++;
                }

                if (i == fractionStart)
                {
                    return false;
                }
            }

            // Long digit runs cannot be a sensible duration and would overflow decimal.
            if (i - start > 24
                || !decimal.TryParse(
                    text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            long unitTicks;
            if (Matches(text, i, "ns"))
            {
                unitTicks = -100; // marker: nanoseconds are 1/100 tick
                i += 2;
            }
            else if (Matches(text, i, "us"))
            {
                unitTicks = TicksPerMicrosecond;
                i += 2;
            }
            else if (Matches(text, i, "ms"))
            {
                unitTicks = TimeSpan.TicksPerMillisecond;
                i += 2;
            }
            else if (Matches(text, i, "s"))
            {
                unitTicks = TimeSpan.TicksPerSecond;
                i += 1;
            }
            else if (Matches(text, i, "m"))
            {
                unitTicks = TimeSpan.TicksPerMinute;
                i += 1;
            }
            else if (Matches(text, i, "h"))
            {
                unitTicks = TimeSpan.TicksPerHour;
                i += 1;
            }
            else
            {
                return false;
            }

            try
            {
                totalTicks += unitTicks < 0 ? number / -unitTicks : number * unitTicks;
            }
            catch (OverflowException)
            {
                return false;
            }

            if (totalTicks > TimeSpan.MaxValue.Ticks)
            {
                return false;
            }
        }

        value = TimeSpan.FromTicks((long)decimal.Truncate(totalTicks));
        return true;
    }

    /// <summary>
    /// Formats like Go's <c>Duration.String()</c> (<c>1h30m0s</c>, <c>5m0s</c>, <c>2s</c>, <c>1.5s</c>, <c>500ms</c>,
    /// <c>0s</c>), except that microseconds are written <c>us</c>. The result parses back to the same value.
    /// </summary>
    public static string Format(TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A duration field cannot be negative.");
        }

        var ticks = value.Ticks;
        if (ticks == 0)
        {
            return "0s";
        }

        if (ticks < TimeSpan.TicksPerSecond)
        {
            // Sub-second: the largest unit that keeps the integer part non-zero, with a fraction.
            return ticks >= TimeSpan.TicksPerMillisecond
                ? Fraction(ticks, TimeSpan.TicksPerMillisecond) + "ms"
                : ticks >= TicksPerMicrosecond
                    ? Fraction(ticks, TicksPerMicrosecond) + "us"
                    : (ticks * 100).ToString(CultureInfo.InvariantCulture) + "ns";
        }

        var builder = new StringBuilder();
        var hours = ticks / TimeSpan.TicksPerHour;
        var minutes = ticks % TimeSpan.TicksPerHour / TimeSpan.TicksPerMinute;
        var secondTicks = ticks % TimeSpan.TicksPerMinute;
        if (hours > 0)
        {
            builder.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        }

        if (hours > 0 || minutes > 0)
        {
            builder.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        builder.Append(Fraction(secondTicks, TimeSpan.TicksPerSecond)).Append('s');
        return builder.ToString();
    }

    private static string Fraction(long ticks, long unitTicks)
    {
        var whole = ticks / unitTicks;
        var rest = ticks % unitTicks;
        if (rest == 0)
        {
            return whole.ToString(CultureInfo.InvariantCulture);
        }

        var digits = unitTicks.ToString(CultureInfo.InvariantCulture).Length - 1;
        var fraction = rest.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
        return whole.ToString(CultureInfo.InvariantCulture) + "." + fraction;
    }

    private static bool Matches(string text, int index, string unit)
    {
        // Callers try "ms" before "m", so a plain prefix match is enough.
        return index + unit.Length <= text.Length && string.CompareOrdinal(text, index, unit, 0, unit.Length) == 0;
    }
}
