using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using SequenceOperator.Entities;
using SequenceOperator.Kubernetes;
using SequenceOperator.Metrics;
using SequenceOperator.Reconciliation;
using SequenceOperator.Testing.Operator;
using SequenceOperator.Testing.Postgres;
using SequenceOperator.Testing.Prometheus;
using SequenceOperator.Tests.Infrastructure;
using SequenceOperator.Tests.Postgres;

namespace SequenceOperator.Tests.Operator;

/// <summary>The operator end to end: the real host, over HTTP against the API-server double, on a real PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class OperatorEndToEndTests(PostgresFixture fixture)
{
    private const string ShrewsbuddySql = """
        CREATE TABLE orders (id serial PRIMARY KEY, note text);
        CREATE TABLE customers (id bigserial PRIMARY KEY);
        INSERT INTO orders (id) SELECT generate_series(1, 10);
        INSERT INTO customers DEFAULT VALUES;
        """;

    private static readonly string[] WorcesterTables = ["cards", "card_submissions", "tags", "forum_categories", "card_modifications"];

    private static SequenceSyncPolicySpec Spec(
        string secret = "cityforge-db-credentials",
        PolicyMode mode = PolicyMode.Observe,
        params string[] tables) => new()
    {
        Database = new DatabaseSpec { SecretRef = new SecretReference { Name = secret } },
        Tables = tables.Length == 0 ? null : tables.Select(t => t.Split(':')).Select(p => new TableSpec
        {
            Name = p[0],
            Column = p.Length > 1 ? p[1] : null,
        }).ToList(),
        Mode = mode,
        Interval = "5m",
    };

    private static bool Checked(V1Alpha1SequenceSyncPolicy p) =>
        p.Status?.ObservedGeneration == p.Metadata.Generation && p.Status?.SequencesChecked is not null;

    private static string Reason(V1Alpha1SequenceSyncPolicy p, string type = SequenceSyncPolicyConditions.Ready) =>
        p.Status?.GetCondition(type)?.Reason ?? string.Empty;

    private async Task<string> WorcesterSqlAsync() => await File.ReadAllTextAsync(RepoPaths.File("scripts/demo/cityforge.sql"));

    [Fact]
    public async Task Observe_ReportsTheExactDriftInStatusEventsAndMetrics_AndChangesNothing()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);
        var worcester = await env.CreateTenantAsync("worcester", await WorcesterSqlAsync());
        var shrewsbuddy = await env.CreateTenantAsync("shrewsbuddy", ShrewsbuddySql);
        await env.CreatePolicyAsync("worcester", "cityforge", Spec(tables: WorcesterTables));
        await env.CreatePolicyAsync("shrewsbuddy", "cityforge", Spec());
        var op = await env.StartOperatorAsync();

        var w = await env.WaitForPolicyAsync("worcester", "cityforge", Checked);
        Assert.True(w.Status!.IsReady, Reason(w));
        Assert.Equal((5, 5, 0), (w.Status.SequencesChecked, w.Status.SequencesBehind, w.Status.SequencesRepaired));
        Assert.Equal(SequenceSyncPolicyReasons.SequencesBehind, Reason(w, SequenceSyncPolicyConditions.InSync));
        var cards = Assert.Single(w.Status.Sequences!, s => s.Table == "cards");
        Assert.Equal(
            (42L, 2L, 41L, SequenceEntryStatus.Behind, "cards_id_seq"),
            (cards.MaxValue!.Value, cards.NextValue!.Value, cards.BehindBy, cards.Status, cards.SequenceName));
        Assert.Equal(2, Assert.Single(w.Status.Sequences!, s => s.Table == "card_modifications").BehindBy);

        var s = await env.WaitForPolicyAsync("shrewsbuddy", "cityforge", Checked);
        Assert.Equal((2, 1), (s.Status!.SequencesChecked, s.Status.SequencesBehind));
        var orders = Assert.Single(s.Status.Sequences!); // discovery lists only what needs attention
        Assert.Equal(("orders", 10L), (orders.Table, orders.BehindBy));

        var events = env.Events("worcester");
        var behind = events.Where(e => (string?)e["reason"] == "SequenceBehind").ToList();
        Assert.Equal(5, behind.Count);
        Assert.Contains(
            behind,
            e => ((string)e["note"]!).Contains("public.cards_id_seq of public.cards.id is behind by 41", StringComparison.Ordinal));
        Assert.All(behind, e => Assert.Equal("Warning", (string?)e["type"]));
        Assert.All(behind, e => Assert.Equal("cityforge", (string?)e["regarding"]!["name"]));

        var metrics = PrometheusTextParser.Parse(await op.ScrapeAsync());
        Assert.Equal(
            41,
            metrics.Value(
                MetricNames.SequenceBehind,
                "namespace=worcester",
                "policy=cityforge",
                "table=cards",
                "column=id",
                "schema=public",
                "sequence=public.cards_id_seq"));
        Assert.Equal(10, metrics.Value(MetricNames.SequenceBehind, "namespace=shrewsbuddy", "table=orders"));
        // Discovered and in sync: no series.
        Assert.Empty(metrics.Samples(MetricNames.SequenceBehind, "namespace=shrewsbuddy", "table=customers"));
        Assert.Equal(5, metrics.Value(MetricNames.Sequences, "namespace=worcester", "state=behind"));
        Assert.Equal(1, metrics.Value(MetricNames.PolicyReady, "namespace=worcester", "policy=cityforge"));
        Assert.True(metrics.Value(MetricNames.ChecksTotal, "namespace=worcester", "result=success") >= 1);
        Assert.Equal(1, metrics.Value(MetricNames.Leader));

        await using var db = new NpgsqlConnection(worcester.ConnectionString);
        await db.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT last_value FROM cards_id_seq", db);
        Assert.Equal(1L, await cmd.ExecuteScalarAsync()); // Observe never changes a sequence

        // The check's pool is closed with the check: no idle connection of the operator stays in the tenant's database.
        Assert.Empty(await OperatorConnectionsAsync(db, expected: 0));
        Assert.Equal(HttpStatusCode.OK, (await op.ProbeAsync("/readyz")).Status);
        Assert.Equal(HttpStatusCode.OK, (await op.ProbeAsync("/healthz")).Status);
        _ = shrewsbuddy;
    }

    [Fact]
    public async Task SwitchingToRepair_RepairsAndRecordsIt_ThenCheckNowCatchesNewDrift()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);
        var worcester = await env.CreateTenantAsync("worcester", await WorcesterSqlAsync());
        await env.CreatePolicyAsync("worcester", "cityforge", Spec(tables: WorcesterTables));
        var op = await env.StartOperatorAsync();
        await env.WaitForPolicyAsync("worcester", "cityforge", Checked);

        await env.Client.PatchAsync(PolicyReconciler.PolicyType, "worcester", "cityforge", KubernetesPatch.Merge(
            new JsonObject { ["spec"] = new JsonObject { ["mode"] = "Repair" } }),
            SequenceSyncPolicyJsonContext.Default.V1Alpha1SequenceSyncPolicy);
        var repaired = await env.WaitForPolicyAsync("worcester", "cityforge", p => Checked(p) && p.Metadata.Generation == 2);
        Assert.Equal((5, 0), (repaired.Status!.SequencesRepaired, repaired.Status.SequencesBehind));
        Assert.NotNull(repaired.Status.LastRepairTime);
        Assert.Equal(43, Assert.Single(repaired.Status.Sequences!, s => s.Table == "cards").RepairedNextValue);
        Assert.Equal(SequenceSyncPolicyReasons.AllInSync, Reason(repaired, SequenceSyncPolicyConditions.InSync));
        Assert.Contains(
            env.Events("worcester"),
            e => (string?)e["reason"] == "SequenceRepaired" && ((string)e["note"]!).Contains(
                "next value 2 -> 43",
                StringComparison.Ordinal));
        var metrics = PrometheusTextParser.Parse(await op.ScrapeAsync());
        Assert.Equal(5, metrics.Value(MetricNames.RepairsTotal, "namespace=worcester", "result=success"));

        await PostgresServer.ExecuteAsync(worcester.ConnectionString, "INSERT INTO tags (id, name) VALUES (500, 'imported later')");
        await env.Client.PatchAsync(PolicyReconciler.PolicyType, "worcester", "cityforge",
            KubernetesPatch.Merge(new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["annotations"] = new JsonObject { [PolicyReconciler.CheckNowAnnotation] = "after-restore-1" },
                },
            }),
            SequenceSyncPolicyJsonContext.Default.V1Alpha1SequenceSyncPolicy);
        // The interval is 5m: only the annotation can wake it this soon.
        await env.WaitForPolicyAsync(
            "worcester",
            "cityforge",
            p => p.Status?.Sequences?.Any(s => s.Table == "tags" && s.RepairedNextValue == 501) == true,
            TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task MissingSecret_WrongPassword_UnknownTable_EachSetTheirConditionAndRecoverWhenFixed()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);
        var cs = await fixture.Server.CreateDatabaseAsync("tenant");
        await PostgresServer.ExecuteAsync(cs, "CREATE TABLE cards (id serial PRIMARY KEY); INSERT INTO cards (id) VALUES (3);");
        await env.CreatePolicyAsync("worcester", "cityforge", Spec(tables: ["cards", "forum_posts"]));
        await env.StartOperatorAsync();

        var missing = await env.WaitForPolicyAsync("worcester", "cityforge", p => Reason(p) == SequenceSyncPolicyReasons.SecretNotFound);
        Assert.Contains(
            "Secret cityforge-db-credentials not found in namespace worcester",
            missing.Status!.GetCondition(SequenceSyncPolicyConditions.Ready)!.Message);

        var b = new NpgsqlConnectionStringBuilder(cs);
        var data = new Dictionary<string, string>
        {
            ["uri"] = $"postgresql://{b.Username}:not-the-password@{b.Host}:{b.Port}/{b.Database}?sslmode=disable",
        };
        await env.PutSecretAsync("worcester", "cityforge-db-credentials", data);
        var auth = await env.WaitForPolicyAsync("worcester", "cityforge", p => Reason(p) == SequenceSyncPolicyReasons.AuthenticationFailed);
        var authMessage = auth.Status!.GetCondition(SequenceSyncPolicyConditions.Ready)!.Message;
        Assert.Contains("password authentication failed", authMessage);
        Assert.DoesNotContain("not-the-password", authMessage);
        Assert.DoesNotContain(env.Events("worcester"), e => e.ToJsonString().Contains("not-the-password", StringComparison.Ordinal));

        data["uri"] = $"postgresql://{b.Username}:{Uri.EscapeDataString(b.Password!)}@{b.Host}:{b.Port}/{b.Database}?sslmode=disable";
        await env.PutSecretAsync("worcester", "cityforge-db-credentials", data);
        var tables = await env.WaitForPolicyAsync("worcester", "cityforge", p => Reason(p) == SequenceSyncPolicyReasons.TableErrors);
        Assert.Contains(
            "forum_posts: table forum_posts does not exist",
            tables.Status!.GetCondition(SequenceSyncPolicyConditions.Ready)!.Message);
        Assert.Equal(3, Assert.Single(tables.Status.Sequences!, s => s.Table == "cards").BehindBy); // the rest is still checked
        Assert.Equal(SequenceEntryStatus.Error, Assert.Single(tables.Status.Sequences!, s => s.Table == "forum_posts").Status);

        await PostgresServer.ExecuteAsync(cs, "CREATE TABLE forum_posts (id serial PRIMARY KEY);");
        var ready = await env.WaitForPolicyAsync("worcester", "cityforge", p => p.Status?.IsReady == true, TimeSpan.FromSeconds(40));
        Assert.Equal(SequenceSyncPolicyReasons.CheckSucceeded, Reason(ready));
        Assert.Contains(
            env.Events("worcester"),
            e => (string?)e["reason"] == "CheckFailed" && ((string)e["note"]!).StartsWith("SecretNotFound", StringComparison.Ordinal));
    }

    [OwnServerFact]
    public async Task StoppedDatabase_IsConnectionFailed_AndRecoversWhenItIsBack()
    {
        await using var own = await PostgresServer.StartAsync();
        Assert.True(own.IsOwned);

        await using var env = await OperatorEnvironment.StartAsync(own);
        await env.CreateTenantAsync("worcester", "CREATE TABLE cards (id serial PRIMARY KEY);");
        await env.CreatePolicyAsync("worcester", "cityforge", Spec());
        await env.StartOperatorAsync();
        await env.WaitForPolicyAsync("worcester", "cityforge", p => p.Status?.IsReady == true);

        await own.StopAsync();
        await env.Client.PatchAsync(PolicyReconciler.PolicyType, "worcester", "cityforge",
            KubernetesPatch.Merge(new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["annotations"] = new JsonObject { [PolicyReconciler.CheckNowAnnotation] = "now" },
                },
            }),
            SequenceSyncPolicyJsonContext.Default.V1Alpha1SequenceSyncPolicy);
        var down = await env.WaitForPolicyAsync("worcester", "cityforge", p => Reason(p) == SequenceSyncPolicyReasons.ConnectionFailed);
        var message = down.Status!.GetCondition(SequenceSyncPolicyConditions.Ready)!.Message;
        Assert.Contains($"127.0.0.1:{own.Port}", message);
        Assert.Contains("connect", message);
        Assert.DoesNotContain(own.Password, message);

        await own.RestartAsync();
        await env.WaitForPolicyAsync("worcester", "cityforge", p => p.Status?.IsReady == true, TimeSpan.FromSeconds(40));
    }

    [Fact]
    public async Task APolicy_CanOnlyReachTheSecretInItsOwnNamespace()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);
        await env.CreateTenantAsync("worcester", "CREATE TABLE cards (id serial PRIMARY KEY);", secretName: "worcester-only");
        await env.CreatePolicyAsync("shrewsbuddy", "cityforge", Spec(secret: "worcester-only"));
        env.Api.ClearRequests();
        await env.StartOperatorAsync();

        var p = await env.WaitForPolicyAsync("shrewsbuddy", "cityforge", x => Reason(x) == SequenceSyncPolicyReasons.SecretNotFound);
        Assert.Contains("not found in namespace shrewsbuddy", p.Status!.GetCondition(SequenceSyncPolicyConditions.Ready)!.Message);
        var secretRequests = env.Api.Requests.Where(r => r.Info.Resource?.Plural == "secrets").ToList();
        Assert.NotEmpty(secretRequests);
        Assert.All(secretRequests, r => Assert.Equal(("get", "shrewsbuddy"), (r.Verb, r.Info.Namespace)));
    }

    [Fact]
    public async Task DuringACheck_ThePolicyHasAtMostTwoNamedConnections_AndNoneAfterIt()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);
        var tenant = await env.CreateTenantAsync("worcester", await WorcesterSqlAsync());

        // Hold a lock on cards so that the first check waits inside the database, where its connections can be seen.
        await using var blocker = new NpgsqlConnection(tenant.ConnectionString);
        await blocker.OpenAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockCards = new NpgsqlCommand("LOCK TABLE cards IN ACCESS EXCLUSIVE MODE", blocker, transaction))
        {
            await lockCards.ExecuteNonQueryAsync();
        }

        await env.CreatePolicyAsync("worcester", "cityforge", Spec(tables: WorcesterTables));
        await env.StartOperatorAsync();

        await using var observer = new NpgsqlConnection(tenant.ConnectionString);
        await observer.OpenAsync();
        var during = await OperatorConnectionsAsync(observer, expected: 1, waitingOnLock: true);
        Assert.InRange(during.Count, 1, PolicyDatabases.MaxConnectionsPerPolicy);
        Assert.All(during, name => Assert.Equal("sequence-operator", name));
        Assert.Null((await env.GetPolicyAsync("worcester", "cityforge")).Status?.SequencesChecked); // still checking

        await transaction.RollbackAsync();
        var checkedPolicy = await env.WaitForPolicyAsync("worcester", "cityforge", Checked);
        Assert.Equal(5, checkedPolicy.Status!.SequencesBehind);
        Assert.Empty(await OperatorConnectionsAsync(observer, expected: 0, otherTestSession: blocker.ProcessID));
    }

    /// <summary>
    /// The application names of the other client sessions on <paramref name="db"/>'s database but
    /// <paramref name="otherTestSession"/> (so the operator's, in these tests), optionally only those waiting on a lock;
    /// polled until there are <paramref name="expected"/> (at least that many when non-zero), for up to 20 s, or 5 s
    /// when none are expected: a closed pool's sessions end within milliseconds, an idle pool's would stay.
    /// </summary>
    private static async Task<List<string>> OperatorConnectionsAsync(
        NpgsqlConnection db,
        int expected,
        bool waitingOnLock = false,
        int? otherTestSession = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(expected == 0 ? 5 : 20);
        while (true)
        {
            await using var activity = new NpgsqlCommand(
                "SELECT application_name FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND "
                    + "backend_type = 'client backend'" +
                (waitingOnLock ? " AND wait_event_type = 'Lock'" : string.Empty) +
                (otherTestSession is { } pid ? $" AND pid <> {pid}" : string.Empty), db);
            var names = new List<string>();
            await using (var reader = await activity.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    names.Add(reader.GetString(0));
                }
            }

            if ((expected == 0 ? names.Count == 0 : names.Count >= expected) || DateTime.UtcNow > deadline)
            {
                return names;
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task DeletingAPolicy_RemovesItsSeries()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);
        await env.CreateTenantAsync("worcester", await WorcesterSqlAsync());
        await env.CreateTenantAsync("shrewsbuddy", ShrewsbuddySql);
        await env.CreatePolicyAsync("worcester", "cityforge", Spec(tables: WorcesterTables));
        await env.CreatePolicyAsync("shrewsbuddy", "cityforge", Spec());
        var op = await env.StartOperatorAsync();
        await env.WaitForPolicyAsync("worcester", "cityforge", Checked);
        await env.WaitForPolicyAsync("shrewsbuddy", "cityforge", Checked);
        Assert.NotEmpty(PrometheusTextParser.Parse(await op.ScrapeAsync()).Samples(MetricNames.SequenceBehind, "namespace=worcester"));

        await env.Client.DeleteAsync(PolicyReconciler.PolicyType, "worcester", "cityforge");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        PrometheusDocument metrics;
        do
        {
            await Task.Delay(100);
            metrics = PrometheusTextParser.Parse(await op.ScrapeAsync());
        }
        while (
            metrics.Families.SelectMany(f => f.Samples).Any(
                s => s.Labels.GetValueOrDefault("namespace") == "worcester") && DateTime.UtcNow < deadline);

        Assert.DoesNotContain(metrics.Families.SelectMany(f => f.Samples), s => s.Labels.GetValueOrDefault("namespace") == "worcester");
        Assert.NotEmpty(metrics.Samples(MetricNames.SequenceBehind, "namespace=shrewsbuddy"));
    }

    [Fact]
    public async Task DroppedWatchesAndA410_DoNotLoseAPolicy()
    {
        await using var env = await OperatorEnvironment.StartAsync(
            fixture.Server,
            new Testing.Kubernetes.FakeKubeApiServerOptions { HistoryLimit = 5 });
        await env.CreateTenantAsync("worcester", await WorcesterSqlAsync());
        await env.CreateTenantAsync("shrewsbuddy", ShrewsbuddySql);
        await env.CreatePolicyAsync("worcester", "cityforge", Spec(tables: WorcesterTables));
        var op = await env.StartOperatorAsync();
        await env.WaitForPolicyAsync("worcester", "cityforge", Checked);

        env.Api.DropActiveWatches();
        await env.CreatePolicyAsync("shrewsbuddy", "cityforge", Spec());
        for (var i = 0; i < 10; i++)
        {
            // Push the policy's version out of the history window.
            await env.PutSecretAsync("worcester", $"noise-{i}", new Dictionary<string, string> { ["k"] = "v" });
        }

        env.Api.CompactHistory();
        env.Api.DropActiveWatches();
        await env.WaitForPolicyAsync("shrewsbuddy", "cityforge", Checked);
        var metrics = PrometheusTextParser.Parse(await op.ScrapeAsync());
        Assert.True(metrics.Value(MetricNames.WatchRestartsTotal) >= 1);
        Assert.Equal(HttpStatusCode.OK, (await op.ProbeAsync("/healthz")).Status);
    }

    [Fact]
    public async Task TwoInstancesWithLeaderElection_NeverReconcileAtTheSameTime()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);
        await env.CreateTenantAsync("worcester", await WorcesterSqlAsync());
        await env.CreatePolicyAsync("worcester", "cityforge", Spec(tables: WorcesterTables));
        var settings = new Dictionary<string, string?> { ["Operator:LeaderElect"] = "true" };
        var a = await env.StartOperatorAsync(new Dictionary<string, string?>(settings) { ["Operator:Identity"] = "operator-a" });
        var b = await env.StartOperatorAsync(new Dictionary<string, string?>(settings) { ["Operator:Identity"] = "operator-b" });
        await env.WaitForPolicyAsync("worcester", "cityforge", Checked);

        var controllerA = (PolicyController)a.Services.GetService(typeof(PolicyController))!;
        var controllerB = (PolicyController)b.Services.GetService(typeof(PolicyController))!;
        var serviceA = (SequenceOperator.Hosting.OperatorService)a.Services.GetService(typeof(SequenceOperator.Hosting.OperatorService))!;
        var serviceB = (SequenceOperator.Hosting.OperatorService)b.Services.GetService(typeof(SequenceOperator.Hosting.OperatorService))!;
        for (var i = 0; i < 20; i++)
        {
            Assert.False(serviceA.IsLeader && serviceB.IsLeader, "two leaders at once");
            await Task.Delay(100);
        }

        var (leader, follower, leaderController, followerController, followerService) = serviceA.IsLeader
            ? (a, b, controllerA, controllerB, serviceB)
            : (b, a, controllerB, controllerA, serviceA);
        Assert.True(leaderController.Reconciles > 0);
        Assert.Equal(0, followerController.Reconciles);
        var trimmer = (HeapTrimmer)leader.Services.GetService(typeof(HeapTrimmer))!; // told after every reconcile
        for (var wait = DateTime.UtcNow.AddSeconds(10); trimmer.Calls == 0 && DateTime.UtcNow < wait;)
        {
            await Task.Delay(50);
        }

        Assert.True(trimmer.Calls > 0, "the controller did not report its reconcile to the heap trimmer");
        Assert.Equal(0, ((HeapTrimmer)follower.Services.GetService(typeof(HeapTrimmer))!).Calls);
        Assert.Equal(0, PrometheusTextParser.Parse(await follower.ScrapeAsync()).Value(MetricNames.Leader));
        Assert.Equal(HttpStatusCode.OK, (await follower.ProbeAsync("/readyz")).Status); // a standby is ready to take over

        await leader.StopAsync(); // releases the Lease
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!followerService.IsLeader && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(followerService.IsLeader, "the standby did not take over");
        while (followerController.Reconciles == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(followerController.Reconciles > 0, "the new leader did not reconcile");
    }

    [Fact]
    public async Task WatchNamespaces_LimitsTheOperatorToThoseNamespaces()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);
        await env.CreateTenantAsync("worcester", "CREATE TABLE cards (id serial PRIMARY KEY);");
        await env.CreateTenantAsync("shrewsbuddy", "CREATE TABLE cards (id serial PRIMARY KEY);");
        await env.CreatePolicyAsync("worcester", "cityforge", Spec());
        await env.CreatePolicyAsync("shrewsbuddy", "cityforge", Spec());
        env.Api.ClearRequests();
        await env.StartOperatorAsync(new Dictionary<string, string?> { ["Operator:WatchNamespaces:0"] = "worcester" });

        await env.WaitForPolicyAsync("worcester", "cityforge", Checked);
        await Task.Delay(1000);
        var requests = env.Api.Requests.Where(
            r => r.Info.Resource is { } res && res.Plural is "sequencesyncpolicies" or "secrets").ToList();
        Assert.All(requests, r => Assert.Equal("worcester", r.Info.Namespace)); // no cluster-wide list or watch, nothing in shrewsbuddy
        Assert.Contains(requests, r => r.Verb == "watch");
        Assert.Null((await env.GetPolicyAsync("shrewsbuddy", "cityforge")).Status);
    }
}
