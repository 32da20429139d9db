namespace SequenceOperator.Reconciliation.Insights;

/// <summary>
/// The values a sequence handed out over time, as (time, cumulative count) points within a window, at most
/// <c>capacity</c> of them. When full, the interior point whose removal leaves the smallest gap goes, so a long
/// window stays evenly covered and a short history keeps every sample. The rate is the least-squares slope.
/// <para>
/// Packed, 8 bytes a point: the newest point exactly, each other as how far it lies before the newest, in whole
/// cells of 2^<c>scale</c> ticks and 2^<c>scale</c> values, each cell starting at a multiple of its size. A scale grows
/// only as far as the points need to fit in 31 bits (a 24-hour window: cells of 51.2 µs; counts stay exact while the
/// window holds fewer than 2^31 values) and goes back to 0 when a single point is left. A point moves to the start of
/// its cell when it stops being the newest, and again only when the scale grows, each time by less than a cell; adding
/// points does not move the others, so the rounding never adds up. Counts are whole numbers; a fraction is dropped.
/// </para>
/// A struct kept in its tracker's field (one object less per column): never copy it. Not thread-safe.
/// </summary>
internal struct ConsumptionHistory(int capacity)
{
    private const int StackPoints = 128;

    private readonly Point[] _points = new Point[capacity - 1]; // the newest point is _newestTicks, _newestCount
    private long _newestTicks;
    private long _newestCount;
    private int _count;
    private byte _timeScale;
    private byte _countScale;

    /// <summary>Points kept.</summary>
    public readonly int Count => _count;

    /// <summary>The oldest point's time; null when empty.</summary>
    public readonly DateTimeOffset? Oldest => _count switch
    {
        0 => null,
        1 => Newest,
        _ => new DateTimeOffset(Decode(_newestTicks, _points[0].Time, _timeScale), TimeSpan.Zero),
    };

    /// <summary>The newest point's time (kept by <see cref="Clear"/>; the default time before the first point).</summary>
    public readonly DateTimeOffset Newest => new(_newestTicks, TimeSpan.Zero);

    /// <summary>The newest point's cumulative count (kept by <see cref="Clear"/>; 0 before the first point).</summary>
    public readonly double NewestCount => _newestCount;

    /// <summary>Points kept at most: from the array (the constructor's parameter, kept, would be a field more per column).</summary>
    private readonly int Capacity => _points.Length + 1;

    /// <summary>Forgets every point: the next one starts a new series (the sequence moved backwards, or was replaced).</summary>
    public void Clear() => _count = 0;

    /// <summary>Adds a point; points older than <paramref name="window"/> before it are dropped.</summary>
    public void Add(DateTimeOffset time, double cumulative, TimeSpan window)
    {
        var now = time.UtcTicks;
        Span<long> ticks = Capacity <= StackPoints ? stackalloc long[Capacity] : new long[Capacity];
        Span<long> counts = Capacity <= StackPoints ? stackalloc long[Capacity] : new long[Capacity];
        var count = Unpack(ticks, counts);
        var oldest = 0;
        while (oldest < count && now - ticks[oldest] > window.Ticks)
        {
            oldest++;
        }

        count = RemoveRange(ticks, counts, count, 0, oldest);
        if (count > 0 && ticks[count - 1] >= now)
        {
            count--; // the clock did not move: the newer reading replaces the older
        }

        if (count == Capacity)
        {
            var drop = 1;
            for (var i = 2; i < count - 1; i++)
            {
                if (ticks[i + 1] - ticks[i - 1] < ticks[drop + 1] - ticks[drop - 1])
                {
                    drop = i;
                }
            }

            count = RemoveRange(ticks, counts, count, drop, 1);
        }

        ticks[count] = now;
        counts[count] = (long)Math.Floor(cumulative);
        Pack(ticks[..(count + 1)], counts[..(count + 1)]);
    }

