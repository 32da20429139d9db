namespace SequenceOperator.Reconciliation.Insights;

/// <summary>
/// The history of one sequence-fed column, fed one sample per check. Between two samples:
/// <list type="bullet">
/// <item><b>Values handed out</b> = (this check's next value before repair − the previous check's next value after
/// repair) / increment: positions moved by <c>nextval</c> only, so a repair's jump is never counted. A sequence that
/// moved backwards (or was replaced) restarts this baseline.</item>
/// <item><b>Explicit-id rows</b>: the balance Σ(Δ<c>n_tup_ins</c> − values handed out) counts when it rises above the
/// level already counted. The statistics lag the sequence (a backend reports its inserts when its transaction ends,
/// and a long transaction's rows arrive all at once), so a shortfall of rows is taken as rows still to come, and
/// absorbs them when they do; a shortfall that lasts <see cref="InsightOptions.InsertLagAllowance"/> (a hand-made
/// <c>setval</c> forward, values lost from a cache or a rollback) is forgiven, so it cannot hide explicit ids for
/// ever. A lower bound. Falling <c>n_tup_ins</c> or a new <c>stats_reset</c> restarts this baseline; the first
/// sample has none.</item>
/// <item><b>Drift</b>: a transition from not behind to behind counts once (the first sample counts when behind); it
/// is recurring when it comes within the window after the previous drift ended (repaired or seen in sync).</item>
/// <item><b>Forecast</b>: values handed out per day over <see cref="InsightOptions.RateWindow"/>, and the time the
/// values left until the limit last at that rate.</item>
/// </list>
/// Not thread-safe: <see cref="PolicyInsights"/> serializes the calls.
/// </summary>
internal sealed class SequenceTracker
{
    private readonly InsightOptions options;
    private readonly ConsumptionHistory consumption;
    private readonly Queue<DateTimeOffset> recentDrifts = new();
    private DriftHistory history;

    // Baselines: the previous sample, as far as it can be compared with the next.
    private string? sequence;
    private long? sequenceOid;
    private long increment;
    private long? position;
    private long? rowsInserted;
    private DateTimeOffset? statsReset;
    private double balance;
    private double counted;
    private DateTimeOffset? shortfallSince;
    private double shortfallHighest;
    private double handedOut;

    public SequenceTracker(FedColumn column, DriftHistory? restored, InsightOptions options)
    {
        Column = column;
        this.options = options;
        consumption = new ConsumptionHistory(options.MaxRatePoints);
        history = restored ?? new DriftHistory();
    }

    public FedColumn Column { get; }

    /// <summary>When a sample last mentioned the column.</summary>
    public DateTimeOffset LastSeen { get; private set; }

    /// <summary>The answer of the last sample, without its recurrence; null before the first.</summary>
    public SequenceInsight? Current { get; private set; }

    /// <summary>Takes this check's sample at <paramref name="now"/> and answers for the column.</summary>
    public SequenceInsight Record(SequenceSample sample, DateTimeOffset now, TimeSpan recurrenceWindow)
    {
        if (sample.Increment == 0)
        {
            throw new ArgumentException($"{sample.Column}: a sequence's increment is never 0.", nameof(sample));
        }

        LastSeen = now;
        history = history with { CountingSince = history.CountingSince ?? now };
        if (sample.Sequence != sequence || (sample.SequenceOid is { } oid && sequenceOid is { } known && oid != known)
            || (increment != 0 && Math.Sign(increment) != Math.Sign(sample.Increment)))
        {
            RestartBaselines(); // another sequence feeds the column now, or this one changed direction
        }

        var handed = ValuesHandedOut(sample);
        CountExplicitIdRows(sample, handed, now);
        if (handed is { } h)
        {
            handedOut += h;
        }

        consumption.Add(now, handedOut, options.RateWindow);
        var recurrence = TrackDrift(sample, now, recurrenceWindow);

        sequence = sample.Sequence;
        sequenceOid = sample.SequenceOid ?? sequenceOid;
        increment = sample.Increment;
        position = sample.RepairedNextValue ?? sample.NextValue;
        rowsInserted = sample.RowsInserted;
        statsReset = sample.StatsResetTime;

        Current = new SequenceInsight
        {
            Column = Column,
            Sequence = sample.Sequence,
            History = history,
            Forecast = Forecast(sample, position.Value, now),
        };
        return recurrence is null ? Current : Current with { Recurrence = recurrence };
    }

    private void RestartBaselines()
    {
        position = null;
        rowsInserted = null;
        RestartBalance();
        consumption.Clear();
    }

