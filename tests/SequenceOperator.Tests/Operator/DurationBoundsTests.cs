using Npgsql;
using SequenceOperator.Entities;
using SequenceOperator.Kubernetes;
using SequenceOperator.Testing.Operator;
using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Tests.Operator;

/// <summary>Every interval and timeout the CRD accepts works, and nothing beyond what works is accepted.</summary>
[Collection(PostgresCollection.Name)]
public sealed class DurationBoundsTests(PostgresFixture fixture)
{
    private const string Drifted = "CREATE TABLE cards (id serial PRIMARY KEY); INSERT INTO cards (id) VALUES (42);";

    private static SequenceSyncPolicySpec Spec(
        string interval = "5m",
        PolicyMode mode = PolicyMode.Observe,
        string lockTimeout = RepairSpec.DefaultLockTimeout) => new()
    {
        Database = new DatabaseSpec { SecretRef = new SecretReference { Name = "cityforge-db-credentials" } },
        Tables = [new TableSpec { Name = "cards" }],
        Mode = mode,
        Interval = interval,
        Repair = new RepairSpec { LockTimeout = lockTimeout },
    };

    private static string Format(TimeSpan value) => KubernetesDuration.Format(value);

    private static string Reason(V1Alpha1SequenceSyncPolicy p) =>
        p.Status?.GetCondition(SequenceSyncPolicyConditions.Ready)?.Reason ?? string.Empty;

    private static int SecretReads(OperatorEnvironment env, string @namespace) =>
        env.Api.Requests.Count(r => r.Verb == "get" && r.Info.Resource?.Plural == "secrets" && r.Info.Namespace == @namespace);

