using SequenceOperator.Reconciliation;
using SequenceOperator.Reconciliation.Insights;
using SequenceOperator.Tests.Kubernetes;

namespace SequenceOperator.Tests.Reconciliation.Insights;

public sealed class InsightStoreTests
{
    private static readonly PolicyKey Policy = new("worcester", "cityforge");
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    private readonly ManualTimeProvider _clock = new(Start);
    private readonly InsightStore _store;

    public InsightStoreTests() => _store = new InsightStore();

    [Fact]
    public void FirstSample_ProducesNoExplicitIdRows_AndStartsCounting()
    {
        var cards = new SimulatedColumn();
        cards.Insert(1000);
        cards.InsertExplicit(500, highestId: 400); // rows from before the operator knew the table: not measurable

        var first = Check(cards);

        Assert.Equal(0, first.History.ExplicitIdRows);
        Assert.Null(first.History.LastExplicitIdRowsTime);
        Assert.Equal(Start, first.History.CountingSince);
        Assert.Null(first.Forecast.ConsumptionPerDay);
    }

    [Fact]
    public void ExplicitIdInserts_BetweenTwoChecks_AreCounted_AndInsertsThroughTheSequenceAreNot()
    {
        var cards = new SimulatedColumn();
        cards.Insert(1000);
        Check(cards);

        _clock.Advance(Interval);
        cards.Insert(250);
        Assert.Equal(0, Check(cards).History.ExplicitIdRows);

        _clock.Advance(Interval);
        cards.Insert(100);
        cards.InsertExplicit(40, highestId: cards.NextValue + 39); // an import that keeps its ids
        var imported = Check(cards);
        Assert.Equal(40, imported.History.ExplicitIdRows);
        Assert.Equal(_clock.GetUtcNow(), imported.History.LastExplicitIdRowsTime);

        _clock.Advance(Interval);
        cards.Insert(70);
        var later = Check(cards);
        Assert.Equal(40, later.History.ExplicitIdRows);
        Assert.Equal(imported.History.LastExplicitIdRowsTime, later.History.LastExplicitIdRowsTime);
    }

    [Fact]
    public void ExplicitIdRows_StatisticsThatLagTheSequence_AreNotMistakenForExplicitIds()
    {
        // A backend reports its inserts when its transaction ends: the check can see the sequence ahead of n_tup_ins.
        var cards = new SimulatedColumn();
        cards.Insert(1000);
        Check(cards);

        _clock.Advance(Interval);
        cards.Insert(300);
        Observe(cards.Check() with { RowsInserted = cards.RowsInserted - 120 });

        _clock.Advance(Interval);
        cards.Insert(300);
        Assert.Equal(0, Check(cards).History.ExplicitIdRows);
    }

    [Fact]
    public void ExplicitIdRows_ALongTransactionsRowsReportedAtCommit_AreNotExplicitIds()
    {
        var cards = new SimulatedColumn();
        cards.Insert(1000);
        Check(cards);
        var reported = cards.RowsInserted;
        for (var i = 0; i < 4; i++) // a batch job takes ids for 20 minutes; its rows count when it commits
        {
            _clock.Advance(Interval);
            cards.Insert(1000);
            Observe(cards.Check() with { RowsInserted = reported });
        }

        _clock.Advance(Interval);
        Assert.Equal(0, Check(cards).History.ExplicitIdRows);
    }

    [Fact]
    public void ExplicitIdRows_AfterAHandMadeSetvalForward_CountAgainOnceTheShortfallIsForgiven()
    {
        var cards = new SimulatedColumn();
        cards.Insert(1000);
        Check(cards);

        _clock.Advance(Interval);
        cards.NextValue += 10_000; // setval by hand: values handed out without rows
        Check(cards);

        _clock.Advance(TimeSpan.FromMinutes(30));
        cards.InsertExplicit(50, highestId: 900);
        Assert.Equal(0, Check(cards).History.ExplicitIdRows); // within the allowance: taken as rows still to come

        _clock.Advance(TimeSpan.FromHours(1));
        cards.InsertExplicit(30, highestId: 900);
        Assert.Equal(30, Check(cards).History.ExplicitIdRows);
    }

