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
    private readonly InsightOptions _options;
    private readonly ConsumptionHistory _consumption;
    private readonly Queue<DateTimeOffset> _recentDrifts = new();
    private DriftHistory _history;

    // Baselines: the previous sample, as far as it can be compared with the next.
    private string? _sequence;
    private long? _sequenceOid;
    private long _increment;
    private long? _position;
    private long? _rowsInserted;
    private DateTimeOffset? _statsReset;
    private double _balance;
    private double _counted;
    private DateTimeOffset? _shortfallSince;
    private double _shortfallHighest;
    private double _handedOut;

    public SequenceTracker(FedColumn column, DriftHistory? restored, InsightOptions options)
    {
        Column = column;
        _options = options;
        _consumption = new ConsumptionHistory(options.MaxRatePoints);
        _history = restored ?? new DriftHistory();
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
        _history = _history with { CountingSince = _history.CountingSince ?? now };
        if (sample.Sequence != _sequence || (sample.SequenceOid is { } oid && _sequenceOid is { } known && oid != known)
            || (_increment != 0 && Math.Sign(_increment) != Math.Sign(sample.Increment)))
        {
            RestartBaselines(); // another sequence feeds the column now, or this one changed direction
        }

        var handed = ValuesHandedOut(sample);
        CountExplicitIdRows(sample, handed, now);
        if (handed is { } h)
        {
            _handedOut += h;
        }

        _consumption.Add(now, _handedOut, _options.RateWindow);
        var recurrence = TrackDrift(sample, now, recurrenceWindow);

        _sequence = sample.Sequence;
        _sequenceOid = sample.SequenceOid ?? _sequenceOid;
        _increment = sample.Increment;
        _position = sample.RepairedNextValue ?? sample.NextValue;
        _rowsInserted = sample.RowsInserted;
        _statsReset = sample.StatsResetTime;

        Current = new SequenceInsight
        {
            Column = Column,
            Sequence = sample.Sequence,
            History = _history,
            Forecast = Forecast(sample, _position.Value, now),
        };
        return recurrence is null ? Current : Current with { Recurrence = recurrence };
    }

    private void RestartBaselines()
    {
        _position = null;
        _rowsInserted = null;
        RestartBalance();
        _consumption.Clear();
    }

    /// <summary>Positions moved by nextval since the previous check's post-repair position; null when not comparable.</summary>
    private double? ValuesHandedOut(SequenceSample sample)
    {
        if (_position is not { } previous)
        {
            return null;
        }

        var moved = ((Int128)sample.NextValue - previous) / sample.Increment;
        if (moved < 0)
        {
            _consumption.Clear(); // moved backwards (setval, ALTER SEQUENCE RESTART): what happened in between is unknown
            return null;
        }

        return (double)moved;
    }

    private void CountExplicitIdRows(SequenceSample sample, double? handed, DateTimeOffset now)
    {
        if (handed is not { } values || _rowsInserted is not { } previous || sample.RowsInserted is not { } rows
            || rows < previous || sample.StatsResetTime != _statsReset)
        {
            RestartBalance(); // no baseline, a statistics reset, or unknown: start again from this sample
            return;
        }

        // A shortfall older than the allowance is not rows still to come: what it left is the level from now on.
        if (_shortfallSince is { } since && now - since >= _options.InsertLagAllowance)
        {
            _counted = _shortfallHighest;
            _shortfallSince = null;
        }

        // Both are counts of rows: the balance rises by at most Δn_tup_ins, so it cannot jump to a huge number.
        _balance += (rows - previous) - values;
        if (_balance > _counted)
        {
            var explicitRows = (long)(_balance - _counted);
            _counted = _balance;
            _shortfallSince = null;
            if (explicitRows > 0)
            {
                _history = _history with
                {
                    ExplicitIdRows = _history.ExplicitIdRows > long.MaxValue - explicitRows
                        ? long.MaxValue
                        : _history.ExplicitIdRows + explicitRows,
                    LastExplicitIdRowsTime = now,
                };
            }
        }
        else if (_balance == _counted)
        {
            _shortfallSince = null;
        }
        else if (_shortfallSince is null)
        {
            _shortfallSince = now;
            _shortfallHighest = _balance;
        }
        else
        {
            _shortfallHighest = Math.Max(_shortfallHighest, _balance);
        }
    }

    private void RestartBalance()
    {
        _balance = 0;
        _counted = 0;
        _shortfallSince = null;
    }

    private DriftRecurrence? TrackDrift(SequenceSample sample, DateTimeOffset now, TimeSpan recurrenceWindow)
    {
        var wasBehind = _history.Behind;
        var stillBehind = sample.Behind && sample.RepairedNextValue is null;
        DriftRecurrence? recurrence = null;
        var next = _history with
        {
            Behind = stillBehind,
            LastDriftTime = sample.Behind ? now : _history.LastDriftTime,
            LastRepairTime = sample.RepairedNextValue is null ? _history.LastRepairTime : now,
            LastDriftEndTime = (wasBehind || sample.Behind) && !stillBehind ? now : _history.LastDriftEndTime,
        };

        if (sample.Behind && !wasBehind)
        {
            next = next with { DriftCount = _history.DriftCount + 1 };
            while (_recentDrifts.Count >= _options.MaxRecentDrifts)
            {
                _recentDrifts.Dequeue();
            }

            _recentDrifts.Enqueue(now);
            if (_history.LastDriftEndTime is { } ended && now - ended <= recurrenceWindow)
            {
                recurrence = new DriftRecurrence
                {
                    Column = Column,
                    Sequence = sample.Sequence,
                    DetectedAt = now,
                    PreviousDriftEndedAt = ended,
                    Window = recurrenceWindow,
                    DriftCount = next.DriftCount,
                    DriftsInWindow = _recentDrifts.Count(t => now - t <= recurrenceWindow),
                    ExplicitIdRows = next.ExplicitIdRows,
                    LastExplicitIdRowsTime = next.LastExplicitIdRowsTime,
                    CountingSince = next.CountingSince,
                };
            }
        }

        _history = next;
        return recurrence;
    }

    private ExhaustionForecast Forecast(SequenceSample sample, long current, DateTimeOffset now)
    {
        // Values from the current next value to the limit, both included; none once it is past the limit.
        var span = (Int128)sample.Limit - current;
        var valuesLeft = Int128.Sign(span) * Math.Sign(sample.Increment) < 0 ? 0 : (decimal)(span / sample.Increment + 1);
        var rate = _consumption.RatePerDay(now, _options.RateWindow, _options.MinimumRateSpan);
        DateTimeOffset? exhaustion = null;
        if (valuesLeft == 0)
        {
            exhaustion = now;
        }
        else if (rate > 0)
        {
            var days = (double)valuesLeft / rate.Value;
            exhaustion = days <= _options.ForecastHorizon.TotalDays ? now.AddDays(days) : null;
        }

        return new ExhaustionForecast(rate, exhaustion, valuesLeft, sample.ColumnType, _options.ForecastHorizon);
    }
}
