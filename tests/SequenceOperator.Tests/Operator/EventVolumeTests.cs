using System.Globalization;
using Npgsql;
using SequenceOperator.Entities;
using SequenceOperator.Testing.Operator;
using SequenceOperator.Testing.Postgres;
using Xunit.Abstractions;

namespace SequenceOperator.Tests.Operator;

/// <summary>
/// The operator's Event writes at scale: 100 Observe policies, each seeing 5 sequences behind at every
/// check, 30 s apart. The first check of each creates its Events; after that, repeats are counted in memory and the
/// API server sees at most a heartbeat's refreshes, never a write per check.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class EventVolumeTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const int Policies = 100;
    private const int SequencesBehind = 5;
    private const int MaxEventWritesPerMinute = 10;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task HundredPolicies_FiveSequencesBehindEach_SteadyStateWritesAtMostTenEventsAMinute()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);

        // One database with 5 drifted tables serves every tenant: the Events depend on what a check finds, not on where.
        var database = new NpgsqlConnectionStringBuilder(await fixture.Server.CreateDatabaseAsync("volume"));
        await PostgresServer.ExecuteAsync(database.ConnectionString, string.Concat(Enumerable.Range(1, SequencesBehind).Select(i =>
            string.Create(
                CultureInfo.InvariantCulture,
                $"CREATE TABLE t{i} (id serial PRIMARY KEY); INSERT INTO t{i} (id) VALUES (100);"))));
        var namespaces = Enumerable.Range(1, Policies).Select(i => "tenant-" + i.ToString("D3", CultureInfo.InvariantCulture)).ToList();
        await Parallel.ForEachAsync(namespaces, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (ns, _) =>
        {
            await env.PutSecretAsync(ns, "cityforge-db-credentials", new Dictionary<string, string>
            {
                ["uri"] = $"postgresql://{database.Username}:{Uri.EscapeDataString(database.Password!)}@{database.Host}:{database.Port}"
                    + $"/{database.Database}?sslmode=disable",
            });
            await env.CreatePolicyAsync(ns, "cityforge", new SequenceSyncPolicySpec
            {
                Database = new DatabaseSpec { SecretRef = new SecretReference { Name = "cityforge-db-credentials" } },
                Interval = KubernetesDuration.Format(Interval),
            });
        });

        await env.StartOperatorAsync();
        foreach (var ns in namespaces)
        {
            var policy = await env.WaitForPolicyAsync(
                ns,
                "cityforge",
                p => p.Status?.SequencesBehind is not null,
                TimeSpan.FromSeconds(120));
            Assert.Equal(SequencesBehind, policy.Status!.SequencesBehind);
        }

        // Steady state: the next two checks of every policy find the same 5 sequences behind.
        env.Api.ClearRequests();
        var window = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(2 * Interval);
        var requests = env.Api.Requests;
        var minutes = window.Elapsed.TotalMinutes;

        var perMinute = requests
            .GroupBy(r => $"{r.Verb} {r.Info.Resource?.Plural}{(r.Info.Subresource is { } sub ? "/" + sub : string.Empty)}")
            .OrderByDescending(g => g.Count())
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key}: {g.Count() / minutes:F0}"));
        output.WriteLine($"API requests per minute, {Policies} policies, interval {KubernetesDuration.Format(Interval)}: "
            + string.Join(", ", perMinute));

        var checks = requests.Count(r => r.Verb == "get" && r.Info.Resource?.Plural == "secrets");
        Assert.True(checks >= Policies, $"only {checks} checks in the window: not a steady state"); // each check reads its Secret once
        var eventWrites = requests.Count(r => r.Info.Resource?.Plural == "events" && r.Verb is "create" or "patch" or "update");
        Assert.True(eventWrites / minutes <= MaxEventWritesPerMinute,
            $"{eventWrites} Event writes in {window.Elapsed.TotalSeconds:F0} s ({eventWrites / minutes:F1} a minute) for {checks} checks");
        Assert.Equal(Policies * SequencesBehind, env.Api.Store.All(Testing.Kubernetes.ApiResourceDefinition.Events).Count);
    }
}
