using Npgsql;
using SequenceOperator.Reconciliation;

namespace SequenceOperator.Tests.Reconciliation;

public sealed class DatabaseServerGateTests
{
    private static readonly DatabaseServer Hung = new("pg-hung.tenants", 5432);
    private static readonly DatabaseServer Healthy = new("pg-ok.tenants", 5432);
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>A work item as the controller starts one: it holds a worker first.</summary>
    private static async Task<WorkerPermit> WorkerAsync(SemaphoreSlim workers)
    {
        await workers.WaitAsync();
        return new WorkerPermit(workers);
    }

    [Fact]
    public async Task OneCheckPerServer_TheOthersWaitWithoutAWorker_AndGoInTheOrderTheyCame()
    {
        using var workers = new SemaphoreSlim(4, 4);
        var gate = new DatabaseServerGate();
        using var first = await gate.EnterAsync(Hung, await WorkerAsync(workers), CancellationToken.None);
        var second = gate.EnterAsync(Hung, await WorkerAsync(workers), CancellationToken.None).AsTask();
        var third = gate.EnterAsync(Hung, await WorkerAsync(workers), CancellationToken.None).AsTask();

        Assert.False(second.IsCompleted);
        Assert.Equal(2, gate.Waiting);
        Assert.Equal(3, workers.CurrentCount); // only the check in flight holds a worker

        first.Dispose();
        first.Dispose(); // once only
        using (await second.WaitAsync(Limit))
        {
            Assert.False(third.IsCompleted);
            Assert.Equal(2, workers.CurrentCount);
        }

        (await third.WaitAsync(Limit)).Dispose();
        Assert.Equal(0, gate.Waiting);
    }

    [Fact]
    public async Task ABusyServer_DoesNotHoldBackAnotherServer()
    {
        using var workers = new SemaphoreSlim(4, 4);
        var gate = new DatabaseServerGate();
        using var hung = await gate.EnterAsync(Hung, await WorkerAsync(workers), CancellationToken.None);
        var waiting = gate.EnterAsync(Hung, await WorkerAsync(workers), CancellationToken.None).AsTask();
        var healthy = gate.EnterAsync(Healthy, await WorkerAsync(workers), CancellationToken.None);
        Assert.True(healthy.IsCompletedSuccessfully); // no wait at all
        (await healthy).Dispose();
        Assert.False(waiting.IsCompleted);
    }

    [Fact]
    public async Task AWaiterThatIsCancelled_GivesUpItsPlace()
    {
        using var workers = new SemaphoreSlim(4, 4);
        using var stop = new CancellationTokenSource();
        var gate = new DatabaseServerGate();
        var first = await gate.EnterAsync(Hung, await WorkerAsync(workers), CancellationToken.None);
        var cancelled = gate.EnterAsync(Hung, await WorkerAsync(workers), stop.Token).AsTask();
        var next = gate.EnterAsync(Hung, await WorkerAsync(workers), CancellationToken.None).AsTask();

        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Limit));
        first.Dispose();
        (await next.WaitAsync(Limit)).Dispose();
        Assert.Equal(0, gate.Waiting);
    }

    [Fact]
    public async Task ItsTurnCome_AWaiterTakesAWorkerAgain_WaitingForOneIfAllAreBusy()
    {
        using var workers = new SemaphoreSlim(2, 2);
        var gate = new DatabaseServerGate();
        var firstWorker = await WorkerAsync(workers);
        var first = await gate.EnterAsync(Hung, firstWorker, CancellationToken.None);
        var second = gate.EnterAsync(Hung, await WorkerAsync(workers), CancellationToken.None).AsTask(); // lends its worker back
        using var other = await WorkerAsync(workers); // another server's work takes it

        first.Dispose(); // the first check is done, but its work item still writes its status
        await Task.Delay(100);
        Assert.False(second.IsCompleted); // its turn, but no worker free

        firstWorker.Dispose();
        (await second.WaitAsync(Limit)).Dispose();
    }

    [Fact]
    public async Task AServerThatAnswers_RunsUpToItsSlotsAtOnce_ThenTheOthersWait()
    {
        using var workers = new SemaphoreSlim(4, 4);
        var gate = new DatabaseServerGate(slots: 2);
        using var first = await gate.EnterAsync(Healthy, await WorkerAsync(workers), CancellationToken.None);
        var second = gate.EnterAsync(Healthy, await WorkerAsync(workers), CancellationToken.None);
        Assert.True(second.IsCompletedSuccessfully); // a second slot, no wait
        var third = gate.EnterAsync(Healthy, await WorkerAsync(workers), CancellationToken.None).AsTask();
        Assert.False(third.IsCompleted);
        Assert.Equal(1, gate.Waiting);

        (await second).Dispose();
        (await third.WaitAsync(Limit)).Dispose();
        Assert.Equal(0, gate.Waiting);
    }

    [Fact]
    public async Task AServerThatDoesNotAnswer_GetsOneCheckAtATime_UntilACheckReachesItAgain()
    {
        using var workers = new SemaphoreSlim(8, 8);
        var gate = new DatabaseServerGate(slots: 2);
        var first = await gate.EnterAsync(Hung, await WorkerAsync(workers), CancellationToken.None);
        var second = await gate.EnterAsync(Hung, await WorkerAsync(workers), CancellationToken.None);
        var third = gate.EnterAsync(Hung, await WorkerAsync(workers), CancellationToken.None).AsTask();
        var fourth = gate.EnterAsync(Hung, await WorkerAsync(workers), CancellationToken.None).AsTask();

        first.NotAnswering();
        first.Dispose();
        await Task.Delay(100);
        Assert.False(third.IsCompleted); // not answering: one at a time, and the second is still in flight

        second.NotAnswering();
        second.Dispose();
        var thirdTurn = await third.WaitAsync(Limit);
        await Task.Delay(100);
        Assert.False(fourth.IsCompleted); // still one at a time: the third is in flight

        thirdTurn.Dispose(); // this one reached the server: two at a time again
        var fourthTurn = await fourth.WaitAsync(Limit);
        var fifth = gate.EnterAsync(Hung, await WorkerAsync(workers), CancellationToken.None);
        Assert.True(fifth.IsCompletedSuccessfully);
        fourthTurn.Dispose();
        (await fifth).Dispose();
        Assert.Equal(0, gate.Waiting);
    }

    [Fact]
    public void TheServer_IsHostAndPort_WithTheHostCaseInsensitive()
    {
        Assert.Equal(
            new DatabaseServer("db.example", 5432),
            DatabaseServer.Of(new NpgsqlConnectionStringBuilder { Host = "DB.Example", Port = 5432 }));
        Assert.NotEqual(
            DatabaseServer.Of(new NpgsqlConnectionStringBuilder { Host = "db", Port = 5432 }),
            DatabaseServer.Of(new NpgsqlConnectionStringBuilder { Host = "db", Port = 5433 }));
        Assert.Equal("db.example:6432", new DatabaseServer("db.example", 6432).ToString());
    }
}
