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
/// What it keeps between checks is scalars (times as UTC ticks, <see cref="Never"/> for none) and the packed rate
/// points; a column that drifted, was repaired or had explicit-id rows also keeps those events (<see cref="Events"/>),
/// most never do. Its answers are built when asked. The column is the caller's key. Not thread-safe:
/// <see cref="PolicyInsights"/> serializes the calls.
/// </summary>
internal sealed class SequenceTracker
{
    /// <summary>A time field that holds no time.</summary>
    private const long Never = long.MinValue;

    private ConsumptionHistory _consumption;
    private Events? _events;

    // Baselines: the previous sample, as far as it can be compared with the next.
    private Known _known;
    private long _sequenceOid;
    private long _position;
    private long _rowsInserted;
    private long _statsReset = Never;
    private double _balance;
    private double _counted;
    private long _shortfallSince = Never;
    private double _shortfallHighest;

    // The last sample, for the forecast.
    private string _sequence = string.Empty;
    private long _increment;
    private long _limit;
    private string _columnType = string.Empty;

    // The drift history: these and _events.
    private long _countingSince;
    private bool _behind;

    /// <summary>A tracker before its first sample: <paramref name="restored"/> (or nothing) as its history.</summary>
    public SequenceTracker(DriftHistory? restored, InsightOptions options)
    {
        _consumption = new ConsumptionHistory(options.MaxRatePoints);
        _countingSince = Ticks(restored?.CountingSince);
        _behind = restored?.Behind ?? false;
        if (restored is not null)
        {
            _events = new Events
            {
                DriftCount = restored.DriftCount,
                LastDriftTime = Ticks(restored.LastDriftTime),
                LastRepairTime = Ticks(restored.LastRepairTime),
                LastDriftEndTime = Ticks(restored.LastDriftEndTime),
                ExplicitIdRows = restored.ExplicitIdRows,
                LastExplicitIdRowsTime = Ticks(restored.LastExplicitIdRowsTime),
            };
        }
    }

    /// <summary>When a sample last mentioned the column.</summary>
    public DateTimeOffset LastSeen => _consumption.Newest;

    /// <summary>The drift history after the last sample (or as restored).</summary>
    public DriftHistory History => _events is not { } events
        ? new() { CountingSince = Time(_countingSince), Behind = _behind }
        : new()
        {
            DriftCount = events.DriftCount,
            LastDriftTime = Time(events.LastDriftTime),
            LastRepairTime = Time(events.LastRepairTime),
            LastDriftEndTime = Time(events.LastDriftEndTime),
            ExplicitIdRows = events.ExplicitIdRows,
            LastExplicitIdRowsTime = Time(events.LastExplicitIdRowsTime),
            CountingSince = Time(_countingSince),
            Behind = _behind,
        };

    /// <summary>Takes this check's sample at <paramref name="now"/> and answers for the column.</summary>
    public SequenceInsight Record(SequenceSample sample, DateTimeOffset now, TimeSpan recurrenceWindow, InsightOptions options)
    {
        if (sample.Increment == 0)
        {
            throw new ArgumentException($"{sample.Column}: a sequence's increment is never 0.", nameof(sample));
        }

        if (_countingSince == Never)
        {
            _countingSince = now.UtcTicks;
        }

        if (sample.Sequence != _sequence
            || (sample.SequenceOid is { } oid && _known.HasFlag(Known.SequenceOid) && oid != _sequenceOid)
            || (_increment != 0 && Math.Sign(_increment) != Math.Sign(sample.Increment)))
        {
            RestartBaselines(); // another sequence feeds the column now, or this one changed direction
        }

        var handed = ValuesHandedOut(sample);
        CountExplicitIdRows(sample, handed, now, options);
        _consumption.Add(now, _consumption.NewestCount + (handed ?? 0), options.RateWindow);
        var recurrence = TrackDrift(sample, now, recurrenceWindow, options);

        if (sample.Sequence != _sequence)
        {
            _sequence = sample.Sequence; // an equal one keeps the old copy: no young copy promoted, no old one left as garbage
        }

        if (sample.SequenceOid is { } known)
        {
            _sequenceOid = known;
            _known |= Known.SequenceOid;
        }

        _position = sample.RepairedNextValue ?? sample.NextValue;
        _known |= Known.Position;
        if (sample.RowsInserted is { } rows)
        {
            _rowsInserted = rows;
            _known |= Known.RowsInserted;
        }
        else
        {
            _known &= ~Known.RowsInserted;
        }

        _increment = sample.Increment;
        _statsReset = Ticks(sample.StatsResetTime);
        _limit = sample.Limit;
        _columnType = sample.ColumnType;
        return Answer(sample.Column, options, recurrence);
    }

    /// <summary>
    /// The answer of the last sample for <paramref name="column"/> (this tracker's), with <paramref name="recurrence"/>
    /// when that sample found recurring drift. Only after a first sample.
    /// </summary>
    public SequenceInsight Answer(FedColumn column, InsightOptions options, DriftRecurrence? recurrence = null) => new()
    {
        Column = column,
        Sequence = _sequence,
        History = History,
        Forecast = Forecast(options),
        Recurrence = recurrence,
    };

    private static long Ticks(DateTimeOffset? time) => time?.UtcTicks ?? Never;

    private static DateTimeOffset? Time(long ticks) => ticks == Never ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    private void RestartBaselines()
    {
        _known &= ~(Known.Position | Known.RowsInserted);
        RestartBalance();
        _consumption.Clear();
    }