    [Fact]
    public void Repair_BetweenChecks_IsNotConsumption_NorHandedOutValues()
    {
        var cards = new SimulatedColumn();
        for (var i = 0; i < 12; i++)
        {
            cards.Insert(1000);
            Check(cards, repair: true);
            _clock.Advance(Interval);
        }

        cards.Insert(1000);
        cards.InsertExplicit(500, highestId: cards.NextValue + 5_000_000); // the repair will jump 5 M values
        var repaired = Check(cards, repair: true);
        Assert.Equal(_clock.GetUtcNow(), repaired.History.LastRepairTime);
        Assert.Equal(500, repaired.History.ExplicitIdRows);

        for (var i = 0; i < 12; i++)
        {
            _clock.Advance(Interval);
            cards.Insert(1000);
            repaired = Check(cards, repair: true);
        }

        Assert.Equal(500, repaired.History.ExplicitIdRows);
        Assert.Equal(1, repaired.History.DriftCount);
        Assert.InRange(repaired.Forecast.ConsumptionPerDay!.Value, 288_000 * 0.99, 288_000 * 1.01); // 1000 every 5 minutes
    }

    [Fact]
    public void StatsReset_AndASequenceMovedBackwards_GiveNoNegativeOrHugeNumbers()
    {
        var cards = new SimulatedColumn();
        cards.Insert(1_000_000);
        Check(cards);

        _clock.Advance(Interval);
        cards.Insert(200);
        cards.RowsInserted = 50; // pg_stat_reset(): n_tup_ins starts again from 0
        var afterReset = Check(cards);

        _clock.Advance(Interval);
        cards.Insert(200);
        var next = Check(cards);

        _clock.Advance(Interval);
        cards.Insert(200);
        cards.RowsInserted += 2_000_000; // reset, then a busy spell that already passed the old count
        cards.StatsReset = _clock.GetUtcNow();
        var afterSecondReset = Check(cards);

        _clock.Advance(Interval);
        cards.NextValue = 1; // ALTER SEQUENCE ... RESTART
        cards.Insert(10);
        var restarted = Check(cards);

        foreach (var insight in new[] { afterReset, next, afterSecondReset, restarted })
        {
            Assert.Equal(0, insight.History.ExplicitIdRows);
            Assert.True(insight.Forecast.ConsumptionPerDay is null or (>= 0 and < 1_000_000), $"rate {insight.Forecast.ConsumptionPerDay}");
        }

        Assert.Null(restarted.Forecast.ConsumptionPerDay); // the history before the restart no longer says anything
    }

    [Fact]
    public void SequenceReplaced_RestartsTheBaselines_AndKeepsTheColumnsHistory()
    {
        var cards = new SimulatedColumn();
        cards.Insert(100);
        cards.InsertExplicit(5, highestId: 300);
        Check(cards);

        _clock.Advance(Interval);
        cards.SequenceOid = 16_999; // dropped and created again: starts at 1
        cards.NextValue = 301;
        cards.Insert(10);
        var replaced = Check(cards);

        Assert.Equal(0, replaced.History.ExplicitIdRows);
        Assert.Equal(1, replaced.History.DriftCount);
        Assert.False(replaced.History.Behind);
    }

