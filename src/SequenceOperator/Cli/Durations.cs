using System.Globalization;
using System.Text.RegularExpressions;

namespace SequenceOperator.Cli;

/// <summary>Go/Kubernetes-style durations: <c>500ms</c>, <c>2s</c>, <c>5m</c>, <c>1h30m</c>.</summary>
internal static partial class Durations
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var matches = Part().Matches(text);
        if (text.Length == 0 || matches.Sum(m => m.Length) != text.Length)
        {
            return false;
        }

        foreach (Match m in matches)
        {
            var amount = double.Parse(m.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            value += m.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(amount),
                "s" => TimeSpan.FromSeconds(amount),
                "m" => TimeSpan.FromMinutes(amount),
                _ => TimeSpan.FromHours(amount),
            };
        }

        return true;
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|s|m|h)", RegexOptions.CultureInvariant)]
    private static partial Regex Part();
}
