namespace SequenceOperator.Reconciliation.Insights;

/// <summary>
/// The values a sequence handed out over time, as (time, cumulative count) points within a window, at most
/// <c>capacity</c> of them. When full, the interior point whose removal leaves the smallest gap goes, so a long
/// window stays evenly covered and a short history keeps every sample. The rate is the least-squares slope.
/// Not thread-safe.
/// </summary>
internal sealed class ConsumptionHistory(int capacity)
{
    private readonly long[] _ticks = new long[capacity];
    private readonly double[] _values = new double[capacity];
    private int _count;

    /// <summary>Points kept.</summary>
    public int Count => _count;

    /// <summary>The oldest point's time; null when empty.</summary>
    public DateTimeOffset? Oldest => _count == 0 ? null : new DateTimeOffset(_ticks[0], TimeSpan.Zero);

    /// <summary>Forgets every point: the next one starts a new series (the sequence moved backwards, or was replaced).</summary>
    public void Clear() => _count = 0;

    /// <summary>Adds a point; points older than <paramref name="window"/> before it are dropped.</summary>
    public void Add(DateTimeOffset time, double cumulative, TimeSpan window)
    {
        var now = time.UtcTicks;
        var oldest = 0;
        while (oldest < _count && now - _ticks[oldest] > window.Ticks)
        {
            oldest++;
        }

        RemoveRange(0, oldest);
        if (_count > 0 && _ticks[_count - 1] >= now)
        {
            _count--; // the clock did not move: the newer reading replaces the older
        }

        if (_count == capacity)
        {
            var drop = 1;
            for (var i = 2; i < _count - 1; i++)
            {
                if (_ticks[i + 1] - _ticks[i - 1] < _ticks[drop + 1] - _ticks[drop - 1])
                {
                    drop = i;
                }
            }

            RemoveRange(drop, 1);
        }

        _ticks[_count] = now;
        _values[_count] = cumulative;
        _count++;
    }

    /// <summary>
    /// Values per day over the points in the window before <paramref name="now"/>: the least-squares slope, or null
    /// when they span less than <paramref name="minimumSpan"/>. Never negative.
    /// </summary>
    public double? RatePerDay(DateTimeOffset now, TimeSpan window, TimeSpan minimumSpan)
    {
        var first = 0;
        while (first < _count && now.UtcTicks - _ticks[first] > window.Ticks)
        {
            first++;
        }

        var n = _count - first;
        if (n < 2 || _ticks[_count - 1] - _ticks[first] < minimumSpan.Ticks)
        {
            return null;
        }

        // Days relative to the first point, values relative to the first value: small numbers, no lost precision.
        double meanX = 0, meanY = 0;
        for (var i = first; i < _count; i++)
        {
            meanX += Days(i, first);
            meanY += _values[i] - _values[first];
        }

        meanX /= n;
        meanY /= n;
        double covariance = 0, variance = 0;
        for (var i = first; i < _count; i++)
        {
            var dx = Days(i, first) - meanX;
            covariance += dx * (_values[i] - _values[first] - meanY);
            variance += dx * dx;
        }

        return Math.Max(0, covariance / variance);
    }

    private double Days(int i, int first) => (_ticks[i] - _ticks[first]) / (double)TimeSpan.TicksPerDay;

    private void RemoveRange(int index, int length)
    {
        if (length == 0)
        {
            return;
        }

        Array.Copy(_ticks, index + length, _ticks, index, _count - index - length);
        Array.Copy(_values, index + length, _values, index, _count - index - length);
        _count -= length;
    }
}