    [Fact]
    public void DriftTwiceWithinTheWindow_YieldsExactlyOneRecurrence_AndCountsBothDrifts()
    {
        var cards = new SimulatedColumn();
        var recurrences = new List<DriftRecurrence>();
        SequenceInsight Next(TimeSpan after)
        {
            _clock.Advance(after);
            var insight = Check(cards);
            if (insight.Recurrence is { } r)
            {
                recurrences.Add(r);
            }

            return insight;
        }

        cards.Insert(100);
        Assert.Equal(0, Next(TimeSpan.Zero).History.DriftCount);

        cards.InsertExplicit(10, highestId: 500);
        var first = Next(Interval);
        Assert.Equal(1, first.History.DriftCount);
        Assert.Equal(_clock.GetUtcNow(), first.History.LastDriftTime);
        Assert.True(first.History.Behind);

        Assert.Equal(1, Next(Interval).History.DriftCount); // still behind: the same drift

        cards.NextValue = 501; // somebody fixed it by hand
        var fixedAt = _clock.GetUtcNow() + Interval;
        Assert.Equal(fixedAt, Next(Interval).History.LastDriftEndTime);
        Assert.Empty(recurrences);

        cards.InsertExplicit(10, highestId: 1000);
        var second = Next(TimeSpan.FromHours(2));
        Assert.Equal(2, second.History.DriftCount);
        var recurrence = Assert.Single(recurrences);
        Assert.Same(second.Recurrence, recurrence);
        Assert.Equal(fixedAt, recurrence.PreviousDriftEndedAt);
        Assert.Equal(2, recurrence.DriftCount);
        Assert.Equal(2, recurrence.DriftsInWindow);
        Assert.Equal(20, recurrence.ExplicitIdRows);
        Assert.Equal(Start, recurrence.CountingSince);
        Assert.Equal("DriftRecurring", DriftRecurrence.Reason);

        Assert.Equal(2, Next(Interval).History.DriftCount);
        Assert.Equal(2, Next(Interval).History.DriftCount);
        Assert.Single(recurrences);
    }

    [Fact]
    public void RepairMode_EachDriftAfterARepairIsATransition_RecurringOnlyWithinTheWindow()
    {
        var cards = new SimulatedColumn();
        cards.Insert(100);
        Check(cards, repair: true);

        DriftRecurrence? Import(TimeSpan after, out SequenceInsight insight)
        {
            _clock.Advance(after);
            cards.InsertExplicit(10, highestId: cards.NextValue + 100);
            insight = Check(cards, repair: true);
            return insight.Recurrence;
        }

        Assert.Null(Import(Interval, out var first));
        Assert.Equal(1, first.History.DriftCount);
        Assert.False(first.History.Behind);
        Assert.Equal(first.History.LastRepairTime, first.History.LastDriftEndTime);

        Assert.NotNull(Import(TimeSpan.FromHours(3), out var second));
        Assert.Equal(2, second.History.DriftCount);

        Assert.Null(Import(TimeSpan.FromHours(30), out var third)); // over 24 h after the last repair
        Assert.Equal(3, third.History.DriftCount);
    }

    [Fact]
    public void RecurrenceWindow_IsThePolicys()
    {
        var cards = new SimulatedColumn();
        cards.InsertExplicit(10, highestId: 500);
        Assert.Equal(1, Observe(cards.Check(repair: true), TimeSpan.FromHours(1)).History.DriftCount); // the first sample counts

        _clock.Advance(TimeSpan.FromHours(3));
        cards.InsertExplicit(10, highestId: 1000);
        var again = Observe(cards.Check(repair: true), TimeSpan.FromHours(1));

        Assert.Equal(2, again.History.DriftCount);
        Assert.Null(again.Recurrence);
    }

