using SequenceOperator.Entities;

namespace SequenceOperator.Benchmarks.Operator;

/// <summary>
/// The operator benchmark's arguments. Usage: <c>operator [--quick] [--policies 500@1m,2000@5m] [--tables 20]
/// [--interval 60s] [--intervals 2] [--concurrency 4] [--binary path/to/sequence-operator]
/// [--max-connections N] [--first-round-timeout 10m] [--logs DIR] [--scrape-every 30s] [--env KEY=VALUE]...</c>.
/// A size may carry its own interval (<c>2000@5m</c>); one without takes <c>--interval</c>. <c>--quick</c> is a smoke
/// test (10 policies, a 20 s interval, one measured interval); flags after it still apply.
/// </summary>
internal sealed record OperatorBenchmarkOptions
{
    /// <summary>
    /// The sizes to run, one operator process (and one fresh API-server double) each, with their interval (null:
    /// <see cref="Interval"/>). The default is the two configurations of the targets: 500 policies (every per-sequence
    /// series exported, scraped every 30 s) and 2,000, whose first round must fit one 5-minute interval.
    /// </summary>
    public IReadOnlyList<(int Policies, TimeSpan? Interval)> Sizes { get; init; } = [(500, TimeSpan.FromMinutes(1)), (2000, TimeSpan.FromMinutes(5))];

    /// <summary>The largest size.</summary>
    public int MaxPolicies => Sizes.Max(s => s.Policies);

    /// <summary>Drifted tables (one serial sequence each) in every tenant database.</summary>
    public int Tables { get; init; } = 20;

    /// <summary>The policies' <c>spec.interval</c>.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many intervals the steady-state CPU is measured over, after the first round.</summary>
    public int Intervals { get; init; } = 1;

    /// <summary>The operator's <c>--max-concurrent-reconciles</c>.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>The published (NativeAOT) <c>sequence-operator</c>; default <c>artifacts/published/sequence-operator</c>.</summary>
    public string? Binary { get; init; }

    /// <summary>The PostgreSQL server's <c>max_connections</c>; default 2 per database of the largest size plus 50, at most 1,000.</summary>
    public int? MaxConnections { get; init; }

    /// <summary>How long the first round may take before the benchmark gives up (and fails).</summary>
    public TimeSpan FirstRoundTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Where the operator's logs are kept (one file per size); default: a temporary folder, deleted at the end.</summary>
    public string? LogDirectory { get; init; }

    /// <summary>Environment variables for the operator process (<c>--env KEY=VALUE</c>, repeatable), e.g. GC knobs, over the image's <c>DOTNET_*</c> settings.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Scrape /metrics this often during the steady-state window, as Prometheus would (zero: only once, at the end).</summary>
    public TimeSpan ScrapeEvery { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often pg_stat_activity is sampled.</summary>
    public TimeSpan ConnectionSampleInterval { get; init; } = TimeSpan.FromSeconds(1);

    // 2 per database, and more than the operator can hold (2 per server per check slot): a leak would show, not fail.
    public int MaxConnectionsOrDefault => MaxConnections ?? Math.Min((2 * MaxPolicies) + 50, 1000);

    /// <summary>The interval of a size.</summary>
    public TimeSpan IntervalOf((int Policies, TimeSpan? Interval) size) => size.Interval ?? Interval;

    public static OperatorBenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        var options = new OperatorBenchmarkOptions();
        var second = TimeSpan.FromSeconds(1);
        BenchmarkArguments.Read(
            args,
            [
                ("--policies", value => options = options with { Sizes = value.Split(',').Select(ParseSize).ToList() }),
                ("--tables", value => options = options with { Tables = Positive(value) }),
                ("--interval", value => options = options with { Interval = ParseDuration(value, SequenceSyncPolicySpec.MinimumInterval) }),
                ("--intervals", value => options = options with { Intervals = Positive(value) }),
                ("--concurrency", value => options = options with { Concurrency = Positive(value) }),
                ("--binary", value => options = options with { Binary = value }),
                ("--max-connections", value => options = options with { MaxConnections = Positive(value) }),
                ("--first-round-timeout", value => options = options with { FirstRoundTimeout = ParseDuration(value, second) }),
                ("--logs", value => options = options with { LogDirectory = value }),
                ("--scrape-every", value => options = options with
                {
                    ScrapeEvery = value == "0" ? TimeSpan.Zero : ParseDuration(value, second),
                }),
                ("--env", value => options = options with { Environment = WithVariable(options.Environment, value) }),
            ],
            [("--quick", () => options = options with { Sizes = [(10, null)], Interval = TimeSpan.FromSeconds(20), Intervals = 1 })]);
        return options;
    }

    private static Dictionary<string, string> WithVariable(IReadOnlyDictionary<string, string> environment, string assignment)
    {
        var equals = assignment.IndexOf('=', StringComparison.Ordinal);
        return equals > 0
            ? new Dictionary<string, string>(environment, StringComparer.Ordinal) { [assignment[..equals]] = assignment[(equals + 1)..] }
            : throw new ArgumentException($"'{assignment}' is not KEY=VALUE");
    }

    private static (int Policies, TimeSpan? Interval) ParseSize(string text) =>
        text.Split('@') switch
        {
            [var count] => (Positive(count), null),
            [var count, var interval] => (Positive(count), ParseDuration(interval, SequenceSyncPolicySpec.MinimumInterval)),
            _ => throw new ArgumentException($"'{text}' is not a size (N or N@interval)"),
        };

    private static int Positive(string text)
    {
        var value = BenchmarkArguments.WholeNumber(text);
        return value > 0 ? value : throw new ArgumentException($"'{text}' must be a positive number");
    }

    private static TimeSpan ParseDuration(string text, TimeSpan minimum)
    {
        var value = KubernetesDuration.Parse(text);
        return value >= minimum && value.Ticks % TimeSpan.TicksPerSecond == 0
            ? value
            : throw new ArgumentException($"'{text}' must be whole seconds and at least {KubernetesDuration.Format(minimum)}");
    }
}
