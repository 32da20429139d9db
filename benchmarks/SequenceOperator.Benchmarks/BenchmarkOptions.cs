namespace SequenceOperator.Benchmarks;

/// <summary>The engine benchmark's arguments. Usage: <c>[engine] [--sizes 10,100,1000,10000] [--runs 3] [--big-rows 1000000]</c>.</summary>
internal sealed record BenchmarkOptions(IReadOnlyList<int> Sizes, int Runs, int BigTableRows)
{
    public static BenchmarkOptions Parse(string[] args)
    {
        var options = new BenchmarkOptions([10, 100, 1_000, 10_000], 3, 1_000_000);
        BenchmarkArguments.Read(args, [
            ("--sizes", value => options = options with { Sizes = BenchmarkArguments.WholeNumbers(value) }),
            ("--runs", value => options = options with { Runs = BenchmarkArguments.WholeNumber(value) }),
            ("--big-rows", value => options = options with { BigTableRows = BenchmarkArguments.WholeNumber(value) }),
        ]);
        return options;
    }
}