    [Fact]
    public void SteadilyConsumedInt4Sequence_GetsAForecastWithin5PercentOfTheTruth_AfterAFewChecks()
    {
        const double perDay = 1_200_000;
        var orders = new SimulatedColumn("orders", start: 1_500_000_000);
        double[] bursts = [0.6, 1.4, 1.1, 0.9, 1.3, 0.7]; // inserts come in bursts around the steady pace
        var elapsed = TimeSpan.Zero;
        SequenceInsight insight = Check(orders);
        for (var i = 1; i <= 12; i++)
        {
            var step = Interval + TimeSpan.FromSeconds((i % 3 - 1) * 40); // checks are not exactly 5 minutes apart
            _clock.Advance(step);
            elapsed += step;
            var consumed = perDay * (elapsed.TotalDays + TimeSpan.FromMinutes(4).TotalDays * (bursts[i % bursts.Length] - 1));
            orders.Insert((long)consumed - (orders.NextValue - 1_500_000_000));
            insight = Check(orders);
            if (i < 6)
            {
                Assert.Null(insight.Forecast.ExhaustionTime); // under 30 minutes of history: no forecast yet
            }
        }

        var truthDays = (int.MaxValue - orders.NextValue + 1) / perDay;
        var forecastDays = (insight.Forecast.ExhaustionTime!.Value - _clock.GetUtcNow()).TotalDays;
        Assert.InRange(forecastDays, truthDays * 0.95, truthDays * 1.05);
        Assert.InRange(insight.Forecast.ConsumptionPerDay!.Value, perDay * 0.95, perDay * 1.05);
        Assert.Equal(int.MaxValue - orders.NextValue + 1, insight.Forecast.ValuesLeft);
        Assert.Matches(@"^int4 column: runs out around 20\d\d-\d\d-\d\d at about 1\.[12] M ids a day$", insight.Forecast.Describe());
    }

    [Fact]
    public void IdleSequence_HasNoForecast()
    {
        var cards = new SimulatedColumn();
        cards.Insert(100);
        SequenceInsight insight = Check(cards);
        for (var i = 0; i < 24; i++)
        {
            _clock.Advance(Interval);
            insight = Check(cards);
        }

        Assert.Equal(0, insight.Forecast.ConsumptionPerDay);
        Assert.Null(insight.Forecast.ExhaustionTime);
        Assert.Equal("int4 column: no ids handed out recently, no exhaustion forecast", insight.Forecast.Describe());
    }

    [Fact]
    public void DescendingSequence_RunsOutAtItsMinimum()
    {
        var ledger = new SimulatedColumn("ledger", start: -1, increment: -1, limit: int.MinValue);
        SequenceInsight insight = Check(ledger);
        for (var i = 0; i < 12; i++)
        {
            _clock.Advance(TimeSpan.FromHours(1));
            ledger.Insert(10_000);
            insight = Check(ledger);
        }

        var valuesLeft = ledger.NextValue - (long)int.MinValue + 1;
        Assert.Equal(valuesLeft, insight.Forecast.ValuesLeft);
        Assert.InRange(insight.Forecast.ConsumptionPerDay!.Value, 239_999, 240_001);
        var days = (insight.Forecast.ExhaustionTime!.Value - _clock.GetUtcNow()).TotalDays;
        Assert.InRange(days, valuesLeft / 240_000.0 * 0.999, valuesLeft / 240_000.0 * 1.001);
    }

    [Fact]
    public void ExhaustedSequence_RunsOutNow_AndABigintOne_NotWithinTheHorizon()
    {
        var small = new SimulatedColumn("flags", start: 32_760, limit: short.MaxValue, columnType: "int2");
        small.Insert(8);
        var exhausted = Check(small);
        Assert.Equal(0, exhausted.Forecast.ValuesLeft);
        Assert.Equal(_clock.GetUtcNow(), exhausted.Forecast.ExhaustionTime);
        Assert.Equal("int2 column: no ids left, the sequence has reached its limit", exhausted.Forecast.Describe());

        var events = new SimulatedColumn("events", start: 1, limit: long.MaxValue, columnType: "int8");
        SequenceInsight insight = Check(events);
        for (var i = 0; i < 12; i++)
        {
            _clock.Advance(Interval);
            events.Insert(1_200_000 / 288);
            insight = Observe(events.Check());
        }

        Assert.NotNull(insight.Forecast.ConsumptionPerDay);
        Assert.Null(insight.Forecast.ExhaustionTime);
        Assert.Equal("int8 column: about 1.2 M ids a day, does not run out within 100 years", insight.Forecast.Describe());
    }

