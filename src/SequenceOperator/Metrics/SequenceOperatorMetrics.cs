using System.Diagnostics.Metrics;
using SequenceOperator.Postgres;

namespace SequenceOperator.Metrics;

/// <summary>
/// The operator's metrics, in domain terms: the reconciler reports checks, repairs and deletions; the leader election
/// and the watch report their state. Every series except the check-duration histogram is an observable instrument
/// read from the state held here, so <see cref="RemovePolicy"/> makes a policy's series disappear at the next
/// collection; the histogram's are hidden from <c>/metrics</c> by <see cref="IsLive"/>. Thread-safe. Created by
/// <see cref="MetricsPipeline"/>, which listens to exactly this instance's <see cref="Meter"/>.
/// </summary>
internal sealed class SequenceOperatorMetrics : IDisposable
{
    /// <summary>Histogram bucket bounds of <see cref="MetricNames.CheckDurationSeconds"/>, in seconds.</summary>
    public static IReadOnlyList<double> CheckDurationBuckets { get; } =
        [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    // In label order, as the series of one policy are then written. Every state has its own label: a skipped sequence
    // was not judged, so counting it as in_sync would tell a dashboard it is healthy.
    private static readonly (SequenceStatus State, string Label)[] States =
    [
        (SequenceStatus.Behind, "behind"),
        (SequenceStatus.Error, "error"),
        (SequenceStatus.InSync, "in_sync"),
        (SequenceStatus.Repaired, "repaired"),
        (SequenceStatus.Skipped, "skipped"),
    ];

    private static readonly int StateCount = Enum.GetValues<SequenceStatus>().Length;

    private readonly Lock _gate = new();
    private readonly Dictionary<PolicyLabels, PolicyState> _policies = [];
    private readonly TimeProvider _timeProvider;
    private readonly Histogram<double> _checkDuration;
    private long _watchRestarts;
    private int _leader;

    public SequenceOperatorMetrics(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        Meter = new Meter(MetricNames.MeterName, typeof(SequenceOperatorMetrics).Assembly.GetName().Version?.ToString());

        Meter.CreateObservableGauge(MetricNames.SequenceBehind, () => ObserveSequences(s => s.BehindBy),
            description: "How far the sequence is behind the highest value in its column; 0 when in sync.");
        Meter.CreateObservableGauge(MetricNames.SequenceCapacityUsedRatio, () => ObserveSequences(s => s.CapacityUsed),
            description: "Share of the sequence's range already handed out (0..1).");
        Meter.CreateObservableGauge(MetricNames.Sequences, ObserveStateCounts, unit: "{sequence}",
            description: "Sequences of the policy by state at the last check: in_sync, behind, repaired, error, skipped.");
        Meter.CreateObservableCounter(MetricNames.RepairsTotal, ObserveRepairs,
            description: "Sequence repairs by result (success or failure).");
        Meter.CreateObservableCounter(MetricNames.ChecksTotal, ObserveChecks,
            description: "Policy checks by result (success: the check ran without error; failure).");
        _checkDuration = Meter.CreateHistogram<double>(MetricNames.CheckDurationSeconds, unit: "s",
            description: "How long a policy check took, including repairs, in seconds.");
        Meter.CreateObservableGauge(MetricNames.LastCheckTimestampSeconds, () => ObservePolicies(p => p.LastCheck), unit: "s",
            description: "Unix time of the policy's last check, successful or not.");
        Meter.CreateObservableGauge(MetricNames.LastSuccessTimestampSeconds, () => ObservePolicies(p => p.LastSuccess), unit: "s",
            description: "Unix time of the policy's last successful check (absent until one succeeded since the operator started).");
        Meter.CreateObservableGauge(MetricNames.PolicyReady, () => ObservePolicies(p => p.Ready is { } ready ? (ready ? 1 : 0) : null),
            description: "1 when the policy's Ready condition is True (its last check ran without error), else 0.");
        Meter.CreateObservableGauge(MetricNames.Leader, () => (double)Volatile.Read(ref _leader),
            description: "1 on the instance that holds the leader lease (or runs without election), else 0.");
        Meter.CreateObservableCounter(MetricNames.WatchRestartsTotal, () => Interlocked.Read(ref _watchRestarts),
            description: "Watch streams restarted (ended, broke, or 410 Gone).");
        Meter.CreateObservableCounter(MetricNames.ExplicitIdRowsTotal,
            () => ObserveInsights<long>(i => i.ExplicitIdRows, bySequence: false),
            unit: "{row}",
            description: "Rows inserted into the column's table beyond the values its sequence handed out, "
                + "i.e. with explicit ids (a lower bound).");
        Meter.CreateObservableCounter(MetricNames.DriftDetectedTotal, () => ObserveInsights<long>(i => i.DriftCount, bySequence: false),
            description: "Times the column's sequence fell behind its data: transitions from not behind to behind.");
        Meter.CreateObservableGauge(MetricNames.SequenceExhaustionTimestampSeconds,
            () => ObserveInsights<double>(i => i.ExhaustionSeconds, bySequence: true),
            unit: "s",
            description: "Unix time the sequence runs out at its consumption rate over the smoothing window "
                + "(absent when the rate is zero or unknown).");
    }

    /// <summary>The meter every instrument above belongs to (one per instance, so test hosts do not see each other).</summary>
    public Meter Meter { get; }

    /// <summary>Records a finished check of <paramref name="policy"/>; see <see cref="CheckOutcome"/> for what each field feeds.</summary>
    public void RecordCheck(PolicyLabels policy, CheckOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        lock (_gate)
        {
            var state = GetOrAdd(policy);
            if (outcome.Succeeded)
            {
                state.ChecksSucceeded++;
                state.LastSuccess = now;
            }
            else
            {
                state.ChecksFailed++;
            }

            state.LastCheck = now;
            state.Ready = outcome.Succeeded;
            state.RepairsSucceeded += Math.Max(0, outcome.RepairsSucceeded);
            state.RepairsFailed += Math.Max(0, outcome.RepairsFailed);
            if (outcome.Sequences is { } sequences)
            {
                state.StateCounts = new long[StateCount];
                var exported = new Dictionary<(string, string, string, string), SequenceSeries>();
                var previous = state.Sequences.ToDictionary(s => s.Names.Key);
                foreach (var s in sequences)
                {
                    state.StateCounts[(int)s.State]++;
                    if (outcome.TablesListedExplicitly || IsExportedWhenDiscovered(s))
                    {
                        var names = new SeriesNames(s.Schema, s.Table, s.Column, s.Sequence);
                        exported[names.Key] = new SequenceSeries(
                            s.BehindBy, s.CapacityUsed, previous.GetValueOrDefault(names.Key)?.Names ?? names);
                    }
                }

                state.Sequences = [.. exported.Values];
            }

            // Inside the lock, so a concurrent RemovePolicy cannot slip between registering the policy and recording.
            _checkDuration.Record(Math.Max(0, outcome.Duration.TotalSeconds), state.Tags);
        }
    }

    /// <summary>
    /// Replaces the policy's drift-history series with <paramref name="insights"/> (every column the insight model
    /// tracks for it): <see cref="MetricNames.DriftDetectedTotal"/> and
    /// <see cref="MetricNames.ExplicitIdRowsTotal"/> for each (at 0 before the first drift, so that <c>increase()</c>
    /// counts the first one), <see cref="MetricNames.SequenceExhaustionTimestampSeconds"/> for those with an
    /// exhaustion time. Call it after the check's <see cref="RecordCheck"/>; a check that saw no sequence calls
    /// neither, and the previous series stay.
    /// </summary>
    public void RecordInsights(PolicyLabels policy, IReadOnlyList<IColumnInsight> insights)
    {
        ArgumentNullException.ThrowIfNull(insights);
        lock (_gate)
        {
            var state = GetOrAdd(policy);
            var series = new Dictionary<(string, string, string), InsightSeries>();
            var known = state.Insights.Select(i => i.Names).Concat(state.Sequences.Select(s => s.Names))
                .DistinctBy(n => n.Key).ToDictionary(n => n.Key);
            foreach (var i in insights)
            {
                var names = new SeriesNames(i.Schema, i.Table, i.Column, i.Sequence);
                series[(i.Schema, i.Table, i.Column)] = new InsightSeries(
                    i.DriftCount,
                    i.ExplicitIdRows,
                    i.ExhaustionTime?.ToUnixTimeMilliseconds() / 1000.0,
                    known.GetValueOrDefault(names.Key) ?? names);
            }

            state.Insights = [.. series.Values];
        }
    }

    /// <summary>Sets <see cref="MetricNames.PolicyReady"/> outside a check (e.g. Ready=False when the policy is suspended).</summary>
    public void SetPolicyReady(PolicyLabels policy, bool ready)
    {
        lock (_gate)
        {
            GetOrAdd(policy).Ready = ready;
        }
    }

    /// <summary>
    /// Drops every series of a deleted policy. Call it after the policy's last <see cref="RecordCheck"/>: a later one
    /// brings the policy back.
    /// </summary>
    public void RemovePolicy(PolicyLabels policy)
    {
        lock (_gate)
        {
            _policies.Remove(policy);
        }
    }

    /// <summary>Sets <see cref="MetricNames.Leader"/>.</summary>
    public void SetLeader(bool isLeader) => Volatile.Write(ref _leader, isLeader ? 1 : 0);

    /// <summary>Counts a watch restart: <see cref="MetricNames.WatchRestartsTotal"/>.</summary>
    public void WatchRestarted() => Interlocked.Increment(ref _watchRestarts);

    /// <summary>True while the policy has series (it was recorded and not removed).</summary>
    public bool IsLive(string @namespace, string policy)
    {
        lock (_gate)
        {
            return _policies.ContainsKey(new PolicyLabels(@namespace, policy));
        }
    }

    public void Dispose() => Meter.Dispose();

    /// <summary>The discovery-mode cardinality rule: behind, repaired, in error, or over 80 % of capacity.</summary>
    internal static bool IsExportedWhenDiscovered(SequenceObservation s) =>
        s.State is not (SequenceStatus.InSync or SequenceStatus.Skipped) || s.CapacityUsed > SequenceEntry.CapacityWarningThreshold;

    private PolicyState GetOrAdd(PolicyLabels policy)
    {
        ArgumentException.ThrowIfNullOrEmpty(policy.Namespace);
        ArgumentException.ThrowIfNullOrEmpty(policy.Name);
        if (!_policies.TryGetValue(policy, out var state))
        {
            state = new PolicyState(policy, [new("namespace", policy.Namespace), new("policy", policy.Name)]);
            _policies.Add(policy, state);
        }

        return state;
    }

    // The observers stream: each measurement is written to the page as it is made, and its copy of the tags dies
    // young. Only the policies' references are taken under the lock (a policy's series lists and counts are replaced
    // whole, never changed in place), so a scrape at 2,000 policies holds no list of 40,000 measurements (which
    // outlived the gen0 budget and stayed in the heap until a full collection).
    private IEnumerable<Measurement<double>> ObserveSequences(Func<SequenceSeries, double> value)
    {
        var tags = new KeyValuePair<string, object?>[SeriesNames.SequenceTagCount];
        foreach (var (policy, sequences) in Snapshot(p => (p.Labels, p.Sequences)))
        {
            foreach (var series in sequences)
            {
                yield return new Measurement<double>(value(series), series.Names.SequenceTags(policy, tags));
            }
        }
    }

    private IEnumerable<Measurement<T>> ObserveInsights<T>(Func<InsightSeries, T?> value, bool bySequence)
        where T : struct
    {
        var tags = new KeyValuePair<string, object?>[SeriesNames.SequenceTagCount];
        foreach (var (policy, insights) in Snapshot(p => (p.Labels, p.Insights)))
        {
            foreach (var series in insights)
            {
                if (value(series) is { } v)
                {
                    yield return new Measurement<T>(
                        v, bySequence ? series.Names.SequenceTags(policy, tags) : series.Names.ColumnTags(policy, tags));
                }
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveStateCounts()
    {
        foreach (var (tags, counts) in Snapshot(p => (p.Tags, p.StateCounts)))
        {
            if (counts is not null)
            {
                foreach (var (s, label) in States)
                {
                    yield return new Measurement<long>(counts[(int)s], [.. tags, new("state", label)]);
                }
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveChecks() => ObserveResults(p => (p.ChecksSucceeded, p.ChecksFailed));

    private IEnumerable<Measurement<long>> ObserveRepairs() => ObserveResults(p => (p.RepairsSucceeded, p.RepairsFailed));

    // Both results from the policy's first check on, so rate() and increase() see a counter start at 0.
    private IEnumerable<Measurement<long>> ObserveResults(Func<PolicyState, (long Success, long Failure)> value)
    {
        foreach (var (tags, checkedOnce, (success, failure)) in Snapshot(p => (p.Tags, p.LastCheck is not null, value(p))))
        {
            if (checkedOnce)
            {
                yield return new Measurement<long>(failure, [.. tags, new("result", "failure")]);
                yield return new Measurement<long>(success, [.. tags, new("result", "success")]);
            }
        }
    }

    private IEnumerable<Measurement<double>> ObservePolicies(Func<PolicyState, double?> value)
    {
        foreach (var (tags, v) in Snapshot(p => (p.Tags, value(p))))
        {
            if (v is { } observed)
            {
                yield return new Measurement<double>(observed, tags);
            }
        }
    }

    /// <summary>What <paramref name="read"/> takes from each policy, all at one moment.</summary>
    private T[] Snapshot<T>(Func<PolicyState, T> read)
    {
        lock (_gate)
        {
            var taken = new T[_policies.Count];
            var i = 0;
            foreach (var state in _policies.Values)
            {
                taken[i++] = read(state);
            }

            return taken;
        }
    }

    private sealed class PolicyState(PolicyLabels labels, KeyValuePair<string, object?>[] tags)
    {
        public PolicyLabels Labels { get; } = labels;

        public KeyValuePair<string, object?>[] Tags { get; } = tags;

        public long ChecksSucceeded { get; set; }

        public long ChecksFailed { get; set; }

        public long RepairsSucceeded { get; set; }

        public long RepairsFailed { get; set; }

        public double? LastCheck { get; set; }

        public double? LastSuccess { get; set; }

        public bool? Ready { get; set; }

        public long[]? StateCounts { get; set; }

        public IReadOnlyList<SequenceSeries> Sequences { get; set; } = [];

        public IReadOnlyList<InsightSeries> Insights { get; set; } = [];
    }

    private sealed record SequenceSeries(double BehindBy, double CapacityUsed, SeriesNames Names);

    /// <summary>One tracked column: the counters are labelled by column, the exhaustion gauge by column and sequence.</summary>
    private sealed record InsightSeries(long DriftCount, long ExplicitIdRows, double? ExhaustionSeconds, SeriesNames Names);

    /// <summary>
    /// The names a per-sequence or per-column series is labelled with. Only the names are kept, never label arrays:
    /// a measurement copies its tags, so each scrape fills one scratch array per instrument instead of every series
    /// holding its own (a few hundred bytes a column). A series seen at the last check keeps its instance, and an
    /// insight series shares the check's: each check reads the names anew (the sequence's qualified name is built
    /// per check), and without this every series would keep the latest copies.
    /// </summary>
    private sealed record SeriesNames(string Schema, string Table, string Column, string Sequence)
    {
        /// <summary>Labels of a per-sequence series: column, namespace, policy, schema, sequence, table.</summary>
        public const int SequenceTagCount = 6;

        public (string, string, string, string) Key => (Schema, Table, Column, Sequence);

        /// <summary>
        /// Fills <paramref name="tags"/> with the per-sequence labels, in key order (the order series are written in).
        /// </summary>
        public ReadOnlySpan<KeyValuePair<string, object?>> SequenceTags(PolicyLabels policy, KeyValuePair<string, object?>[] tags)
        {
            tags[0] = new("column", Column);
            tags[1] = new("namespace", policy.Namespace);
            tags[2] = new("policy", policy.Name);
            tags[3] = new("schema", Schema);
            tags[4] = new("sequence", Sequence);
            tags[5] = new("table", Table);
            return tags;
        }

        /// <summary>Fills <paramref name="tags"/> with the per-column labels (no sequence), in key order.</summary>
        public ReadOnlySpan<KeyValuePair<string, object?>> ColumnTags(PolicyLabels policy, KeyValuePair<string, object?>[] tags)
        {
            tags[0] = new("column", Column);
            tags[1] = new("namespace", policy.Namespace);
            tags[2] = new("policy", policy.Name);
            tags[3] = new("schema", Schema);
            tags[4] = new("table", Table);
            return tags.AsSpan(0, 5);
        }
    }
}
