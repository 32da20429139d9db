using System.Globalization;

namespace SequenceOperator.Benchmarks;

/// <summary>
/// Every benchmark's command line: <c>--name value</c> pairs, and flags that take no value (<c>--quick</c>), read in
/// order, so a later one overrides an earlier one. An unknown option, an option without a value (the last argument,
/// or followed by another option's name) and a value its option rejects are each an <see cref="ArgumentException"/>
/// that names the option; the message for an unknown one lists the options there are.
/// </summary>
internal static class BenchmarkArguments
{
    /// <summary>Walks <paramref name="args"/>, handing each option's value to its action and running each flag's.</summary>
    public static void Read(
        IReadOnlyList<string> args,
        IReadOnlyList<(string Name, Action<string> Apply)> options,
        IReadOnlyList<(string Name, Action Apply)>? flags = null)
    {
        flags ??= [];
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            var flag = flags.FirstOrDefault(f => f.Name == name);
            if (flag.Apply is not null)
            {
                flag.Apply();
                continue;
            }

            var option = options.FirstOrDefault(o => o.Name == name);
            if (option.Apply is null)
            {
                var known = string.Join(", ", flags.Select(f => f.Name).Concat(options.Select(o => o.Name)));
                throw new ArgumentException($"unknown option '{name}' (the options are {known})");
            }

            if (i + 1 >= args.Count || flags.Any(f => f.Name == args[i + 1]) || options.Any(o => o.Name == args[i + 1]))
            {
                throw new ArgumentException($"{name} needs a value");
            }

            var value = args[++i];
            try
            {
                option.Apply(value);
            }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw new ArgumentException($"{name} {value}: {e.Message}", e);
            }
        }
    }

    /// <summary>A whole number: digits only (no sign, no spaces), as <see cref="CultureInfo.InvariantCulture"/> writes them.</summary>
    public static int WholeNumber(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"'{text}' is not a whole number");

    /// <summary>A comma-separated list of whole numbers (<c>1000,10000</c>), at least one; empty entries are skipped.</summary>
    public static IReadOnlyList<int> WholeNumbers(string text)
    {
        var values = text.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(WholeNumber).ToList();
        return values.Count > 0 ? values : throw new ArgumentException($"'{text}' is not a list of whole numbers such as 1000,10000");
    }
}