    [Fact]
    public void ConsumptionRate_FollowsAChangeOfPace_WithinTheSmoothingWindow()
    {
        var cards = new SimulatedColumn();
        SequenceInsight insight = Check(cards);
        for (var i = 0; i < 4 * 288; i++)
        {
            _clock.Advance(Interval);
            cards.Insert(i < 2 * 288 ? 1000 : 2000); // two days at 288,000 a day, then two at 576,000
            insight = Check(cards);
            if (i == 2 * 288 - 1)
            {
                Assert.InRange(insight.Forecast.ConsumptionPerDay!.Value, 287_000, 289_000);
            }
        }

        Assert.InRange(insight.Forecast.ConsumptionPerDay!.Value, 574_000, 578_000);
    }

    [Fact]
    public void ConsumptionHistory_KeepsAtMostItsCapacity_SpreadOverTheWindow()
    {
        var history = new ConsumptionHistory(24);
        var window = TimeSpan.FromHours(24);
        var time = Start;
        for (var i = 0; i < 2000; i++)
        {
            time += TimeSpan.FromMinutes(1);
            history.Add(time, i * 10.0, window);
        }

        Assert.Equal(24, history.Count);
        Assert.InRange(time - history.Oldest!.Value, TimeSpan.FromHours(22), window);
        Assert.Equal(14_400, history.RatePerDay(time, window, TimeSpan.FromMinutes(30))!.Value, 6);
    }

    [Fact]
    public void SequenceReplaced_TheRateStartsAgain_FromTheNewSequencesConsumptionOnly()
    {
        var cards = new SimulatedColumn();
        for (var i = 0; i <= 24; i++) // two hours at 288,000 a day
        {
            cards.Insert(1000);
            Check(cards);
            _clock.Advance(Interval);
        }

        cards.SequenceOid = 16_999; // dropped and created again, further on: its first values are no consumption
        cards.NextValue += 5_000_000;
        Assert.Null(Check(cards).Forecast.ConsumptionPerDay);

        SequenceInsight insight = null!;
        for (var i = 0; i < 12; i++)
        {
            _clock.Advance(Interval);
            cards.Insert(3000);
            insight = Check(cards);
        }

        Assert.InRange(insight.Forecast.ConsumptionPerDay!.Value, 864_000 * 0.999, 864_000 * 1.001); // 3000 every 5 minutes
        Assert.Equal(0, insight.History.ExplicitIdRows);
    }

    [Fact]
    public void DriftsInWindow_CountsTheRecentDriftsWithinTheWindow_AtMostMaxRecentDrifts()
    {
        var store = new InsightStore(new InsightOptions { MaxRecentDrifts = 3 });
        var cards = new SimulatedColumn();
        cards.Insert(100);
        int? Drift(TimeSpan after) // an import past the sequence, repaired by the check: the recurrence's drifts in window
        {
            _clock.Advance(after);
            cards.InsertExplicit(10, highestId: cards.NextValue + 100);
            var insight = store.Observe(Policy, [cards.Check(repair: true)], _clock.GetUtcNow()).Sequences.Single();
            return insight.Recurrence?.DriftsInWindow;
        }

        Assert.Null(Drift(TimeSpan.Zero)); // the first: no drift ended before it
        Assert.Equal(2, Drift(TimeSpan.FromHours(2)));
        Assert.Equal(3, Drift(TimeSpan.FromHours(2)));
        Assert.Equal(3, Drift(TimeSpan.FromHours(2))); // four within the window, the last three kept
        Assert.Null(Drift(TimeSpan.FromHours(25))); // over 24 h after the previous one ended
        Assert.Equal(2, Drift(TimeSpan.FromHours(2))); // this one and the one before: the others are over a day old
    }

