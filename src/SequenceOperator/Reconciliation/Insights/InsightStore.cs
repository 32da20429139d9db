namespace SequenceOperator.Reconciliation.Insights;

/// <summary>
/// Drift history, explicit-id rows, recurring drift and exhaustion forecasts of every policy, in memory (the totals
/// worth keeping go to the policy status, and come back through <c>restore</c>). One per operator; thread-safe.
/// The store has no clock: each check brings its own time.
/// </summary>
internal sealed class InsightStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<PolicyKey, PolicyInsights> _policies = [];
    private readonly InsightOptions _options;

    public InsightStore(InsightOptions? options = null)
    {
        _options = options ?? new InsightOptions();
        _options.Validate();
    }

    /// <summary>
    /// Records a finished check of <paramref name="policy"/>: one sample per column the check read (none for entries
    /// in error). <paramref name="now"/> is the check's time: the reconcile's one reading of the clock.
    /// <paramref name="driftRecurrenceWindow"/> is <c>spec.driftRecurrenceWindow</c> (default 24 h);
    /// <paramref name="restore"/> gives a column's kept history the first time the store sees it.
    /// </summary>
    public InsightReport Observe(
        PolicyKey policy,
        IReadOnlyList<SequenceSample> samples,
        DateTimeOffset now,
        TimeSpan? driftRecurrenceWindow = null,
        Func<FedColumn, DriftHistory?>? restore = null)
    {
        lock (_gate)
        {
            if (!_policies.TryGetValue(policy, out var insights))
            {
                insights = new PolicyInsights(_options);
                _policies.Add(policy, insights);
            }

            return insights.Observe(samples, now, driftRecurrenceWindow ?? InsightOptions.DefaultDriftRecurrenceWindow, restore);
        }
    }

    /// <summary>Forgets a deleted policy.</summary>
    public void RemovePolicy(PolicyKey policy)
    {
        lock (_gate)
        {
            _policies.Remove(policy);
        }
    }

    /// <summary>Columns tracked for <paramref name="policy"/> (0 when unknown).</summary>
    public int TrackedCount(PolicyKey policy)
    {
        lock (_gate)
        {
            return _policies.TryGetValue(policy, out var insights) ? insights.Count : 0;
        }
    }
}
