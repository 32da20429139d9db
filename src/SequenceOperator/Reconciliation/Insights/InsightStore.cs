namespace SequenceOperator.Reconciliation.Insights;

/// <summary>
/// Drift history, explicit-id rows, recurring drift and exhaustion forecasts of every policy, in memory (the totals
/// worth keeping go to the policy status, and come back through <c>restore</c>). One per operator; thread-safe.
/// The time of each check is this store's clock.
/// </summary>
internal sealed class InsightStore
{
    private readonly Lock gate = new();
    private readonly Dictionary<PolicyKey, PolicyInsights> policies = [];
    private readonly TimeProvider timeProvider;
    private readonly InsightOptions options;

    public InsightStore(TimeProvider timeProvider, InsightOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        this.timeProvider = timeProvider;
        this.options = options ?? new InsightOptions();
        this.options.Validate();
    }

    /// <summary>
    /// Records a finished check of <paramref name="policy"/>: one sample per column the check read (none for entries
    /// in error). <paramref name="driftRecurrenceWindow"/> is <c>spec.driftRecurrenceWindow</c> (default 24 h);
    /// <paramref name="restore"/> gives a column's kept history the first time the store sees it.
    /// </summary>
    public InsightReport Observe(
        PolicyKey policy,
        IReadOnlyList<SequenceSample> samples,
        TimeSpan? driftRecurrenceWindow = null,
        Func<FedColumn, DriftHistory?>? restore = null)
    {
        var now = timeProvider.GetUtcNow();
        lock (gate)
        {
            if (!policies.TryGetValue(policy, out var insights))
            {
                insights = new PolicyInsights(options);
                policies.Add(policy, insights);
            }

            return insights.Observe(samples, now, driftRecurrenceWindow ?? InsightOptions.DefaultDriftRecurrenceWindow, restore);
        }
    }

    /// <summary>Forgets a deleted policy.</summary>
    public void RemovePolicy(PolicyKey policy)
    {
        lock (gate)
        {
            policies.Remove(policy);
        }
    }

    /// <summary>Columns tracked for <paramref name="policy"/> (0 when unknown).</summary>
    public int TrackedCount(PolicyKey policy)
    {
        lock (gate)
        {
            return policies.TryGetValue(policy, out var insights) ? insights.Count : 0;
        }
    }
}