    [Fact]
    public async Task TheCrd_RejectsAnIntervalOrLockTimeoutAboveWhatWorks_AndAcceptsTheLargestThatDoes()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);

        var interval = await Assert.ThrowsAsync<InvalidException>(() =>
            env.CreatePolicyAsync(
                "worcester",
                "too-long",
                Spec(interval: Format(SequenceSyncPolicySpec.MaximumInterval + TimeSpan.FromSeconds(1)))));
        Assert.Contains("spec.interval", interval.Message, StringComparison.Ordinal);
        Assert.Contains("at most 1176h", interval.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidException>(() => env.CreatePolicyAsync("worcester", "fifty-days", Spec(interval: "1200h")));

        var lockTimeout = await Assert.ThrowsAsync<InvalidException>(() =>
            env.CreatePolicyAsync(
                "worcester",
                "lock",
                Spec(lockTimeout: Format(RepairSpec.MaximumLockTimeout + TimeSpan.FromMilliseconds(1)))));
        Assert.Contains("spec.repair.lockTimeout", lockTimeout.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidException>(() => env.CreatePolicyAsync("worcester", "lock-1000h", Spec(lockTimeout: "1000h")));

        await env.CreatePolicyAsync(
            "worcester",
            "largest",
            Spec(interval: Format(SequenceSyncPolicySpec.MaximumInterval), lockTimeout: Format(RepairSpec.MaximumLockTimeout)));
        await env.CreatePolicyAsync(
            "worcester",
            "smallest",
            Spec(interval: Format(SequenceSyncPolicySpec.MinimumInterval), lockTimeout: "1ms"));
    }

    [Fact]
    public async Task TheLargestInterval_ChecksOnce_ThenWaits()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);
        await env.CreateTenantAsync("worcester", Drifted);
        await env.CreatePolicyAsync("worcester", "cityforge", Spec(interval: Format(SequenceSyncPolicySpec.MaximumInterval)));
        env.Api.ClearRequests(); // from here on, only the operator reads Secrets
        await env.StartOperatorAsync();

        var first = await env.WaitForPolicyAsync("worcester", "cityforge", p => p.Status?.SequencesChecked is not null);
        Assert.True(first.Status!.IsReady, Reason(first));
        await Task.Delay(TimeSpan.FromSeconds(8));

        Assert.Equal(1, SecretReads(env, "worcester"));
        Assert.Equal(first.Status.LastCheckTime, (await env.GetPolicyAsync("worcester", "cityforge")).Status!.LastCheckTime);
    }

    [Fact]
    public async Task TheLargestLockTimeout_Repairs()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);
        var tenant = await env.CreateTenantAsync("worcester", Drifted);
        await env.CreatePolicyAsync(
            "worcester",
            "cityforge",
            Spec(mode: PolicyMode.Repair, lockTimeout: Format(RepairSpec.MaximumLockTimeout)));
        await env.StartOperatorAsync();

        var repaired = await env.WaitForPolicyAsync("worcester", "cityforge", p => p.Status?.SequencesRepaired is not null);
        Assert.True(repaired.Status!.IsReady, repaired.Status.GetCondition(SequenceSyncPolicyConditions.Ready)?.Message);
        Assert.Equal(1, repaired.Status.SequencesRepaired);
        Assert.Equal("42", await PostgresServer.ScalarAsync(tenant.ConnectionString, "SELECT last_value FROM cards_id_seq"));
    }

    [Fact]
    public async Task ALockTimeoutLongerThanTheCommandTimeout_IsWaitedFor()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);
        var tenant = await env.CreateTenantAsync("worcester", Drifted);
        await using var blocker = new NpgsqlConnection(tenant.ConnectionString);
        await blocker.OpenAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        // A writer's lock (as an open transaction that inserted): reads go on, a repair's SHARE ROW EXCLUSIVE lock waits.
        await using (var lockCards = new NpgsqlCommand("LOCK TABLE cards IN ROW EXCLUSIVE MODE", blocker, transaction))
        {
            await lockCards.ExecuteNonQueryAsync();
        }

        // Statements of a check may take 1 s; the repair may wait 1 minute for its lock.
        await env.CreatePolicyAsync("worcester", "cityforge", Spec(mode: PolicyMode.Repair, lockTimeout: "1m"));
        await env.StartOperatorAsync(new Dictionary<string, string?> { ["Operator:CommandTimeout"] = "00:00:01" });

        // Keep the lock three command timeouts longer than the repair has been waiting for it.
        await using var observer = new NpgsqlConnection(tenant.ConnectionString);
        await observer.OpenAsync();
        await WaitForLockWaiterAsync(observer, blocker.ProcessID);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Null((await env.GetPolicyAsync("worcester", "cityforge")).Status?.SequencesChecked);
        await transaction.RollbackAsync();

        var repaired = await env.WaitForPolicyAsync("worcester", "cityforge", p => p.Status?.SequencesChecked is not null);
        Assert.True(repaired.Status!.IsReady, repaired.Status.GetCondition(SequenceSyncPolicyConditions.Ready)?.Message);
        Assert.Equal(1, repaired.Status.SequencesRepaired);
    }

    [Fact]
    public async Task OnAnApiServerIgnoringCelRules_DurationsBeyondWhatWorks_AreInvalidSpec_NotAHotLoop()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server, celRules: false);
        await env.CreateTenantAsync("worcester", Drifted);
        await env.CreateTenantAsync("shrewsbuddy", Drifted);
        await env.CreatePolicyAsync("worcester", "cityforge", Spec(interval: "1200h"));
        await env.CreatePolicyAsync("shrewsbuddy", "cityforge", Spec(mode: PolicyMode.Repair, lockTimeout: "1000h"));
        env.Api.ClearRequests(); // from here on, only the operator reads Secrets
        await env.StartOperatorAsync();

        var interval = await env.WaitForPolicyAsync("worcester", "cityforge", p => Reason(p) == SequenceSyncPolicyReasons.InvalidSpec);
        Assert.Contains(
            "at most 1176h",
            interval.Status!.GetCondition(SequenceSyncPolicyConditions.Ready)!.Message,
            StringComparison.Ordinal);
        var lockTimeout = await env.WaitForPolicyAsync("shrewsbuddy", "cityforge", p => Reason(p) == SequenceSyncPolicyReasons.InvalidSpec);
        Assert.Contains(
            "at most 1h",
            lockTimeout.Status!.GetCondition(SequenceSyncPolicyConditions.Ready)!.Message,
            StringComparison.Ordinal);

        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.Equal((0, 0), (SecretReads(env, "worcester"), SecretReads(env, "shrewsbuddy"))); // never checked, nothing retried
    }

    private static async Task WaitForLockWaiterAsync(NpgsqlConnection db, int except)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await using var waiting = new NpgsqlCommand(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
                + $"AND pid <> {except} AND application_name = 'sequence-operator'",
                db);
            if ((long)(await waiting.ExecuteScalarAsync())! > 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, "the operator never waited for the lock");
            await Task.Delay(50);
        }
    }
}
