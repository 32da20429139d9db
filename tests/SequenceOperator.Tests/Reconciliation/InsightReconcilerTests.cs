using Npgsql;
using SequenceOperator.Entities;
using SequenceOperator.Metrics;
using SequenceOperator.Reconciliation;
using SequenceOperator.Testing;
using SequenceOperator.Testing.Operator;

namespace SequenceOperator.Tests.Reconciliation;

/// <summary>
/// Issue #14 end to end: the reconciler feeds each check to the insight model and records its answer (status fields,
/// metrics, <c>DriftRecurring</c> Events), against the API-server double, a real PostgreSQL and a clock the test moves.
/// Each write to the tenant ends with <c>pg_stat_force_next_flush()</c>, so the next check reads its <c>n_tup_ins</c>.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class InsightReconcilerTests(PostgresFixture fixture)
{
    // Ids below 1000 are explicit ids that cause no drift.
    private const string BelowTheSequence =
        "CREATE TABLE cards (id serial PRIMARY KEY, note text); ALTER SEQUENCE cards_id_seq RESTART 1000;";

    private static readonly TimeSpan Step = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task ExplicitIdInserts_BetweenTwoChecks_AreCounted_InsertsThroughTheSequenceAreNot()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        var tenant = await rig.TenantAsync(BelowTheSequence);
        await rig.CreatePolicyAsync(ReconcilerRig.Spec(tables: "cards"));
        await rig.ReconcileAsync(); // the baseline: nothing to compare with yet

        await WriteAsync(tenant, "INSERT INTO cards (note) SELECT 'via the sequence' FROM generate_series(1, 5);");
        rig.Time.Advance(Step);
        var (_, policy) = await rig.ReconcileAsync();

        var entry = Assert.Single(policy.Status!.Sequences!);
        Assert.Null(entry.ExplicitIdRows);
        Assert.Equal(0, rig.Metric(MetricNames.ExplicitIdRowsTotal, ("table", "cards")));

        // Ids below the sequence's values: explicit, but no drift.
        await WriteAsync(tenant, "INSERT INTO cards (id, note) SELECT g, 'imported' FROM generate_series(1, 7) g;"
            + "INSERT INTO cards (note) SELECT 'via the sequence' FROM generate_series(1, 3);");
        rig.Time.Advance(Step);
        (_, policy) = await rig.ReconcileAsync();

        entry = Assert.Single(policy.Status!.Sequences!);
        Assert.Equal(SequenceEntryStatus.InSync, entry.Status);
        Assert.Equal(7, entry.ExplicitIdRows);
        Assert.Equal(rig.Time.GetUtcNow(), entry.LastExplicitIdRowsTime);
        Assert.Null(entry.DriftCount);
        Assert.Equal(7, rig.Metric(MetricNames.ExplicitIdRowsTotal, ("table", "cards")));
        Assert.Equal(0, rig.Metric(MetricNames.DriftDetectedTotal, ("table", "cards")));
        Assert.Empty(rig.Events());
    }

    [Fact]
    public async Task ARepair_IsNotConsumption()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        await rig.TenantAsync("CREATE TABLE cards (id serial PRIMARY KEY); INSERT INTO cards (id) VALUES (100000);");
        await rig.CreatePolicyAsync(ReconcilerRig.Spec(PolicyMode.Repair, "cards"));
        var (_, policy) = await rig.ReconcileAsync();
        var repairedAt = rig.Time.GetUtcNow();
        Assert.Equal(SequenceEntryStatus.Repaired, Assert.Single(policy.Status!.Sequences!).Status);

        for (var i = 0; i < 4; i++)
        {
            rig.Time.Advance(Step);
            (_, policy) = await rig.ReconcileAsync();
        }

        var entry = Assert.Single(policy.Status!.Sequences!);
        Assert.Equal(SequenceEntryStatus.InSync, entry.Status);
        Assert.Equal((1L, repairedAt, repairedAt), (entry.DriftCount, entry.LastDriftTime, entry.LastRepairTime));
        Assert.Equal(0, entry.ConsumptionPerDay);
        Assert.Null(entry.ExhaustionTime);
        Assert.Null(entry.ExplicitIdRows);
        Assert.Equal("int4 column: no ids handed out recently, no exhaustion forecast", entry.Forecast);
        Assert.Null(rig.Metric(MetricNames.SequenceExhaustionTimestampSeconds, ("table", "cards")));
    }

    [Fact]
    public async Task AStatisticsReset_GivesNeitherNegativeNorHugeNumbers_AndCountingStartsAgain()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        var tenant = await rig.TenantAsync(BelowTheSequence);
        await rig.CreatePolicyAsync(ReconcilerRig.Spec(tables: "cards"));
        await rig.ReconcileAsync();
        await WriteAsync(tenant, "INSERT INTO cards (note) SELECT 'x' FROM generate_series(1, 50);");
        rig.Time.Advance(Step);
        await rig.ReconcileAsync();

        await WriteAsync(tenant, "SELECT pg_stat_reset();");
        await WriteAsync(tenant, "INSERT INTO cards (note) SELECT 'x' FROM generate_series(1, 3);");
        rig.Time.Advance(Step);
        var (_, policy) = await rig.ReconcileAsync();

        var entry = Assert.Single(policy.Status!.Sequences!);
        Assert.Null(entry.ExplicitIdRows);
        Assert.True(entry.ConsumptionPerDay is null or >= 0);
        Assert.Equal(0, rig.Metric(MetricNames.ExplicitIdRowsTotal, ("table", "cards")));

        await WriteAsync(tenant, "INSERT INTO cards (id, note) VALUES (1, 'imported'), (2, 'imported');"
            + "INSERT INTO cards (note) SELECT 'x' FROM generate_series(1, 4);");
        rig.Time.Advance(Step);
        (_, policy) = await rig.ReconcileAsync();

        Assert.Equal(2, Assert.Single(policy.Status!.Sequences!).ExplicitIdRows);
        Assert.Equal(2, rig.Metric(MetricNames.ExplicitIdRowsTotal, ("table", "cards")));
    }

    [Fact]
    public async Task DriftTwiceWithinTheWindow_IsOneDriftRecurringEvent_AndTwoTransitions()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        var tenant = await rig.TenantAsync("CREATE TABLE cards (id serial PRIMARY KEY); INSERT INTO cards (id) VALUES (5);");
        await rig.CreatePolicyAsync(ReconcilerRig.Spec(tables: "cards"));
        var (_, policy) = await rig.ReconcileAsync();
        var firstDrift = rig.Time.GetUtcNow();

        // Observe mode, drifted once: exactly today's verdict and Events.
        Assert.Equal(ConditionStatus.False, policy.Status!.GetCondition(SequenceSyncPolicyConditions.InSync)!.Status);
        Assert.Equal([EventReasons.SequenceBehind], rig.Events().Select(e => e.Reason));
        Assert.Equal((1L, firstDrift), (Assert.Single(policy.Status.Sequences!).DriftCount, policy.Status.Sequences![0].LastDriftTime));

        rig.Time.Advance(Step);
        await rig.ReconcileAsync(); // still behind: the same drift
        await WriteAsync(tenant, "DELETE FROM cards WHERE id = 5;"); // fixed by hand (a setval would look like ids handed out)
        rig.Time.Advance(Step);
        await rig.ReconcileAsync();
        Assert.Equal(1, rig.Metric(MetricNames.DriftDetectedTotal, ("table", "cards")));

        await WriteAsync(tenant, "INSERT INTO cards (id) VALUES (9), (10);"); // an import writes ids again
        rig.Time.Advance(Step);
        (_, policy) = await rig.ReconcileAsync();
        rig.Time.Advance(Step);
        (_, policy) = await rig.ReconcileAsync(); // still behind: no second Event

        var recurring = Assert.Single(rig.Events(), e => e.Reason == EventReasons.DriftRecurring);
        Assert.Equal("Warning", recurring.Type);
        Assert.Contains("public.cards.id (sequence public.cards_id_seq) fell behind again", recurring.Note);
        Assert.Contains("2 rows with explicit ids seen", recurring.Note);
        var entry = Assert.Single(policy.Status!.Sequences!);
        Assert.Equal((2L, 2L), (entry.DriftCount, entry.ExplicitIdRows));
        Assert.Equal(2, rig.Metric(MetricNames.DriftDetectedTotal, ("table", "cards")));
    }

    [Fact]
    public async Task DriftAfterTheWindow_IsNotRecurring()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        var tenant = await rig.TenantAsync("CREATE TABLE cards (id serial PRIMARY KEY); INSERT INTO cards (id) VALUES (5);");
        var spec = ReconcilerRig.Spec(PolicyMode.Repair, "cards");
        spec.DriftRecurrenceWindow = "30m";
        await rig.CreatePolicyAsync(spec);
        await rig.ReconcileAsync(); // repaired

        await WriteAsync(tenant, "INSERT INTO cards (id) VALUES (50);");
        rig.Time.Advance(TimeSpan.FromMinutes(31));
        var (_, policy) = await rig.ReconcileAsync(); // repaired again, 31 minutes after the first repair

        Assert.Equal(2, Assert.Single(policy.Status!.Sequences!).DriftCount);
        Assert.DoesNotContain(rig.Events(), e => e.Reason == EventReasons.DriftRecurring);
        Assert.Equal(2, rig.Metric(MetricNames.DriftDetectedTotal, ("table", "cards")));
    }

    [Fact]
    public async Task ASteadilyConsumedInt4Sequence_GetsAForecastWithin5Percent_AnIdleOneNone()
    {
        const int PerStep = 1000;
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        var tenant = await rig.TenantAsync("""
            CREATE TABLE cards (id serial PRIMARY KEY); SELECT setval('cards_id_seq', 2000000000);
            CREATE TABLE idle (id serial PRIMARY KEY);
            """);
        await rig.CreatePolicyAsync(ReconcilerRig.Spec(tables: ["cards", "idle"]));
        await rig.ReconcileAsync();
        V1Alpha1SequenceSyncPolicy policy = null!;
        for (var i = 0; i < 6; i++)
        {
            await WriteAsync(tenant, $"SELECT count(nextval('cards_id_seq')) FROM generate_series(1, {PerStep});");
            rig.Time.Advance(Step);
            (_, policy) = await rig.ReconcileAsync();
        }

        var perDay = PerStep * (TimeSpan.FromDays(1) / Step);
        var left = 2_147_483_647L - (2_000_000_000L + (6 * PerStep));
        var truth = rig.Time.GetUtcNow().AddDays(left / perDay);
        var cards = policy.Status!.Sequences!.Single(e => e.Table == "cards");
        Assert.InRange(cards.ConsumptionPerDay!.Value, perDay * 0.95, perDay * 1.05);
        var (forecast, actual) = ((cards.ExhaustionTime!.Value - rig.Time.GetUtcNow()).TotalDays, (truth - rig.Time.GetUtcNow()).TotalDays);
        Assert.InRange(forecast, actual * 0.95, actual * 1.05);
        Assert.StartsWith("int4 column: runs out around ", cards.Forecast, StringComparison.Ordinal);
        Assert.Contains("144 k ids a day", cards.Forecast, StringComparison.Ordinal);
        var exported = rig.Metric(MetricNames.SequenceExhaustionTimestampSeconds, ("table", "cards"))!.Value;
        Assert.InRange(exported - cards.ExhaustionTime.Value.ToUnixTimeSeconds(), 0, 1); // the status keeps whole seconds
        Assert.Null(cards.ExplicitIdRows); // values handed out without rows are no explicit ids

        var idle = policy.Status.Sequences!.Single(e => e.Table == "idle");
        Assert.Equal(0, idle.ConsumptionPerDay);
        Assert.Null(idle.ExhaustionTime);
        Assert.Null(rig.Metric(MetricNames.SequenceExhaustionTimestampSeconds, ("table", "idle")));
    }

    [Fact]
    public async Task Totals_AreRestoredFromTheStatus_AfterAnOperatorRestart()
    {
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server);
        var tenant = await rig.TenantAsync(
            "CREATE TABLE cards (id serial PRIMARY KEY); ALTER SEQUENCE cards_id_seq RESTART 1000; INSERT INTO cards (id) VALUES (5000);");
        await rig.CreatePolicyAsync(ReconcilerRig.Spec(tables: "cards"));
        await rig.ReconcileAsync(); // drift 1
        await WriteAsync(tenant, "DELETE FROM cards WHERE id = 5000;");
        rig.Time.Advance(Step);
        await rig.ReconcileAsync(); // in sync
        await WriteAsync(tenant, "INSERT INTO cards (id) VALUES (1), (2), (3);"); // explicit, below the sequence
        rig.Time.Advance(Step);
        var (_, before) = await rig.ReconcileAsync();
        Assert.Equal((1L, 3L), (before.Status!.Sequences![0].DriftCount, before.Status.Sequences[0].ExplicitIdRows));

        rig.RestartOperator();
        rig.Time.Advance(Step);
        var (_, policy) = await rig.ReconcileAsync(); // nothing new: the totals stay
        Assert.Equal((1L, 3L), (policy.Status!.Sequences![0].DriftCount, policy.Status.Sequences[0].ExplicitIdRows));
        Assert.Equal(1, rig.Metric(MetricNames.DriftDetectedTotal, ("table", "cards")));
        Assert.Equal(3, rig.Metric(MetricNames.ExplicitIdRowsTotal, ("table", "cards")));

        await WriteAsync(tenant, "INSERT INTO cards (id) VALUES (6000);");
        rig.Time.Advance(Step);
        (_, policy) = await rig.ReconcileAsync();

        var entry = Assert.Single(policy.Status!.Sequences!);
        Assert.Equal((2L, 4L), (entry.DriftCount, entry.ExplicitIdRows));
        Assert.Equal(2, rig.Metric(MetricNames.DriftDetectedTotal, ("table", "cards")));
        Assert.Single(rig.Events(), e => e.Reason == EventReasons.DriftRecurring); // within 24 h of the first drift's end
    }

    [Fact]
    public async Task ADriftRecurrenceWindowOutOfBounds_IsAnInvalidSpec()
    {
        // An API server older than 1.25 ignores the CEL rule that rejects 721h.
        await using var rig = await ReconcilerRig.StartAsync(fixture.Server, celRules: false);
        await rig.TenantAsync("CREATE TABLE cards (id serial PRIMARY KEY);");
        var spec = ReconcilerRig.Spec();
        spec.DriftRecurrenceWindow = "721h";
        await rig.CreatePolicyAsync(spec);

        var (result, policy) = await rig.ReconcileAsync();

        Assert.Equal(ReconcileOutcome.Wait, result.Outcome);
        var ready = policy.Status!.GetCondition(SequenceSyncPolicyConditions.Ready)!;
        Assert.Equal(SequenceSyncPolicyReasons.InvalidSpec, ready.Reason);
        Assert.Contains("spec.driftRecurrenceWindow '721h' is not a duration of at least 1m and at most 720h", ready.Message);
    }

    /// <summary>Runs <paramref name="sql"/> on the tenant, then flushes the session's statistics (PostgreSQL 15+).</summary>
    private static async Task WriteAsync(Tenant tenant, string sql)
    {
        await using var connection = new NpgsqlConnection(tenant.ConnectionString);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand(sql, connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        await using var flush = new NpgsqlCommand("SELECT pg_stat_force_next_flush()", connection);
        await flush.ExecuteNonQueryAsync();
    }
}
