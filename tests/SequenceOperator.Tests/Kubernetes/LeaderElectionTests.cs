using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.LeaderElection;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Testing.Kubernetes;

namespace SequenceOperator.Tests.Kubernetes;

public sealed class LeaderElectionTests
{
    // Renew deadlines are generous where losing the lease under a loaded machine would break the test's premise.
    private static LeaderElectionOptions Options(
        string identity,
        TimeSpan? lease = null,
        bool release = true,
        TimeSpan? renew = null) => new()
    {
        LeaseName = "sequence-operator",
        LeaseNamespace = "ops",
        Identity = identity,
        LeaseDuration = lease ?? TimeSpan.FromSeconds(3),
        RenewDeadline = renew ?? TimeSpan.FromSeconds(2.5),
        RetryPeriod = TimeSpan.FromMilliseconds(150),
        ReleaseOnCancel = release,
    };

    private static JsonObject? Lease(KubernetesTestServer env) => env.Server.Store.Get(
        ApiResourceDefinition.Leases,
        "ops",
        "sequence-operator");

    /// <summary>A candidate whose work runs until its token is cancelled, recording what happened.</summary>
    private sealed class Candidate(KubernetesTestServer env, LeaderElectionOptions options)
    {
        private readonly CancellationTokenSource _stop = new();

        public LeaderElector Elector { get; } = new(env.Client, options);

        public ConcurrentQueue<string> Log { get; } = new();

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource WorkCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task? Run { get; private set; }

        public Candidate Start()
        {
            Run = Elector.RunAsync(
                async token =>
                {
                    Log.Enqueue("started");
                    Started.TrySetResult();
                    try
                    {
                        await Task.Delay(Timeout.Infinite, token);
                    }
                    finally
                    {
                        WorkCancelled.TrySetResult();
                    }
                },
                () => Log.Enqueue("stopped"),
                _stop.Token);
            return this;
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await Run!.WaitAsync(Eventually.Limit);
        }
    }

    [Fact]
    public async Task TwoElectors_ExactlyOneLeads()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var a = new Candidate(env, Options("a", TimeSpan.FromSeconds(20), renew: TimeSpan.FromSeconds(15))).Start();
        var b = new Candidate(env, Options("b", TimeSpan.FromSeconds(20), renew: TimeSpan.FromSeconds(15))).Start();

        await Task.WhenAny(a.Started.Task, b.Started.Task).WaitAsync(Eventually.Limit);

        // Several lease durations later, still exactly one has ever led.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.True(a.Started.Task.IsCompleted ^ b.Started.Task.IsCompleted);
        var leader = a.Started.Task.IsCompleted ? a : b;
        Assert.True(leader.Elector.IsLeader);
        Assert.False((leader == a ? b : a).Elector.IsLeader);
        Assert.Equal(leader.Elector.Identity, Lease(env)!["spec"]!["holderIdentity"]!.GetValue<string>());

        await a.StopAsync();
        await b.StopAsync();
    }

    [Fact]
    public async Task Leader_StopsRenewing_TheOtherTakesOverAfterTheLeaseExpires()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var a = new Candidate(env, Options("a", release: false)).Start();
        await a.Started.Task.WaitAsync(Eventually.Limit);
        var b = new Candidate(env, Options("b")).Start();
        await Task.Delay(TimeSpan.FromSeconds(0.5));
        Assert.False(b.Started.Task.IsCompleted);

        // "a" dies without releasing: "b" must wait for the lease to expire, then lead.
        await a.StopAsync();
        Assert.Equal(["started", "stopped"], a.Log);
        Assert.Equal("a", Lease(env)!["spec"]!["holderIdentity"]!.GetValue<string>());
        await b.Started.Task.WaitAsync(Eventually.Limit);
        var spec = Lease(env)!["spec"]!;
        Assert.Equal("b", spec["holderIdentity"]!.GetValue<string>());
        Assert.Equal(1, spec["leaseTransitions"]!.GetValue<int>());

        await b.StopAsync();
    }

    [Fact]
    public async Task Leader_ReleasesOnShutdown_SoTheOtherTakesOverWithoutWaitingForExpiry()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var longLease = TimeSpan.FromSeconds(60);
        var a = new Candidate(env, Options("a", longLease, renew: TimeSpan.FromSeconds(30))).Start();
        await a.Started.Task.WaitAsync(Eventually.Limit);
        var b = new Candidate(env, Options("b", longLease, renew: TimeSpan.FromSeconds(30))).Start();

        await a.StopAsync();
        var released = Lease(env)!["spec"]!;
        Assert.True(released["holderIdentity"] is null || released["holderIdentity"]!.GetValue<string>() != "a");

        // Well within the 60 s lease: only the release lets "b" in.
        await b.Started.Task.WaitAsync(Eventually.Limit);
        Assert.Equal("b", Lease(env)!["spec"]!["holderIdentity"]!.GetValue<string>());
        await b.StopAsync();
    }

    [Fact]
    public async Task Leader_LeaseTakenByAnother_StopsItsWorkPromptly()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var a = new Candidate(env, Options("a", TimeSpan.FromSeconds(60), renew: TimeSpan.FromSeconds(30))).Start();
        await a.Started.Task.WaitAsync(Eventually.Limit);

        var lease = Lease(env)!;
        lease["spec"]!["holderIdentity"] = "intruder";
        lease["spec"]!["renewTime"] = MicroTimeJsonConverter.ToMicroTime(DateTimeOffset.UtcNow);
        env.Server.Store.Put(ApiResourceDefinition.Leases, lease);

        await a.WorkCancelled.Task.WaitAsync(Eventually.Limit);
        await a.Run!.WaitAsync(Eventually.Limit);
        Assert.False(a.Elector.IsLeader);
        Assert.Equal(["started", "stopped"], a.Log);
        Assert.Equal("intruder", Lease(env)!["spec"]!["holderIdentity"]!.GetValue<string>());
    }

    [Fact]
    public async Task Leader_CannotRenewBeforeTheDeadline_StopsLeading()
    {
        await using var env = await KubernetesTestServer.StartAsync(clientOptions: KubernetesTestServer.FastOptions());
        var changes = new ConcurrentQueue<bool>();
        var a = new Candidate(env, Options("a", TimeSpan.FromSeconds(60), renew: TimeSpan.FromSeconds(1)));
        a.Elector.LeadershipChanged += (_, leading) => changes.Enqueue(leading);
        a.Start();
        await a.Started.Task.WaitAsync(Eventually.Limit);

        env.Server.Faults.Add(FaultRule.Error(null, 500, times: null, plural: "leases"));
        await a.WorkCancelled.Task.WaitAsync(Eventually.Limit);
        await a.Run!.WaitAsync(Eventually.Limit);
        Assert.Equal([true, false], changes);
        Assert.Equal(["started", "stopped"], a.Log);
    }
}
