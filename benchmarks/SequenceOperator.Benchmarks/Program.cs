using SequenceOperator.Benchmarks;

// Prints the figures recorded in README.md ("Benchmarks"). Usage: dotnet run -c Release -- [--sizes 10,100,1000,10000] [--runs 3]
var options = BenchmarkOptions.Parse(args);
await using var bench = await DriftBenchmark.StartAsync(Console.Out);
await bench.RunAsync(options);
