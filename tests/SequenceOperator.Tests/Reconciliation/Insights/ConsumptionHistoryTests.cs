using SequenceOperator.Reconciliation.Insights;

namespace SequenceOperator.Tests.Reconciliation.Insights;

public sealed class ConsumptionHistoryTests
{
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromHours(24);
    private static readonly TimeSpan MinimumSpan = TimeSpan.FromMinutes(30);

    [Fact]
    public void PackedPoints_GiveTheRateOfExactOnes_BitForBit_OnWholeMinutes()
    {
        // Whole minutes lie on the cells of every scale a 24-hour window needs, and the counts fit: nothing is rounded.
        var random = new Random(7);
        var packed = new ConsumptionHistory(24);
        var exact = new ExactHistory(24);
        var (time, total) = (Start, 1_000_000_000_000.0);
        for (var i = 0; i < 3000; i++)
        {
            time += TimeSpan.FromMinutes(random.Next(1, 11));
            total += random.Next(0, 50_000) * (i % 200 < 100 ? 1 : 3);
            packed.Add(time, total, Window);
            exact.Add(time, total, Window);

            Assert.Equal(exact.RatePerDay(time, Window, MinimumSpan), packed.RatePerDay(time, Window, MinimumSpan));
            Assert.Equal(exact.Count, packed.Count);
            Assert.Equal(exact.Oldest, packed.Oldest);
        }
    }

    [Fact]
    public void PackedPoints_GiveTheRateOfExactOnes_WithinAMillionth_WhenTimesAndCountsAreRounded()
    {
        // Sub-second times and a bigint sequence at about 100,000 ids a second (more than 2^31 values a day): both scales grow.
        var random = new Random(11);
        var packed = new ConsumptionHistory(24);
        var exact = new ExactHistory(24);
        var (time, total) = (Start, 0.0);
        for (var i = 0; i < 2000; i++)
        {
            var step = TimeSpan.FromTicks(random.NextInt64(TimeSpan.TicksPerSecond * 20, TimeSpan.TicksPerMinute * 3));
            time += step;
            total += Math.Round(step.TotalSeconds * random.Next(80_000, 120_000));
            packed.Add(time, total, Window);
            exact.Add(time, total, Window);

            var expected = exact.RatePerDay(time, Window, MinimumSpan);
            var actual = packed.RatePerDay(time, Window, MinimumSpan);
            Assert.Equal(expected is null, actual is null);
            if (expected is { } rate)
            {
                Assert.InRange(actual!.Value, rate * (1 - 1e-6), rate * (1 + 1e-6));
            }
        }
    }

    [Fact]
    public void SameTimeAgain_ReplacesTheNewestPoint_EvenWhenTimesAreRounded()
    {
        var history = new ConsumptionHistory(24);
        var time = Start.AddTicks(1234567);
        for (var i = 0; i < 20; i++)
        {
            time += TimeSpan.FromHours(1) + TimeSpan.FromTicks(333);
            history.Add(time, i * 1000.0, Window);
        }

        history.Add(time, 30_000, Window);

        Assert.Equal(20, history.Count);
        Assert.Equal(time, history.Newest);
        Assert.Equal(30_000, history.NewestCount);
    }

    [Fact]
    public void Clear_ForgetsThePoints_KeepsTheNewest_AndANewSeriesIsExactAgain()
    {
        var history = new ConsumptionHistory(24);
        var time = Start;
        for (var i = 0; i < 100; i++)
        {
            time += TimeSpan.FromMinutes(20);
            history.Add(time, i * 5000_000_000.0, Window);
        }

        history.Clear();
        Assert.Equal(0, history.Count);
        Assert.Null(history.Oldest);
        Assert.Equal(time, history.Newest);
        Assert.Equal(99 * 5000_000_000.0, history.NewestCount);

        // 100 ticks apart, one value each: far finer than the cells the long series needed.
        for (var i = 1; i <= 5; i++)
        {
            history.Add(time + TimeSpan.FromTicks(100 * i), i, Window);
        }

        Assert.Equal(5, history.Count);
        Assert.Equal(TimeSpan.TicksPerDay / 100.0, history.RatePerDay(time.AddTicks(500), Window, TimeSpan.FromTicks(1))!.Value, 6);
    }

    /// <summary>The rate history as it was kept before it was packed: every point exact, in two arrays.</summary>
    private sealed class ExactHistory(int capacity)
    {
        private readonly long[] _ticks = new long[capacity];
        private readonly double[] _values = new double[capacity];

        public int Count { get; private set; }

        public DateTimeOffset? Oldest => Count == 0 ? null : new DateTimeOffset(_ticks[0], TimeSpan.Zero);

        public void Add(DateTimeOffset time, double cumulative, TimeSpan window)
        {
            var now = time.UtcTicks;
            var oldest = 0;
            while (oldest < Count && now - _ticks[oldest] > window.Ticks)
            {
                oldest++;
            }

            RemoveRange(0, oldest);
            if (Count > 0 && _ticks[Count - 1] >= now)
            {
                Count--;
            }

            if (Count == capacity)
            {
                var drop = 1;
                for (var i = 2; i < Count - 1; i++)
                {
                    if (_ticks[i + 1] - _ticks[i - 1] < _ticks[drop + 1] - _ticks[drop - 1])
                    {
                        drop = i;
                    }
                }

                RemoveRange(drop, 1);
            }

            _ticks[Count] = now;
            _values[Count] = cumulative;
            Count++;
        }

        public double? RatePerDay(DateTimeOffset now, TimeSpan window, TimeSpan minimumSpan)
        {
            var first = 0;
            while (first < Count && now.UtcTicks - _ticks[first] > window.Ticks)
            {
                first++;
            }

            var n = Count - first;
            if (n < 2 || _ticks[Count - 1] - _ticks[first] < minimumSpan.Ticks)
            {
                return null;
            }

            double meanX = 0, meanY = 0;
            for (var i = first; i < Count; i++)
            {
                meanX += Days(i, first);
                meanY += _values[i] - _values[first];
            }

            meanX /= n;
            meanY /= n;
            double covariance = 0, variance = 0;
            for (var i = first; i < Count; i++)
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
            Array.Copy(_ticks, index + length, _ticks, index, Count - index - length);
            Array.Copy(_values, index + length, _values, index, Count - index - length);
            Count -= length;
        }
    }
}
