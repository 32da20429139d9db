namespace SequenceOperator.Reconciliation.Insights;

/// <summary>
/// Drift history, explicit-id rows, recurring drift and exhaustion forecasts of every policy, in memory (the totals
/// worth keeping go to the policy status, and come back through <c>restore</c>). One per operator; thread-safe.
/// The time of each check is this store's clock.
/// </summary>
internal sealed class InsightStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<PolicyKey, PolicyInsights> _policies = [];
    private readonly TimeProvider _timeProvider;
    private readonly InsightOptions _options;

    public InsightStore(TimeProvider timeProvider, InsightOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
        _options = options ?? new InsightOptions();
        _options.Validate();
    }

    /// <summary>
    /// Records a finished check of <paramref name="policy"/>: one sample per column the check read (none for entries
    /// in error). <paramref name="driftRecurrenceWindow"/> is <c>spec.driftRecurrenceWindow</c> (default 24 h);
    /// <paramref name="restore"/> gives a column's kept history the first time the store sees it. <paramref name="at"/>
    /// is the check's time: the reconcile's one reading of the clock (this store's clock when omitted).
    /// </summary>
    public InsightReport Observe(
        PolicyKey policy,
        IReadOnlyList<SequenceSample> samples,
        TimeSpan? driftRecurrenceWindow = null,
        Func<FedColumn, DriftHistory?>? restore = null,
        DateTimeOffset? at = null)
    {
        var now = at ?? _timeProvider.GetUtcNow();
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
