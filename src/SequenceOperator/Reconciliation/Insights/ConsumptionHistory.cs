namespace SequenceOperator.Reconciliation.Insights;

/// <summary>
/// The values a sequence handed out over time, as (time, cumulative count) points within a window, at most
/// <c>capacity</c> of them. When full, the interior point whose removal leaves the smallest gap goes, so a long
/// window stays evenly covered and a short history keeps every sample. The rate is the least-squares slope.
/// Not thread-safe.
/// </summary>
internal sealed class ConsumptionHistory(int capacity)
{
    private readonly long[] ticks = new long[capacity];
    private readonly double[] values = new double[capacity];
    private int count;

    /// <summary>Points kept.</summary>
    public int Count => count;

    /// <summary>The oldest point's time; null when empty.</summary>
    public DateTimeOffset? Oldest => count == 0 ? null : new DateTimeOffset(ticks[0], TimeSpan.Zero);

    /// <summary>Forgets every point: the next one starts a new series (the sequence moved backwards, or was replaced).</summary>
    public void Clear() => count = 0;

    /// <summary>Adds a point; points older than <paramref name="window"/> before it are dropped.</summary>
    public void Add(DateTimeOffset time, double cumulative, TimeSpan window)
    {
        var now = time.UtcTicks;
        var oldest = 0;
        while (oldest < count && now - ticks[oldest] > window.Ticks)
        {
            oldest++;
        }

        RemoveRange(0, oldest);
        if (count > 0 && ticks[count - 1] >= now)
        {
            count--; // the clock did not move: the newer reading replaces the older
        }

        if (count == capacity)
        {
            var drop = 1;
            for (var i = 2; i < count - 1; i++)
            {
                if (ticks[i + 1] - ticks[i - 1] < ticks[drop + 1] - ticks[drop - 1])
                {
                    drop = i;
                }
            }

            RemoveRange(drop, 1);
        }

        ticks[count] = now;
        values[count] = cumulative;
        count++;
    }

    /// <summary>
    /// Values per day over the points in the window before <paramref name="now"/>: the least-squares slope, or null
    /// when they span less than <paramref name="minimumSpan"/>. Never negative.
    /// </summary>
    public double? RatePerDay(DateTimeOffset now, TimeSpan window, TimeSpan minimumSpan)
    {
        var first = 0;
        while (first < count && now.UtcTicks - ticks[first] > window.Ticks)
        {
            first++;
        }

        var n = count - first;
        if (n < 2 || ticks[count - 1] - ticks[first] < minimumSpan.Ticks)
        {
            return null;
        }

        // Days relative to the first point, values relative to the first value: small numbers, no lost precision.
        double meanX = 0, meanY = 0;
        for (var i = first; i < count; i++)
        {
            meanX += Days(i, first);
            meanY += values[i] - values[first];
        }

        meanX /= n;
        meanY /= n;
        double covariance = 0, variance = 0;
        for (var i = first; i < count; i++)
        {
            var dx = Days(i, first) - meanX;
            covariance += dx * (values[i] - values[first] - meanY);
            variance += dx * dx;
        }

        return Math.Max(0, covariance / variance);
    }

    private double Days(int i, int first) => (ticks[i] - ticks[first]) / (double)TimeSpan.TicksPerDay;

    private void RemoveRange(int index, int length)
    {
        if (length == 0)
        {
            return;
        }

        Array.Copy(ticks, index + length, ticks, index, count - index - length);
        Array.Copy(values, index + length, values, index, count - index - length);
        count -= length;
    }
}
