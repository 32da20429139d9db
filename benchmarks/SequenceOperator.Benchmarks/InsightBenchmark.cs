using System.Globalization;
using System.Runtime.CompilerServices;
using SequenceOperator.Reconciliation;
using SequenceOperator.Reconciliation.Insights;

namespace SequenceOperator.Benchmarks;

/// <summary>
/// What the insight model keeps per tracked column between checks: one <see cref="InsightStore"/> fed
/// <c>--checks</c> checks, 1 minute apart, of <c>--policies</c> policies with <c>--tables</c> sequence-fed columns
/// each. Every column hands out ids at its own pace (a few idle); one in five gets an import with explicit ids every
/// 10 checks: in the even policies (Repair mode) each import is repaired, so those drifts recur, in the odd ones
/// (Check mode) the column stays behind. The names are shared across policies as the engine's name table shares them;
/// the sequence label is built anew for each sample, as the reconciler's mapping builds it. Prints the live heap the
/// store adds (a full collection before each reading) per tracked column, against the 1 KB-per-column budget of
/// <see cref="InsightOptions"/>. Usage: <c>insights [--policies 500] [--tables 20] [--checks 50]</c>.
/// </summary>
internal static class InsightBenchmark
{
    private const int Budget = 1024;
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    public static int Run(string[] args, TextWriter output)
    {
        var policies = 500;
        var tables = 20;
        var checks = 50;
        BenchmarkArguments.Read(args, [
            ("--policies", value => policies = BenchmarkArguments.WholeNumber(value)),
            ("--tables", value => tables = BenchmarkArguments.WholeNumber(value)),
            ("--checks", value => checks = BenchmarkArguments.WholeNumber(value)),
        ]);

        var columns = (long)policies * tables;
        var every = Math.Max(10, checks / 10); // a row at the first check, then about ten more
        var fleet = new Fleet(policies, tables);
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var store = new InsightStore();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"insights: {policies} policies x {tables} columns ({columns:N0} tracked), a check a minute; budget {Budget:N0} B per column"));
        output.WriteLine("| checks | live heap added (MB) | per tracked column (B) | within budget |");
        output.WriteLine("|---:|---:|---:|:---|");
        for (var check = 1; check <= checks; check++)
        {
            var now = Start + Interval * (check - 1);
            for (var p = 0; p < policies; p++)
            {
                fleet.Check(store, p, check, now);
            }

            if (check == 1 || check % every == 0 || check == checks)
            {
                var added = GC.GetTotalMemory(forceFullCollection: true) - before;
                var perColumn = added / (double)columns;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {check} | {added / 1048576.0:F1} | {perColumn:F0} | {(perColumn <= Budget ? "yes" : "no")} |"));
            }
        }

        GC.KeepAlive(store);
        GC.KeepAlive(fleet);
        return 0;
    }

    /// <summary>The simulated databases: per column its sequence's next value, its rows inserted and its highest id.</summary>
    private sealed class Fleet
    {
        private readonly int _tables;
        private readonly PolicyKey[] _keys;
        private readonly string[] _tableNames;
        private readonly long[] _next;
        private readonly long[] _rows;
        private readonly long[] _highest;

        public Fleet(int policies, int tables)
        {
            _tables = tables;
            _keys = [.. Enumerable.Range(0, policies).Select(p => new PolicyKey($"tenant-{p:D4}", "cityforge"))];
            _tableNames = [.. Enumerable.Range(0, tables).Select(t => $"t_{t:D3}")];
            _next = new long[policies * tables];
            _rows = new long[policies * tables];
            _highest = new long[policies * tables];
            Array.Fill(_next, 1);
        }

        /// <summary>One check of policy <paramref name="p"/>: the inserts since the last one, then the samples to the store.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // its samples and report die on return, whatever the JIT tier
        public void Check(InsightStore store, int p, int check, DateTimeOffset now)
        {
            var repair = p % 2 == 0;
            var samples = new List<SequenceSample>(_tables);
            for (var t = 0; t < _tables; t++)
            {
                var i = p * _tables + t;
                var pace = (p + 3 * t) % 7 * 40; // ids a minute; 0 for an idle column
                _next[i] += pace;
                _rows[i] += pace;
                _highest[i] = Math.Max(_highest[i], _next[i] - 1);
                if (t % 5 == 0 && check % 10 == 5)
                {
                    _rows[i] += 25; // an import that keeps its ids, past the sequence
                    _highest[i] = _next[i] + 1000;
                }

                var behind = _highest[i] >= _next[i];
                long? repaired = null;
                var nextValue = _next[i];
                if (repair && behind)
                {
                    _next[i] = _highest[i] + 1;
                    repaired = _next[i];
                }

                samples.Add(new SequenceSample
                {
                    Column = new FedColumn("public", _tableNames[t], "id"),
                    Sequence = $"public.{_tableNames[t]}_id_seq",
                    SequenceOid = 16_400 + t,
                    NextValue = nextValue,
                    Increment = 1,
                    RowsInserted = _rows[i],
                    Behind = behind,
                    RepairedNextValue = repaired,
                    Limit = t % 4 == 0 ? long.MaxValue : int.MaxValue,
                    ColumnType = t % 4 == 0 ? "int8" : "int4",
                });
            }

            store.Observe(_keys[p], samples, now);
        }
    }
}