    /// <summary>Positions moved by nextval since the previous check's post-repair position; null when not comparable.</summary>
    private double? ValuesHandedOut(SequenceSample sample)
    {
        if (!_known.HasFlag(Known.Position))
        {
            return null;
        }

        var moved = ((Int128)sample.NextValue - _position) / sample.Increment;
        if (moved < 0)
        {
            _consumption.Clear(); // moved backwards (setval, ALTER SEQUENCE RESTART): what happened in between is unknown
            return null;
        }

        return (double)moved;
    }

    private void CountExplicitIdRows(SequenceSample sample, double? handed, DateTimeOffset now, InsightOptions options)
    {
        if (handed is not { } values || !_known.HasFlag(Known.RowsInserted) || sample.RowsInserted is not { } rows
            || rows < _rowsInserted || Ticks(sample.StatsResetTime) != _statsReset)
        {
            RestartBalance(); // no baseline, a statistics reset, or unknown: start again from this sample
            return;
        }

        // A shortfall older than the allowance is not rows still to come: what it left is the level from now on.
        if (_shortfallSince != Never && now.UtcTicks - _shortfallSince >= options.InsertLagAllowance.Ticks)
        {
            _counted = _shortfallHighest;
            _shortfallSince = Never;
        }

        // Both are counts of rows: the balance rises by at most Δn_tup_ins, so it cannot jump to a huge number.
        _balance += (rows - _rowsInserted) - values;
        if (_balance > _counted)
        {
            var explicitRows = (long)(_balance - _counted);
            _counted = _balance;
            _shortfallSince = Never;
            if (explicitRows > 0)
            {
                var events = _events ??= new Events();
                events.ExplicitIdRows = events.ExplicitIdRows > long.MaxValue - explicitRows
                    ? long.MaxValue
                    : events.ExplicitIdRows + explicitRows;
                events.LastExplicitIdRowsTime = now.UtcTicks;
            }
        }
        else if (_balance == _counted)
        {
            _shortfallSince = Never;
        }
        else if (_shortfallSince == Never)
        {
            _shortfallSince = now.UtcTicks;
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
        _shortfallSince = Never;
    }

    private DriftRecurrence? TrackDrift(SequenceSample sample, DateTimeOffset now, TimeSpan recurrenceWindow, InsightOptions options)
    {
        var wasBehind = _behind;
        var stillBehind = sample.Behind && sample.RepairedNextValue is null;
        if (!wasBehind && !sample.Behind && sample.RepairedNextValue is null)
        {
            return null; // in sync, as it was: nothing happened
        }

        var events = _events ??= new Events();
        var previousEnd = events.LastDriftEndTime;
        _behind = stillBehind;
        events.LastDriftTime = sample.Behind ? now.UtcTicks : events.LastDriftTime;
        events.LastRepairTime = sample.RepairedNextValue is null ? events.LastRepairTime : now.UtcTicks;
        events.LastDriftEndTime = (wasBehind || sample.Behind) && !stillBehind ? now.UtcTicks : events.LastDriftEndTime;
        if (!sample.Behind || wasBehind)
        {
            return null;
        }

        events.DriftCount++;
        if (events.RecentDrifts is not { } recent)
        {
            recent = events.RecentDrifts = new long[options.MaxRecentDrifts];
            Array.Fill(recent, Never);
        }

        Array.Copy(recent, 0, recent, 1, recent.Length - 1);
        recent[0] = now.UtcTicks;
        if (previousEnd == Never || now.UtcTicks - previousEnd > recurrenceWindow.Ticks)
        {
            return null;
        }

        return new DriftRecurrence
        {
            Column = sample.Column,
            Sequence = sample.Sequence,
            DetectedAt = now,
            PreviousDriftEndedAt = new DateTimeOffset(previousEnd, TimeSpan.Zero),
            Window = recurrenceWindow,
            DriftCount = events.DriftCount,
            DriftsInWindow = recent.Count(t => t != Never && now.UtcTicks - t <= recurrenceWindow.Ticks),
            ExplicitIdRows = events.ExplicitIdRows,
            LastExplicitIdRowsTime = Time(events.LastExplicitIdRowsTime),
            CountingSince = Time(_countingSince),
        };
    }

    private ExhaustionForecast Forecast(InsightOptions options)
    {
        // Values from the current next value to the limit, both included; none once it is past the limit.
        var now = LastSeen;
        var span = (Int128)_limit - _position;
        var valuesLeft = Int128.Sign(span) * Math.Sign(_increment) < 0 ? 0 : (decimal)(span / _increment + 1);
        var rate = _consumption.RatePerDay(now, options.RateWindow, options.MinimumRateSpan);
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

        return new ExhaustionForecast(rate, exhaustion, valuesLeft, _columnType, options.ForecastHorizon);
    }

    /// <summary>Which baselines hold a value.</summary>
    [Flags]
    private enum Known : byte
    {
        None = 0,
        SequenceOid = 1,
        Position = 2,
        RowsInserted = 4,
    }

    /// <summary>
    /// What a column keeps once it drifted, was repaired or had explicit-id rows (or its history was restored): the
    /// rest of its <see cref="DriftHistory"/>, and its recent drift start times.
    /// </summary>
    private sealed class Events
    {
        public long DriftCount { get; set; }

        public long LastDriftTime { get; set; } = Never;

        public long LastRepairTime { get; set; } = Never;

        public long LastDriftEndTime { get; set; } = Never;

        public long ExplicitIdRows { get; set; }

        public long LastExplicitIdRowsTime { get; set; } = Never;

        /// <summary>The last <see cref="InsightOptions.MaxRecentDrifts"/> drift start times, newest first; null until the first.</summary>
        public long[]? RecentDrifts { get; set; }
    }
}
