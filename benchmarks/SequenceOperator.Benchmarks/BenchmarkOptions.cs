using System.Globalization;

namespace SequenceOperator.Benchmarks;

internal sealed record BenchmarkOptions(IReadOnlyList<int> Sizes, int Runs, int BigTableRows)
{
    public static BenchmarkOptions Parse(string[] args)
    {
        var options = new BenchmarkOptions([10, 100, 1_000, 10_000], 3, 1_000_000);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options = args[i] switch
            {
                "--sizes" => options with { Sizes = args[i + 1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList() },
                "--runs" => options with { Runs = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                "--big-rows" => options with { BigTableRows = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return options;
    }
}
