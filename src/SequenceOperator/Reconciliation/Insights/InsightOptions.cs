using SequenceOperator.Entities;

namespace SequenceOperator.Reconciliation.Insights;

/// <summary>
/// The model's windows and memory bounds. Memory per tracked column: at most <see cref="MaxRatePoints"/> rate
/// points (8 bytes each, packed) and, once the column has drifted, <see cref="MaxRecentDrifts"/> drift times (8 bytes
/// each): with the defaults, about 380 bytes a column with the baselines and the object headers, 540 once it has
/// drifted (the benchmarks' <c>insights</c>), under 1 KB; per policy at most <see cref="MaxSequencesPerPolicy"/>
/// columns (under 1 MB).
/// </summary>
internal sealed record InsightOptions
{
    /// <summary>The default of <c>spec.driftRecurrenceWindow</c>.</summary>
    public static readonly TimeSpan DefaultDriftRecurrenceWindow =
        KubernetesDuration.Parse(SequenceSyncPolicySpec.DefaultDriftRecurrenceWindow);

    /// <summary>The consumption rate is the least-squares slope of the values handed out over this window.</summary>
    public TimeSpan RateWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>No rate (and no forecast) until the history in the window spans at least this long.</summary>
    public TimeSpan MinimumRateSpan { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// How long fewer rows than values handed out are taken as rows the statistics have yet to report (open
    /// transactions, counters not yet flushed) before the shortfall is forgiven. Longer absorbs longer transactions;
    /// shorter lets explicit ids show sooner after a hand-made <c>setval</c> forward.
    /// </summary>
    public TimeSpan InsertLagAllowance { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Rate points kept per column; past it the densest point goes, so the window stays evenly covered.</summary>
    public int MaxRatePoints { get; init; } = 24;

    /// <summary>Recent drift start times kept per column, for <see cref="DriftRecurrence.DriftsInWindow"/>.</summary>
    public int MaxRecentDrifts { get; init; } = 8;

    /// <summary>Columns tracked per policy; a policy's samples past it are not tracked (first come, first kept).</summary>
    public int MaxSequencesPerPolicy { get; init; } = 1000;

    /// <summary>A column no sample has mentioned for this long (dropped, or failing) is forgotten.</summary>
    public TimeSpan ForgetAfter { get; init; } = TimeSpan.FromDays(7);

    /// <summary>An exhaustion time further away than this is not reported (a bigint sequence lasts for millennia).</summary>
    public TimeSpan ForecastHorizon { get; init; } = TimeSpan.FromDays(100 * 365.25);

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        if (RateWindow <= TimeSpan.Zero || MinimumRateSpan <= TimeSpan.Zero || MinimumRateSpan > RateWindow)
        {
            throw new ArgumentOutOfRangeException(
                nameof(MinimumRateSpan),
                "RateWindow must be positive and at least MinimumRateSpan, which must be positive.");
        }

        if (MaxRatePoints < 3 || MaxRecentDrifts < 1 || MaxSequencesPerPolicy < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(MaxRatePoints),
                "MaxRatePoints must be at least 3, MaxRecentDrifts and MaxSequencesPerPolicy at least 1.");
        }

        if (InsertLagAllowance < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(InsertLagAllowance), "InsertLagAllowance cannot be negative.");
        }

        if (ForgetAfter <= TimeSpan.Zero || ForecastHorizon <= TimeSpan.Zero || ForecastHorizon > TimeSpan.FromDays(1000 * 365.25))
        {
            throw new ArgumentOutOfRangeException(
                nameof(ForecastHorizon),
                "ForgetAfter must be positive, ForecastHorizon from just above 0 to 1000 years.");
        }
    }
}
