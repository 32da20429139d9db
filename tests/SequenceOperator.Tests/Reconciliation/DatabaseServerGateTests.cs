using Npgsql;
using SequenceOperator.Metrics;
using SequenceOperator.Reconciliation;

namespace SequenceOperator.Tests.Reconciliation;

public sealed class DatabaseServerGateTests
{
    private static readonly DatabaseServer Hung = new("pg-hung.tenants", 5432);
    private static readonly DatabaseServer Healthy = new("pg-ok.tenants", 5432);

    private static PolicyKey Policy(int i) => new($"tenant-{i}", "cityforge");

    [Fact]
    public void OneCheckPerServer_TheOthersWait_AndAreResumedInTheOrderTheyCame()
    {
        var resumed = new List<PolicyKey>();
        var gate = new DatabaseServerGate(resumed.Add);
        var first = gate.TryEnter(Policy(1), Hung);
        Assert.NotNull(first);
        Assert.Null(gate.TryEnter(Policy(2), Hung));
        Assert.Null(gate.TryEnter(Policy(3), Hung));
        Assert.Null(gate.TryEnter(Policy(2), Hung)); // waiting once, not twice
        Assert.Equal(2, gate.Waiting);

        first.Dispose();
        first.Dispose(); // idempotent
        Assert.Equal([Policy(2)], resumed);
        using (var second = gate.TryEnter(Policy(2), Hung))
        {
            Assert.NotNull(second); // reserved for it
            Assert.Null(gate.TryEnter(Policy(4), Hung)); // a newcomer queues behind policy 3
        }

        Assert.Equal([Policy(2), Policy(3)], resumed);
    }

    [Fact]
    public void ABusyServer_DoesNotHoldBackAnotherServer()
    {
        var gate = new DatabaseServerGate(_ => { });
        using var hung = gate.TryEnter(Policy(1), Hung);
        Assert.Null(gate.TryEnter(Policy(2), Hung));
        using var healthy = gate.TryEnter(Policy(3), Healthy);
        Assert.NotNull(healthy);
        Assert.False(gate.WaitIfBusy(Policy(3)));
    }

    [Fact]
    public void APolicyLastCheckedOnABusyServer_WaitsBeforeItsSecretIsRead()
    {
        var resumed = new List<PolicyKey>();
        var gate = new DatabaseServerGate(resumed.Add);
        gate.TryEnter(Policy(2), Hung)!.Dispose(); // checked before, on the hung server
        var holder = gate.TryEnter(Policy(1), Hung)!;
        Assert.True(gate.WaitIfBusy(Policy(2)));
        Assert.False(gate.WaitIfBusy(Policy(9))); // never checked: nothing known, it goes ahead
        holder.Dispose();
        Assert.Equal([Policy(2)], resumed);
        Assert.False(gate.WaitIfBusy(Policy(2))); // its turn
    }

    [Fact]
    public void AnUnusedTurn_PassesToTheNextPolicy()
    {
        var resumed = new List<PolicyKey>();
        var gate = new DatabaseServerGate(resumed.Add);
        var holder = gate.TryEnter(Policy(1), Hung)!;
        Assert.Null(gate.TryEnter(Policy(2), Hung));
        Assert.Null(gate.TryEnter(Policy(3), Hung));
        holder.Dispose();

        gate.Leave(Policy(2)); // its reconcile ended without a check (its Secret was gone, say)
        Assert.Equal([Policy(2), Policy(3)], resumed);
        gate.Leave(Policy(2)); // holds nothing now: no effect
        Assert.Equal(2, resumed.Count);
    }

    [Fact]
    public void APolicyMovedToAnotherServer_GivesUpItsTurnOnTheOldOne()
    {
        var resumed = new List<PolicyKey>();
        var gate = new DatabaseServerGate(resumed.Add);
        var holder = gate.TryEnter(Policy(1), Hung)!;
        Assert.Null(gate.TryEnter(Policy(2), Hung));
        Assert.Null(gate.TryEnter(Policy(3), Hung));
        holder.Dispose(); // reserved for policy 2...

        using var moved = gate.TryEnter(Policy(2), Healthy); // ...whose Secret now names another server
        Assert.NotNull(moved);
        Assert.Equal([Policy(2), Policy(3)], resumed);
    }

    [Fact]
    public void AForgottenPolicy_NeitherHoldsNorWaits()
    {
        var resumed = new List<PolicyKey>();
        var gate = new DatabaseServerGate(resumed.Add);
        _ = gate.TryEnter(Policy(1), Hung)!;
        Assert.Null(gate.TryEnter(Policy(2), Hung));
        Assert.Null(gate.TryEnter(Policy(3), Hung));
        gate.Forget(Policy(2));
        gate.Forget(Policy(1)); // deleted while checking
        Assert.Equal([Policy(3)], resumed);
        Assert.Equal(0, gate.Waiting);
    }

    [Fact]
    public void TheServer_IsHostAndPort_WithTheHostCaseInsensitive()
    {
        Assert.Equal(new DatabaseServer("db.example", 5432), DatabaseServer.Of(new NpgsqlConnectionStringBuilder { Host = "DB.Example", Port = 5432 }));
        Assert.NotEqual(DatabaseServer.Of(new NpgsqlConnectionStringBuilder { Host = "db", Port = 5432 }), DatabaseServer.Of(new NpgsqlConnectionStringBuilder { Host = "db", Port = 5433 }));
        Assert.Equal("db.example:6432", new DatabaseServer("db.example", 6432).ToString());
    }
}