    [Fact]
    public void UnsampledColumn_ReportsItsLastInsight_AsAtItsLastSample()
    {
        SimulatedColumn a = new("a"), b = new("b");
        SequenceInsight last = null!;
        for (var i = 0; i < 12; i++)
        {
            a.Insert(1000);
            b.Insert(10);
            if (i == 6)
            {
                a.InsertExplicit(5, highestId: a.NextValue + 10); // a drift, over by the next check
            }

            last = _store.Observe(Policy, [a.Check(), b.Check()], _clock.GetUtcNow()).Sequences[0];
            _clock.Advance(Interval);
        }

        Assert.Equal(1, last.History.DriftCount);
        Assert.NotNull(last.History.LastDriftEndTime);
        Assert.NotNull(last.Forecast.ExhaustionTime);
        for (var i = 0; i < 36; i++) // three hours of checks that do not read a (in error, say)
        {
            _clock.Advance(Interval);
            b.Insert(10);
            var report = _store.Observe(Policy, [b.Check()], _clock.GetUtcNow());
            Assert.Equal(last, report.Sequences[1]);
        }
    }

    [Fact]
    public void ForgetAfter_CountsFromTheLastSample_AlsoOneThatRestartedTheBaselines()
    {
        var store = new InsightStore(new InsightOptions { ForgetAfter = TimeSpan.FromHours(1) });
        SimulatedColumn a = new("a"), b = new("b");
        store.Observe(Policy, [a.Check(), b.Check()], _clock.GetUtcNow());

        _clock.Advance(TimeSpan.FromMinutes(30));
        a.SequenceOid = 16_999; // replaced: its rate history starts again
        store.Observe(Policy, [a.Check(), b.Check()], _clock.GetUtcNow());

        _clock.Advance(TimeSpan.FromMinutes(50));
        var report = store.Observe(Policy, [b.Check()], _clock.GetUtcNow());
        Assert.Equal([b.Column, a.Column], report.Sequences.Select(s => s.Column)); // 50 minutes since a's last sample
        Assert.Equal(Start, report.Sequences[1].History.CountingSince);

        _clock.Advance(TimeSpan.FromMinutes(20));
        report = store.Observe(Policy, [b.Check()], _clock.GetUtcNow());
        Assert.Equal([b.Column], report.Sequences.Select(s => s.Column));
        Assert.Equal(1, store.TrackedCount(Policy));
    }

    [Fact]
    public void Restore_KeepsTheTotalsOfTheStatus_ForAColumnSeenForTheFirstTime()
    {
        var cards = new SimulatedColumn();
        cards.Insert(100);
        cards.InsertExplicit(10, highestId: 900);
        var restored = new DriftHistory
        {
            DriftCount = 3,
            ExplicitIdRows = 25,
            Behind = true,
            CountingSince = Start.AddDays(-30),
            LastDriftTime = Start.AddMinutes(-5),
        };
        var calls = 0;
        DriftHistory? Restore(FedColumn column)
        {
            calls++;
            return column == cards.Column ? restored : null;
        }

        var first = _store.Observe(Policy, [cards.Check()], _clock.GetUtcNow(), restore: Restore).Sequences.Single();
        _clock.Advance(Interval);
        var second = _store.Observe(Policy, [cards.Check()], _clock.GetUtcNow(), restore: Restore).Sequences.Single();

        Assert.Equal(1, calls);
        Assert.Equal(3, first.History.DriftCount); // still behind: the drift the status counted already
        Assert.Equal(25, second.History.ExplicitIdRows);
        Assert.Equal(Start.AddDays(-30), second.History.CountingSince);
    }

