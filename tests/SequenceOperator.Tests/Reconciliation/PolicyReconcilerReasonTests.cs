using System.Text.Json.Nodes;
using Npgsql;
using SequenceOperator.Entities;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes;
using SequenceOperator.Metrics;
using SequenceOperator.Reconciliation;
using SequenceOperator.Testing;
using SequenceOperator.Tests.Cli;

namespace SequenceOperator.Tests.Reconciliation;

/// <summary>
/// One reconcile per condition reason, against the API-server double and a real PostgreSQL: the Ready condition and
/// its reason, what the controller does next, the Events and the metrics, all telling the same story.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PolicyReconcilerReasonTests(PostgresFixture fixture)
{
    private const string CardsBehind = "CREATE TABLE cards (id serial PRIMARY KEY); INSERT INTO cards (id) VALUES (3);";

    private static Condition Ready(V1Alpha1SequenceSyncPolicy policy) => policy.Status!.GetCondition(SequenceSyncPolicyConditions.Ready)!;

    private static Condition? InSync(V1Alpha1SequenceSyncPolicy policy) => policy.Status!.GetCondition(SequenceSyncPolicyConditions.InSync);

    [Fact]
    public async Task CheckSucceeded_ReadyWithTheCounts_InSyncFalseForTheSequenceBehind()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        await rig.TenantAsync(CardsBehind);
        await rig.CreatePolicyAsync(ReconcilerRig.Spec());

        var (result, policy) = await rig.ReconcileAsync();

        Assert.Equal(new ReconcileResult(ReconcileOutcome.Requeue, TimeSpan.FromMinutes(5)), result);
        var ready = Ready(policy);
        Assert.Equal((ConditionStatus.True, SequenceSyncPolicyReasons.CheckSucceeded), (ready.Status, ready.Reason));
        Assert.Equal("Checked 1 sequence(s): 1 behind, 0 repaired.", ready.Message);
        Assert.Equal((ConditionStatus.False, SequenceSyncPolicyReasons.SequencesBehind), (InSync(policy)!.Status, InSync(policy)!.Reason));
        Assert.Equal((1, 1, 0), (policy.Status!.SequencesChecked, policy.Status.SequencesBehind, policy.Status.SequencesRepaired));
        Assert.Equal(policy.Metadata.Generation, policy.Status.ObservedGeneration);
        Assert.All(policy.Status.Conditions!, c => Assert.Equal(policy.Metadata.Generation, c.ObservedGeneration));
        Assert.Equal(rig.Time.GetUtcNow(), policy.Status.LastCheckTime);
        Assert.All(policy.Status.Conditions!, c => Assert.Equal(rig.Time.GetUtcNow(), c.LastTransitionTime));

        var behind = Assert.Single(rig.Events());
        Assert.Equal((EventReasons.SequenceBehind, "Warning"), (behind.Reason, behind.Type));
        Assert.Contains("public.cards_id_seq of public.cards.id is behind by 3", behind.Note);
        Assert.Equal(1, rig.Metric(MetricNames.PolicyReady));
        Assert.Equal(1, rig.Metric(MetricNames.ChecksTotal, ("result", "success")));
        Assert.Equal(0, rig.Metric(MetricNames.ChecksTotal, ("result", "failure")));
        Assert.Equal(3, rig.Metric(MetricNames.SequenceBehind, ("table", "cards")));
    }

    /// <summary>
    /// A partition named on its own is judged with its parent (its sequence feeds every partition), but its own MAX is
    /// read too. Here only that read fails (the partition's row-level security policy divides by zero; reading through
    /// the parent does not apply it), so the entry is an error of the check while its sequence was measured as behind.
    /// The policy must not be Ready, must not claim InSync, and must agree with the CLI, which exits 2 on it.
    /// </summary>
    [Fact]
    public async Task CheckWithAnErrorEntryOfASequenceBehind_IsTableErrorsAndNotInSync_AsTheCliExitsWithAnError()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        var tenant = await rig.TenantAsync("""
            CREATE TABLE events (id bigserial, region int NOT NULL, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
            CREATE TABLE events_eu PARTITION OF events FOR VALUES IN (1);
            INSERT INTO events (id, region) VALUES (5, 1);
            ALTER TABLE events_eu ENABLE ROW LEVEL SECURITY;
            CREATE POLICY broken ON events_eu USING (id / 0 = 0);
            DO $$ BEGIN CREATE ROLE reason_rls_reader LOGIN PASSWORD 'rls-pw'; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            GRANT SELECT ON events, events_eu, events_id_seq TO reason_rls_reader;
            """, ("reason_rls_reader", "rls-pw"));
        await rig.CreatePolicyAsync(ReconcilerRig.Spec(tables: "events_eu"));

        var (result, policy) = await rig.ReconcileAsync();

        var entry = Assert.Single(policy.Status!.Sequences!);
        Assert.Equal((SequenceEntryStatus.Error, 5L), (entry.Status, entry.BehindBy));
        Assert.Contains("division by zero", entry.Message);
        var ready = Ready(policy);
        Assert.Equal((ConditionStatus.False, SequenceSyncPolicyReasons.TableErrors), (ready.Status, ready.Reason));
        Assert.Contains("public.events_eu.id", ready.Message);
        Assert.Equal(ConditionStatus.False, InSync(policy)!.Status);
        Assert.Equal(ReconcileOutcome.Retry, result.Outcome);
        Assert.Contains(rig.Events(), e => e.Reason == EventReasons.CheckFailed
            && e.Note.StartsWith(SequenceSyncPolicyReasons.TableErrors, StringComparison.Ordinal));
        Assert.Equal(0, rig.Metric(MetricNames.PolicyReady));
        Assert.Equal(1, rig.Metric(MetricNames.ChecksTotal, ("result", "failure")));

        var database = new NpgsqlConnectionStringBuilder(tenant.ConnectionString).Database!;
        var connection = fixture.Server.ConnectionStringFor(database, "reason_rls_reader", "rls-pw");
        var cli = await CliRunner.RunAsync("check", "--connection", connection, "--table", "events_eu");
        Assert.Equal(2, cli.ExitCode);
    }

    [Fact]
    public async Task InvalidSpec_WaitsForAChange_WithoutReadingTheSecret()
    {
        // An API server older than 1.25 ignores the CEL rule that rejects 5s.
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server, celRules: false);
        await rig.TenantAsync(CardsBehind);
        var spec = ReconcilerRig.Spec();
        spec.Interval = "5s";
        await rig.CreatePolicyAsync(spec);
        rig.Env.Api.ClearRequests();

        var (result, policy) = await rig.ReconcileAsync();

        Assert.Equal(ReconcileOutcome.Wait, result.Outcome);
        var ready = Ready(policy);
        Assert.Equal((ConditionStatus.False, SequenceSyncPolicyReasons.InvalidSpec), (ready.Status, ready.Reason));
        Assert.Contains("spec.interval '5s'", ready.Message);
        Assert.Equal(policy.Metadata.Generation, policy.Status!.ObservedGeneration);
        Assert.Null(policy.Status.LastCheckTime);
        Assert.DoesNotContain(rig.Env.Api.Requests, r => r.Info.Resource?.Plural == "secrets");
        var failed = Assert.Single(rig.Events());
        Assert.Equal((EventReasons.CheckFailed, "Warning"), (failed.Reason, failed.Type));
        Assert.StartsWith("InvalidSpec: spec.interval", failed.Note, StringComparison.Ordinal);
        Assert.Equal(0, rig.Metric(MetricNames.PolicyReady));
        Assert.Null(rig.Metric(MetricNames.ChecksTotal, ("result", "failure"))); // no check ran
    }

    [Fact]
    public async Task Suspended_WaitsForAChange_WithoutAnEventOrACheck()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        await rig.TenantAsync(CardsBehind);
        var spec = ReconcilerRig.Spec();
        spec.Suspend = true;
        await rig.CreatePolicyAsync(spec);
        rig.Env.Api.ClearRequests();

        var (result, policy) = await rig.ReconcileAsync();

        Assert.Equal(ReconcileOutcome.Wait, result.Outcome);
        var ready = Ready(policy);
        Assert.Equal((ConditionStatus.False, SequenceSyncPolicyReasons.Suspended), (ready.Status, ready.Reason));
        Assert.Equal("Checks and repairs are paused (spec.suspend is true).", ready.Message);
        Assert.Equal(policy.Metadata.Generation, policy.Status!.ObservedGeneration);
        Assert.DoesNotContain(rig.Env.Api.Requests, r => r.Info.Resource?.Plural == "secrets");
        Assert.Empty(rig.Events());
        Assert.Equal(0, rig.Metric(MetricNames.PolicyReady));
    }

    [Fact]
    public async Task SecretNotFound_RetriesAndSaysWhatToCreate()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        await rig.CreatePolicyAsync(ReconcilerRig.Spec());

        var (result, policy) = await rig.ReconcileAsync();

        AssertFailed(rig, result, policy, SequenceSyncPolicyReasons.SecretNotFound,
            "Secret cityforge-db-credentials not found in namespace worcester: create it with the database credentials");
    }

    [Fact]
    public async Task SecretForbidden_RetriesAndNamesTheMissingGrant()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        await rig.TenantAsync(CardsBehind);
        await rig.CreatePolicyAsync(ReconcilerRig.Spec());
        rig.Env.Api.Security.Forbid((r, _) => r.Resource?.Plural == "secrets" && r.Verb == "get");

        var (result, policy) = await rig.ReconcileAsync();

        AssertFailed(rig, result, policy, SequenceSyncPolicyReasons.SecretForbidden,
            "The operator may not read Secret worcester/cityforge-db-credentials: grant its service account 'get' on secrets");
    }

    [Fact]
    public async Task SecretInvalid_RetriesAndNamesTheMissingKey()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        await rig.Env.PutSecretAsync(
            ReconcilerRig.Namespace, "cityforge-db-credentials", new Dictionary<string, string> { ["password"] = "pw" });
        await rig.CreatePolicyAsync(ReconcilerRig.Spec());

        var (result, policy) = await rig.ReconcileAsync();

        AssertFailed(rig, result, policy, SequenceSyncPolicyReasons.SecretInvalid, "Secret cityforge-db-credentials has no user name");
    }

    [Fact]
    public async Task ConnectionFailed_RetriesAndNamesTheServer()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        var port = LoopbackPorts.Free(); // nothing listens there
        await rig.Env.PutSecretAsync(ReconcilerRig.Namespace, "cityforge-db-credentials", new Dictionary<string, string>
        {
            ["uri"] = $"postgresql://app:pw@127.0.0.1:{port}/cityforge?sslmode=disable",
        });
        await rig.CreatePolicyAsync(ReconcilerRig.Spec());

        var (result, policy) = await rig.ReconcileAsync();

        AssertFailed(rig, result, policy, SequenceSyncPolicyReasons.ConnectionFailed, $"127.0.0.1:{port}");
    }

    [Fact]
    public async Task AuthenticationFailed_RetriesWithoutShowingThePassword()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        var tenant = await rig.TenantAsync(CardsBehind);
        var b = new NpgsqlConnectionStringBuilder(tenant.ConnectionString);
        await rig.Env.PutSecretAsync(ReconcilerRig.Namespace, tenant.SecretName, new Dictionary<string, string>
        {
            ["uri"] = $"postgresql://{b.Username}:not-the-password@{b.Host}:{b.Port}/{b.Database}?sslmode=disable",
        });
        await rig.CreatePolicyAsync(ReconcilerRig.Spec());

        var (result, policy) = await rig.ReconcileAsync();

        AssertFailed(rig, result, policy, SequenceSyncPolicyReasons.AuthenticationFailed, "password authentication failed");
        Assert.DoesNotContain("not-the-password", Ready(policy).Message);
    }

    [Fact]
    public async Task PermissionDenied_RetriesAndSaysWhatWasRefused()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        await rig.TenantAsync(CardsBehind + """
            DO $$ BEGIN CREATE ROLE reason_no_connect LOGIN PASSWORD 'no-connect-pw'; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            DO $$ BEGIN EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', current_database()); END $$;
            """, ("reason_no_connect", "no-connect-pw"));
        await rig.CreatePolicyAsync(ReconcilerRig.Spec());

        var (result, policy) = await rig.ReconcileAsync();

        AssertFailed(rig, result, policy, SequenceSyncPolicyReasons.PermissionDenied, "permission denied for reason_no_connect@");
    }

    [Fact]
    public async Task TableErrors_AnUnknownTable_TheRestIsStillChecked()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        await rig.TenantAsync(CardsBehind);
        await rig.CreatePolicyAsync(ReconcilerRig.Spec(tables: ["cards", "forum_posts"]));

        var (result, policy) = await rig.ReconcileAsync();

        Assert.Equal(ReconcileOutcome.Retry, result.Outcome);
        var ready = Ready(policy);
        Assert.Equal((ConditionStatus.False, SequenceSyncPolicyReasons.TableErrors), (ready.Status, ready.Reason));
        Assert.Equal("1 table entry could not be checked: forum_posts: table forum_posts does not exist.", ready.Message);
        Assert.Equal(3, Assert.Single(policy.Status!.Sequences!, s => s.Table == "cards").BehindBy);
        var unknown = Assert.Single(policy.Status.Sequences!, s => s.Table == "forum_posts");
        Assert.Equal((SequenceEntryStatus.Error, string.Empty, string.Empty), (unknown.Status, unknown.Schema, unknown.Column));
        Assert.Contains(rig.Events(), e => e.Reason == EventReasons.CheckFailed
            && e.Note.StartsWith("TableErrors: 1 table entry", StringComparison.Ordinal));
        Assert.Contains(rig.Events(), e => e.Reason == EventReasons.SequenceBehind);
        Assert.Equal(0, rig.Metric(MetricNames.PolicyReady));
        Assert.Equal(1, rig.Metric(MetricNames.ChecksTotal, ("result", "failure")));
    }

    [Fact]
    public async Task RepairFailed_ARoleThatMayNotUpdateTheSequence_StaysBehindAndNamesTheGrant()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        var tenant = await rig.TenantAsync(CardsBehind + """
            DO $$ BEGIN CREATE ROLE reason_no_update LOGIN PASSWORD 'no-update-pw'; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            GRANT SELECT, UPDATE ON cards TO reason_no_update;
            GRANT SELECT ON cards_id_seq TO reason_no_update;
            """, ("reason_no_update", "no-update-pw"));
        await rig.CreatePolicyAsync(ReconcilerRig.Spec(PolicyMode.Repair));

        var (result, policy) = await rig.ReconcileAsync();

        Assert.Equal(ReconcileOutcome.Retry, result.Outcome);
        var ready = Ready(policy);
        Assert.Equal((ConditionStatus.False, SequenceSyncPolicyReasons.RepairFailed), (ready.Status, ready.Reason));
        Assert.StartsWith(
            "1 sequence(s) could not be repaired: public.cards.id: repair needs UPDATE on sequence public.cards_id_seq",
            ready.Message,
            StringComparison.Ordinal);
        Assert.Contains("GRANT UPDATE ON SEQUENCE \"public\".\"cards_id_seq\" TO \"reason_no_update\";", ready.Message);
        var cards = Assert.Single(policy.Status!.Sequences!);
        Assert.Equal((SequenceEntryStatus.Error, 3L), (cards.Status, cards.BehindBy));
        Assert.Equal(ConditionStatus.False, InSync(policy)!.Status); // the repair failed: it is still behind
        Assert.Equal(1, rig.Metric(MetricNames.RepairsTotal, ("result", "failure")));
        Assert.Equal(0, rig.Metric(MetricNames.RepairsTotal, ("result", "success")));
        Assert.Equal(0, rig.Metric(MetricNames.PolicyReady));
        await using var db = new NpgsqlConnection(tenant.ConnectionString);
        await db.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT last_value FROM cards_id_seq", db);
        Assert.Equal(1L, await read.ExecuteScalarAsync());
    }

    [Fact]
    public async Task NothingChanged_ASecondReconcileWritesNoStatus()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        await rig.TenantAsync(CardsBehind);
        await rig.CreatePolicyAsync(ReconcilerRig.Spec());
        var (_, first) = await rig.ReconcileAsync();
        Assert.Equal(1, rig.StatusWrites());

        var (_, second) = await rig.ReconcileAsync(); // the same database, the same clock: the same status

        Assert.Equal(1, rig.StatusWrites());
        Assert.Equal(first.Metadata.ResourceVersion, second.Metadata.ResourceVersion);
        Assert.Single(rig.Events()); // the repeat is counted in memory, not written
        Assert.Equal(2, rig.Metric(MetricNames.ChecksTotal, ("result", "success")));
    }

    [Fact]
    public async Task ManySequences_TenEventsEach_ThenOneForTheRest_NamedForWhatHappened()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        await rig.TenantAsync(string.Concat(Enumerable.Range(1, 12).Select(i =>
            $"CREATE TABLE t{i:D2} (id serial PRIMARY KEY); INSERT INTO t{i:D2} (id) VALUES ({i});")));
        await rig.CreatePolicyAsync(ReconcilerRig.Spec());
        await rig.ReconcileAsync();

        var behind = rig.Events();
        Assert.Equal(11, behind.Count);
        Assert.All(behind, e => Assert.Equal((EventReasons.SequenceBehind, "Warning"), (e.Reason, e.Type)));
        Assert.Single(behind, e => e.Note == "2 more sequence(s) behind; see the policy's status.");

        await rig.Env.Client.PatchAsync(PolicyReconciler.PolicyType, ReconcilerRig.Namespace, ReconcilerRig.PolicyName,
            KubernetesPatch.Merge(new JsonObject { ["spec"] = new JsonObject { ["mode"] = "Repair" } }),
            SequenceSyncPolicyJsonContext.Default.V1Alpha1SequenceSyncPolicy);
        await rig.ReconcileAsync();

        var repaired = rig.Events().Where(e => e.Reason == EventReasons.SequenceRepaired).ToList();
        Assert.Equal(11, repaired.Count);
        Assert.All(repaired, e => Assert.Equal("Normal", e.Type));
        Assert.Single(repaired, e => e.Note == "2 more sequence(s) repaired; see the policy's status.");
        Assert.Equal(11, rig.Events().Count(e => e.Reason == EventReasons.SequenceBehind)); // none new: nothing is behind now
    }

    /// <summary>
    /// A failure before any sequence was seen: Ready=False with the reason, a retry, one Event, a failed check in the
    /// metrics.
    /// </summary>
    private static void AssertFailed(
        ReconcilerRig rig, ReconcileResult result, V1Alpha1SequenceSyncPolicy policy, string reason, string message)
    {
        Assert.Equal(new ReconcileResult(ReconcileOutcome.Retry, TimeSpan.FromMinutes(5)), result);
        var ready = Ready(policy);
        Assert.Equal((ConditionStatus.False, reason), (ready.Status, ready.Reason));
        Assert.Contains(message, ready.Message, StringComparison.Ordinal);
        Assert.Equal(policy.Metadata.Generation, policy.Status!.ObservedGeneration);
        Assert.Equal(rig.Time.GetUtcNow(), policy.Status.LastCheckTime);
        Assert.Null(policy.Status.Sequences);
        var failed = Assert.Single(rig.Events());
        Assert.Equal((EventReasons.CheckFailed, "Warning", $"{reason}: {ready.Message}"), failed);
        Assert.Equal(0, rig.Metric(MetricNames.PolicyReady));
        Assert.Equal(1, rig.Metric(MetricNames.ChecksTotal, ("result", "failure")));
    }
}
