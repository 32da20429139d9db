using SequenceOperator.Benchmarks;
using SequenceOperator.Benchmarks.Operator;
using SequenceOperator.Benchmarks.Published;

// Prints the figures recorded in README.md ("Benchmarks"). The first argument picks the benchmark:
//   [engine] [--sizes 10,100,1000,10000] [--runs 3] [--big-rows 1000000]
//                                                        the engine's check and repair (the default)
//   operator [--quick] [--policies 50,200,500] ...      the operator at scale (see OperatorBenchmarkOptions); exit code 3
//                                                        when a target is missed
//   scrape [--policies 500] [--tables 20] [--scrapes 5]  what one /metrics scrape allocates (see ScrapeBenchmark)
//   insights [--policies 500] [--tables 20] [--checks 50]
//                                                        what the insight model keeps per tracked column (see InsightBenchmark)
//   events [--policies 2000] [--per-policy 11]          what the Event recorder keeps per series (see EventsBenchmark)
//   startup [--binary PATH] [--runs 21]                  a whole `check` of the worcester database: the published binary,
//                                                        psql, the JIT build
//   compare [--binary PATH] [--runs 5] [--sizes 1000,10000] [--rows 1000000]
//                                                        check and repair, the published binary against psql running the notes' scripts
//   profile [--sizes 1000,10000] [--runs 3] [--parts no]
//                                                        where a check's server time goes, then a whole check and repair
//   plan [--connection CS] [--runs 5]                 the client's CPU and allocations from the discovery rows to the plan
//   smoke [--binary PATH]                                what CI starts the published binary for: check, then run until
//                                                        /readyz (scripts/check-publish.sh)
if (args.Length > 0 && args[0] == "operator")
{
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        cancel.Cancel();
    };
    return await new OperatorBenchmark(OperatorBenchmarkOptions.Parse(args[1..]), Console.Out).RunAsync(cancel.Token);
}

if (args.Length > 0 && args[0] == "startup")
{
    return await StartupBenchmark.RunAsync(args[1..], Console.Out, CancellationToken.None);
}

if (args.Length > 0 && args[0] == "compare")
{
    return await CompareBenchmark.RunAsync(args[1..], Console.Out, CancellationToken.None);
}

if (args.Length > 0 && args[0] == "profile")
{
    return await ProfileBenchmark.RunAsync(args[1..], Console.Out);
}

if (args.Length > 0 && args[0] == "smoke")
{
    return await PublishedBinarySmoke.RunAsync(args[1..], Console.Out, CancellationToken.None);
}

if (args.Length > 0 && args[0] == "plan")
{
    return await PlanBenchmark.RunAsync(args[1..], Console.Out);
}

if (args.Length > 0 && args[0] == "insights")
{
    return InsightBenchmark.Run(args[1..], Console.Out);
}

if (args.Length > 0 && args[0] == "scrape")
{
    return await ScrapeBenchmark.RunAsync(args[1..], Console.Out);
}

if (args.Length > 0 && args[0] == "events")
{
    return await EventsBenchmark.RunAsync(args[1..], Console.Out);
}

var options = BenchmarkOptions.Parse(args.Length > 0 && args[0] == "engine" ? args[1..] : args);
await using var bench = await DriftBenchmark.StartAsync(Console.Out);
await bench.RunAsync(options);
return 0;