    /// <summary>Positions moved by nextval since the previous check's post-repair position; null when not comparable.</summary>
    private double? ValuesHandedOut(SequenceSample sample)
    {
        if (position is not { } previous)
        {
            return null;
        }

        var moved = ((Int128)sample.NextValue - previous) / sample.Increment;
        if (moved < 0)
        {
            consumption.Clear(); // moved backwards (setval, ALTER SEQUENCE RESTART): what happened in between is unknown
            return null;
        }

        return (double)moved;
    }

    private void CountExplicitIdRows(SequenceSample sample, double? handed, DateTimeOffset now)
    {
        if (handed is not { } values || rowsInserted is not { } previous || sample.RowsInserted is not { } rows
            || rows < previous || sample.StatsResetTime != statsReset)
        {
            RestartBalance(); // no baseline, a statistics reset, or unknown: start again from this sample
            return;
        }

        // A shortfall older than the allowance is not rows still to come: what it left is the level from now on.
        if (shortfallSince is { } since && now - since >= options.InsertLagAllowance)
        {
            counted = shortfallHighest;
            shortfallSince = null;
        }

        // Both are counts of rows: the balance rises by at most Δn_tup_ins, so it cannot jump to a huge number.
        balance += (rows - previous) - values;
        if (balance > counted)
        {
            var explicitRows = (long)(balance - counted);
            counted = balance;
            shortfallSince = null;
            if (explicitRows > 0)
            {
                history = history with
                {
                    ExplicitIdRows = history.ExplicitIdRows > long.MaxValue - explicitRows ? long.MaxValue : history.ExplicitIdRows + explicitRows,
                    LastExplicitIdRowsTime = now,
                };
            }
        }
        else if (balance == counted)
        {
            shortfallSince = null;
        }
        else if (shortfallSince is null)
        {
            shortfallSince = now;
            shortfallHighest = balance;
        }
        else
        {
            shortfallHighest = Math.Max(shortfallHighest, balance);
        }
    }

    private void RestartBalance()
    {
        balance = 0;
        counted = 0;
        shortfallSince = null;
    }

    private DriftRecurrence? TrackDrift(SequenceSample sample, DateTimeOffset now, TimeSpan recurrenceWindow)
    {
        var wasBehind = history.Behind;
        var stillBehind = sample.Behind && sample.RepairedNextValue is null;
        DriftRecurrence? recurrence = null;
        var next = history with
        {
            Behind = stillBehind,
            LastDriftTime = sample.Behind ? now : history.LastDriftTime,
            LastRepairTime = sample.RepairedNextValue is null ? history.LastRepairTime : now,
            LastDriftEndTime = (wasBehind || sample.Behind) && !stillBehind ? now : history.LastDriftEndTime,
        };

        if (sample.Behind && !wasBehind)
        {
            next = next with { DriftCount = history.DriftCount + 1 };
            while (recentDrifts.Count >= options.MaxRecentDrifts)
            {
                recentDrifts.Dequeue();
            }

            recentDrifts.Enqueue(now);
            if (history.LastDriftEndTime is { } ended && now - ended <= recurrenceWindow)
            {
                recurrence = new DriftRecurrence
                {
                    Column = Column,
                    Sequence = sample.Sequence,
                    DetectedAt = now,
                    PreviousDriftEndedAt = ended,
                    Window = recurrenceWindow,
                    DriftCount = next.DriftCount,
                    DriftsInWindow = recentDrifts.Count(t => now - t <= recurrenceWindow),
                    ExplicitIdRows = next.ExplicitIdRows,
                    LastExplicitIdRowsTime = next.LastExplicitIdRowsTime,
                    CountingSince = next.CountingSince,
                };
            }
        }

        history = next;
        return recurrence;
    }

    private ExhaustionForecast Forecast(SequenceSample sample, long current, DateTimeOffset now)
    {
        // Values from the current next value to the limit, both included; none once it is past the limit.
        var span = (Int128)sample.Limit - current;
        var valuesLeft = Int128.Sign(span) * Math.Sign(sample.Increment) < 0 ? 0 : (decimal)(span / sample.Increment + 1);
        var rate = consumption.RatePerDay(now, options.RateWindow, options.MinimumRateSpan);
        DateTimeOffset? exhaustion = null;
        if (valuesLeft == 0)
        {
            exhaustion = now;
        }
        else if (rate > 0)
        {
            var days = (double)valuesLeft / rate.Value;
            exhaustion = days <= options.ForecastHorizon.TotalDays ? now.AddDays(days) : null;
        }

        return new ExhaustionForecast(rate, exhaustion, valuesLeft, sample.ColumnType, options.ForecastHorizon);
    }
}
