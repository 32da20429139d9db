using System.Globalization;
using Npgsql;
using SequenceOperator.Entities;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Testing.Operator;
using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Tests.Operator;

/// <summary>
/// One tenant's hung database server must not hold back the others: the operator against the API-server
/// double, a real PostgreSQL for the healthy tenant, and a listener that accepts connections and never answers for
/// the hung one.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class HungDatabaseTests(PostgresFixture fixture)
{
    private const int HungPolicies = 20;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    // The healthy policy's checks may come this much later than its interval (a loaded 2-core machine).
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(5);

    private static SequenceSyncPolicySpec Spec() => new()
    {
        Database = new DatabaseSpec { SecretRef = new SecretReference { Name = "cityforge-db-credentials" } },
        Interval = KubernetesDuration.Format(Interval),
    };

    private static Condition? Ready(V1Alpha1SequenceSyncPolicy p) => p.Status?.GetCondition(SequenceSyncPolicyConditions.Ready);

    [Fact]
    public async Task TwentyPoliciesOnAHungServer_DoNotDelayAPolicyOnAnotherServer_AndRecoverWhenItAnswers()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);
        await using var hung = UnresponsiveServer.Start();
        await env.CreateTenantAsync("healthy", "CREATE TABLE cards (id serial PRIMARY KEY); INSERT INTO cards (id) VALUES (7);");

        // The hung tenants' database exists on the real server, for when the hung server answers again.
        var database = new NpgsqlConnectionStringBuilder(await fixture.Server.CreateDatabaseAsync("hung"));
        await PostgresServer.ExecuteAsync(database.ConnectionString, "CREATE TABLE cards (id serial PRIMARY KEY);");
        var hungNamespaces = Enumerable.Range(
            1,
            HungPolicies).Select(i => "hung-" + i.ToString("D2", CultureInfo.InvariantCulture)).ToList();
        foreach (var ns in hungNamespaces)
        {
            await env.PutSecretAsync(ns, "cityforge-db-credentials", new Dictionary<string, string>
            {
                ["host"] = "127.0.0.1",
                ["port"] = hung.Port.ToString(CultureInfo.InvariantCulture),
                ["dbname"] = database.Database!,
                ["username"] = database.Username!,
                ["password"] = database.Password!,
                ["sslmode"] = "disable",
            });
            await env.CreatePolicyAsync(ns, "cityforge", Spec());
        }

        await env.CreatePolicyAsync("healthy", "cityforge", Spec());
        await env.StartOperatorAsync(new Dictionary<string, string?> { ["Operator:ConnectTimeout"] = "00:00:01" });
        await env.WaitForPolicyAsync("healthy", "cityforge", p => p.Status?.IsReady == true);

        // The outage: watch the healthy policy's checks while every hung policy fails, for at least three intervals.
        var checks = new SortedSet<DateTimeOffset>();
        var outage = System.Diagnostics.Stopwatch.StartNew();
        var failed = new HashSet<string>(StringComparer.Ordinal);
        while (failed.Count < HungPolicies || outage.Elapsed < 3 * Interval)
        {
            Assert.True(
                outage.Elapsed < TimeSpan.FromSeconds(90),
                $"only {failed.Count} of {HungPolicies} hung policies reported ConnectionFailed in 90 s");
            var healthy = await env.GetPolicyAsync("healthy", "cityforge");
            Assert.True(healthy.Status?.IsReady, Ready(healthy)?.Message);
            checks.Add(healthy.Status!.LastCheckTime!.Value);
            foreach (var ns in hungNamespaces.Where(n => !failed.Contains(n)))
            {
                var condition = Ready(await env.GetPolicyAsync(ns, "cityforge"));
                if (condition?.Reason == SequenceSyncPolicyReasons.ConnectionFailed)
                {
                    Assert.Contains("did not answer", condition.Message, StringComparison.Ordinal);
                    Assert.Contains($"127.0.0.1:{hung.Port}", condition.Message, StringComparison.Ordinal);
                    Assert.DoesNotContain(database.Password!, condition.Message, StringComparison.Ordinal);
                    failed.Add(ns);
                }
            }

            await Task.Delay(250);
        }

        var gaps = checks.Zip(checks.Skip(1), (a, b) => b - a).ToList();
        Assert.True(checks.Count >= 3, $"the healthy policy was checked {checks.Count} time(s) in {outage.Elapsed.TotalSeconds:F0} s");
        Assert.True(
            gaps.Max() <= Interval + Slack,
            $"the healthy policy went {gaps.Max().TotalSeconds:F0} s between checks (interval {Interval.TotalSeconds:F0} s): "
                + $"{string.Join(", ", gaps.Select(g => g.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture)))}");
        // One check at a time on the hung server once a check found it not answering: an attempt to open a session
        // starts when the previous one gave up, a connect timeout (1 s) later, so about one a second (Npgsql now and
        // then opens two sessions for one attempt); the four workers at once would make about four a second.
        var attempts = hung.SessionAttempts;
        var seconds = (attempts[^1] - attempts[0]).TotalSeconds;
        Assert.True(attempts.Count >= HungPolicies, $"{attempts.Count} session attempts");
        Assert.True(attempts.Count - 1 <= (1.5 * seconds) + 1, $"{attempts.Count} session attempts in {seconds:F0} s on the hung server");

        // The server answers again: every hung policy recovers by itself, within its interval-capped backoff.
        hung.Answer(fixture.Server.Host, fixture.Server.Port);
        foreach (var ns in hungNamespaces)
        {
            await env.WaitForPolicyAsync(ns, "cityforge", p => p.Status?.IsReady == true, TimeSpan.FromSeconds(60));
        }
    }
}