    /// <summary>
    /// Values per day over the points in the window before <paramref name="now"/>: the least-squares slope, or null
    /// when they span less than <paramref name="minimumSpan"/>. Never negative.
    /// </summary>
    public readonly double? RatePerDay(DateTimeOffset now, TimeSpan window, TimeSpan minimumSpan)
    {
        Span<long> ticks = _count <= StackPoints ? stackalloc long[_count] : new long[_count];
        Span<long> counts = _count <= StackPoints ? stackalloc long[_count] : new long[_count];
        Unpack(ticks, counts);
        var first = 0;
        while (first < _count && now.UtcTicks - ticks[first] > window.Ticks)
        {
            first++;
        }

        var n = _count - first;
        if (n < 2 || ticks[_count - 1] - ticks[first] < minimumSpan.Ticks)
        {
            return null;
        }

        // Days relative to the first point, values relative to the first value: small numbers, no lost precision.
        double meanX = 0, meanY = 0;
        for (var i = first; i < _count; i++)
        {
            meanX += (ticks[i] - ticks[first]) / (double)TimeSpan.TicksPerDay;
            meanY += counts[i] - counts[first];
        }

        meanX /= n;
        meanY /= n;
        double covariance = 0, variance = 0;
        for (var i = first; i < _count; i++)
        {
            var dx = (ticks[i] - ticks[first]) / (double)TimeSpan.TicksPerDay - meanX;
            covariance += dx * (counts[i] - counts[first] - meanY);
            variance += dx * dx;
        }

        return Math.Max(0, covariance / variance);
    }

    /// <summary>A point's time or count: <paramref name="cells"/> cells of 2^<paramref name="scale"/> before the newest's.</summary>
    private static long Decode(long newest, int cells, byte scale) => ((newest >> scale) - cells) << scale;

    /// <summary>How many cells before <paramref name="newest"/>'s the cell of <paramref name="value"/> lies.</summary>
    private static long Cells(long newest, long value, byte scale) => (newest >> scale) - (value >> scale);

    /// <summary>The smallest scale from <paramref name="scale"/> up at which every value lies within 31 bits of the last.</summary>
    private static byte Fit(ReadOnlySpan<long> values, byte scale)
    {
        var newest = values[^1];
        foreach (var value in values)
        {
            while (Cells(newest, value, scale) is > int.MaxValue or < int.MinValue)
            {
                scale++;
            }
        }

        return scale;
    }

    private static int RemoveRange(Span<long> ticks, Span<long> counts, int count, int index, int length)
    {
        ticks[(index + length)..count].CopyTo(ticks[index..]);
        counts[(index + length)..count].CopyTo(counts[index..]);
        return count - length;
    }

    /// <summary>The points, oldest first, the newest exactly; returns how many.</summary>
    private readonly int Unpack(Span<long> ticks, Span<long> counts)
    {
        for (var i = 0; i < _count - 1; i++)
        {
            ticks[i] = Decode(_newestTicks, _points[i].Time, _timeScale);
            counts[i] = Decode(_newestCount, _points[i].Count, _countScale);
        }

        if (_count > 0)
        {
            (ticks[_count - 1], counts[_count - 1]) = (_newestTicks, _newestCount);
        }

        return _count;
    }

    /// <summary>Keeps <paramref name="ticks"/> and <paramref name="counts"/>, the newest last (never empty).</summary>
    private void Pack(ReadOnlySpan<long> ticks, ReadOnlySpan<long> counts)
    {
        _count = ticks.Length;
        (_newestTicks, _newestCount) = (ticks[^1], counts[^1]);
        if (_count == 1)
        {
            (_timeScale, _countScale) = (0, 0);
        }

        _timeScale = Fit(ticks, _timeScale);
        _countScale = Fit(counts, _countScale);
        for (var i = 0; i < _count - 1; i++)
        {
            _points[i] = new Point(
                (int)Cells(_newestTicks, ticks[i], _timeScale),
                (int)Cells(_newestCount, counts[i], _countScale));
        }
    }

    /// <summary>A point: cells before the newest point's, in time and in count.</summary>
    private readonly record struct Point(int Time, int Count);
}