    [Fact]
    public void Caps_LimitTheColumnsPerPolicy_AndForgetColumnsNoLongerSeen()
    {
        var capped = new InsightStore(new InsightOptions { MaxSequencesPerPolicy = 2, ForgetAfter = TimeSpan.FromHours(1) });
        SimulatedColumn a = new("a"), b = new("b"), c = new("c");

        var report = capped.Observe(Policy, [a.Check(), b.Check(), c.Check()], _clock.GetUtcNow());
        Assert.Equal([a.Column, b.Column], report.Sequences.Select(s => s.Column));
        Assert.Equal(1, report.Untracked);

        _clock.Advance(TimeSpan.FromMinutes(30));
        report = capped.Observe(Policy, [b.Check()], _clock.GetUtcNow());
        Assert.Equal([b.Column, a.Column], report.Sequences.Select(s => s.Column)); // a: its last answer
        Assert.Null(report.Sequences[1].Recurrence);

        _clock.Advance(TimeSpan.FromMinutes(45));
        report = capped.Observe(Policy, [b.Check(), c.Check()], _clock.GetUtcNow());
        Assert.Equal([b.Column, c.Column], report.Sequences.Select(s => s.Column)); // a was forgotten, c fits now
        Assert.Equal(0, report.Untracked);
        Assert.Equal(2, capped.TrackedCount(Policy));
    }

    [Fact]
    public void RemovePolicy_ForgetsItsHistory()
    {
        var cards = new SimulatedColumn();
        cards.InsertExplicit(10, highestId: 500);
        Check(cards);

        _store.RemovePolicy(Policy);

        Assert.Equal(0, _store.TrackedCount(Policy));
        _clock.Advance(Interval);
        cards.NextValue = 501;
        Assert.Equal(0, Check(cards).History.DriftCount);
    }

    [Fact]
    public void Sample_WithIncrementZero_IsRefused()
    {
        var sample = new SimulatedColumn().Check() with { Increment = 0 };

        Assert.Throws<ArgumentException>(() => _store.Observe(Policy, [sample], _clock.GetUtcNow()));
    }

    [Fact]
    public void Sample_RefusedForANewColumn_LeavesNoTracker()
    {
        var store = new InsightStore(new InsightOptions { ForgetAfter = TimeSpan.MaxValue });
        SimulatedColumn a = new("a"), b = new("b");

        Assert.Throws<ArgumentException>(() => store.Observe(Policy, [a.Check() with { Increment = 0 }], _clock.GetUtcNow()));
        Assert.Equal(0, store.TrackedCount(Policy));
        var report = store.Observe(Policy, [b.Check()], _clock.GetUtcNow());
        Assert.Equal([b.Column], report.Sequences.Select(s => s.Column));
    }

    [Fact]
    public void Sample_TheSameColumnTwiceInOneCheck_IsRefused()
    {
        var cards = new SimulatedColumn();

        Assert.Throws<ArgumentException>(() => _store.Observe(Policy, [cards.Check(), cards.Check()], _clock.GetUtcNow()));
    }

    [Fact]
    public void Report_ListsTheSampledColumnsInTheirOrder_ThenTheOthers()
    {
        SimulatedColumn a = new("a"), b = new("b"), c = new("c");
        _store.Observe(Policy, [a.Check(), b.Check(), c.Check()], _clock.GetUtcNow());

        _clock.Advance(Interval);
        var report = _store.Observe(Policy, [c.Check(), a.Check()], _clock.GetUtcNow());

        Assert.Equal([c.Column, a.Column, b.Column], report.Sequences.Select(s => s.Column));
        Assert.Equal(Start, report.Sequences[2].History.CountingSince);
    }

    [Fact]
    public void Options_OutOfRange_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new InsightStore(new InsightOptions { MaxRatePoints = 2 }));
        Assert.Throws<ArgumentOutOfRangeException>(
            () => new InsightStore(new InsightOptions { MinimumRateSpan = TimeSpan.FromDays(2) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InsightStore(new InsightOptions { ForecastHorizon = TimeSpan.Zero }));
    }

    private SequenceInsight Check(SimulatedColumn column, bool repair = false) => Observe(column.Check(repair));

    private SequenceInsight Observe(SequenceSample sample, TimeSpan? window = null) =>
        _store.Observe(Policy, [sample], _clock.GetUtcNow(), window).Sequences.Single(s => s.Column == sample.Column);
}
