using SequenceOperator.Reconciliation;

namespace SequenceOperator.Tests.Reconciliation;

public sealed class WorkQueueTests
{
    private static async Task<string?> TryTakeAsync(WorkQueue<string> queue, int milliseconds = 200)
    {
        using var cts = new CancellationTokenSource(milliseconds);
        try
        {
            return await queue.TakeAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    [Fact]
    public async Task Add_Deduplicates()
    {
        using var queue = new WorkQueue<string>();
        queue.Add("a");
        queue.Add("a");
        queue.Add("b");
        Assert.Equal("a", await TryTakeAsync(queue));
        Assert.Equal("b", await TryTakeAsync(queue));
        Assert.Null(await TryTakeAsync(queue));
    }

    [Fact]
    public async Task KeyAddedWhileProcessing_RunsAgainAfterDone_NeverTwiceAtOnce()
    {
        using var queue = new WorkQueue<string>();
        queue.Add("a");
        var key = await TryTakeAsync(queue);
        queue.Add("a");
        Assert.Null(await TryTakeAsync(queue)); // not handed to a second worker while the first holds it
        queue.Done(key!);
        Assert.Equal("a", await TryTakeAsync(queue));
    }

    [Fact]
    public async Task AddAfter_ReplacesTheEarlierTimer()
    {
        using var queue = new WorkQueue<string>();
        queue.AddAfter("a", TimeSpan.FromMilliseconds(100));
        queue.AddAfter("a", TimeSpan.FromSeconds(30));
        Assert.Null(await TryTakeAsync(queue, 400));
        queue.AddAfter("a", TimeSpan.FromMilliseconds(50));
        Assert.Equal("a", await TryTakeAsync(queue, 2000));
    }

    [Fact]
    public void AddRateLimited_BacksOffExponentiallyWithJitterUpToTheCap()
    {
        using var queue = new WorkQueue<string>(baseDelay: TimeSpan.FromSeconds(1), maxDelay: TimeSpan.FromMinutes(5));
        var delays = Enumerable.Range(0, 12).Select(_ => queue.AddRateLimited("a")).ToList();
        Assert.InRange(delays[0].TotalSeconds, 0.8, 1.2);
        Assert.InRange(delays[1].TotalSeconds, 1.6, 2.4);
        Assert.InRange(delays[3].TotalSeconds, 6.4, 9.6);
        Assert.All(delays, d => Assert.True(d <= TimeSpan.FromMinutes(5)));
        Assert.InRange(delays[^1].TotalSeconds, 240, 300);
        queue.Forget("a");
        Assert.InRange(queue.AddRateLimited("a").TotalSeconds, 0.8, 1.2);
        Assert.InRange(queue.AddRateLimited("b").TotalSeconds, 0.8, 1.2); // per key
    }

    [Fact]
    public void AddAfter_LongerThanATimerCanWait_WaitsAsLongAsItCan_InsteadOfThrowing()
    {
        var clock = new Kubernetes.ManualClock(DateTimeOffset.UtcNow);
        using var queue = new WorkQueue<string>(clock);
        queue.AddAfter("fifty-days", TimeSpan.FromDays(50));
        queue.AddAfter("forever", TimeSpan.MaxValue);
        using (var system = new WorkQueue<string>())
        {
            system.AddAfter("a", TimeSpan.FromDays(50)); // a real timer: past 4294967294 ms it would throw
        }

        clock.Advance(WorkQueue<string>.MaxDelay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, queue.Length);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(2, queue.Length);
    }

    [Fact]
    public void AddRateLimited_NeverWaitsLongerThanTheCap()
    {
        using var queue = new WorkQueue<string>(baseDelay: TimeSpan.FromSeconds(1), maxDelay: TimeSpan.FromMinutes(5));
        var delays = Enumerable.Range(0, 12).Select(_ => queue.AddRateLimited("a", TimeSpan.FromSeconds(10))).ToList();
        Assert.InRange(delays[0].TotalSeconds, 0.8, 1.2);
        Assert.InRange(delays[2].TotalSeconds, 3.2, 4.8);
        Assert.All(delays, d => Assert.True(d <= TimeSpan.FromSeconds(10)));
        Assert.InRange(delays[^1].TotalSeconds, 8, 10);
        Assert.InRange(queue.AddRateLimited("a", TimeSpan.FromHours(1)).TotalSeconds, 240, 300); // a cap above the maximum changes nothing
    }
}
