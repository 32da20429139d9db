using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using SequenceOperator.Entities;
using SequenceOperator.Kubernetes.Events;
using SequenceOperator.Metrics;
using SequenceOperator.Postgres;
using SequenceOperator.Reconciliation;
using SequenceOperator.Reconciliation.Insights;
using SequenceOperator.Testing.Operator;
using SequenceOperator.Testing.Postgres;
using SequenceOperator.Tests.Kubernetes;

namespace SequenceOperator.Tests.Reconciliation;

/// <summary>
/// One <see cref="PolicyReconciler"/> built as the operator builds it, but called directly: the API-server double
/// and the real PostgreSQL of <see cref="OperatorEnvironment"/>, with a clock the test holds still. A test creates a
/// policy, calls <see cref="ReconcileAsync"/> once or twice, and reads back what the reconcile left: the stored
/// status, the Events, the metric values and the requests the double saw.
/// </summary>
internal sealed class ReconcilerRig : IAsyncDisposable
{
    public const string Namespace = "worcester";
    public const string PolicyName = "cityforge";

    private readonly EventRecorder _events;

    private ReconcilerRig(OperatorEnvironment env)
    {
        Env = env;
        _events = new EventRecorder(env.Client, timeProvider: Time);
        Metrics = new SequenceOperatorMetrics(Time);
        Reconciler = NewReconciler();
    }

    public OperatorEnvironment Env { get; }

    public ManualTimeProvider Time { get; } = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));

    public SequenceOperatorMetrics Metrics { get; }

    public PolicyReconciler Reconciler { get; private set; }

    /// <summary>The reconciler's drift history and forecasts (in memory: <see cref="RestartOperator"/> starts a new one).</summary>
    public InsightStore Insights { get; private set; } = null!;

    /// <summary>
    /// A new reconciler with a new <see cref="Insights"/> store, as after an operator restart or a leader change: what
    /// the old one knew only comes back from the policy's status.
    /// </summary>
    public void RestartOperator() => Reconciler = NewReconciler();

    /// <summary>The rig; <paramref name="celRules"/> false serves policies as an API server that ignores the CRD's CEL rules.</summary>
    public static async Task<ReconcilerRig> StartAsync(PostgresServer postgres, bool celRules = true) =>
        new(await OperatorEnvironment.StartAsync(postgres, celRules: celRules));

    /// <summary>A spec for the tenant's Secret, Observe, 5m, with the given tables (<c>table</c> or <c>table:column</c>).</summary>
    public static SequenceSyncPolicySpec Spec(PolicyMode mode = PolicyMode.Observe, params string[] tables) => new()
    {
        Database = new DatabaseSpec { SecretRef = new SecretReference { Name = "cityforge-db-credentials" } },
        Tables = tables.Length == 0
            ? null
            : [.. tables.Select(t => t.Split(':')).Select(p => new TableSpec { Name = p[0], Column = p.Length > 1 ? p[1] : null })],
        Mode = mode,
        Interval = "5m",
    };

    /// <summary>
    /// A tenant database loaded with <paramref name="setupSql"/> and a Secret naming it (as the superuser, or as
    /// <paramref name="role"/>).
    /// </summary>
    public async Task<Tenant> TenantAsync(string setupSql, (string User, string Password)? role = null)
    {
        var tenant = await Env.CreateTenantAsync(Namespace, setupSql);
        if (role is { } r)
        {
            var b = new Npgsql.NpgsqlConnectionStringBuilder(tenant.ConnectionString);
            await Env.PutSecretAsync(Namespace, tenant.SecretName, new Dictionary<string, string>
            {
                ["host"] = b.Host!,
                ["port"] = b.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["dbname"] = b.Database!,
                ["username"] = r.User,
                ["password"] = r.Password,
                ["sslmode"] = "disable",
            });
        }

        return tenant;
    }

    public Task<V1Alpha1SequenceSyncPolicy> CreatePolicyAsync(SequenceSyncPolicySpec spec) =>
        Env.CreatePolicyAsync(Namespace, PolicyName, spec);

    /// <summary>
    /// Reconciles the policy as stored now (as the informer's cache would hand it over); returns the result and the
    /// policy after it.
    /// </summary>
    public async Task<(ReconcileResult Result, V1Alpha1SequenceSyncPolicy Policy)> ReconcileAsync()
    {
        var policy = await Env.GetPolicyAsync(Namespace, PolicyName);
        using var workers = new SemaphoreSlim(0, 1); // the permit below holds the one worker
        using var permit = new WorkerPermit(workers);
        var servers = new ServerTurns(new DatabaseServerGate(), permit, CancellationToken.None);
        var result = await Reconciler.ReconcileAsync(policy, servers, CancellationToken.None);
        return (result, await Env.GetPolicyAsync(Namespace, PolicyName));
    }

    /// <summary>The Events stored for the policy's namespace: (reason, type, note).</summary>
    public IReadOnlyList<(string Reason, string Type, string Note)> Events() =>
        [.. Env.Events(Namespace).Select(e => ((string)e["reason"]!, (string)e["type"]!, (string)e["note"]!))];

    /// <summary>Status writes the double received (merge patches to the status subresource).</summary>
    public int StatusWrites() =>
        Env.Api.Requests.Count(r => r.Info.Resource?.Plural == "sequencesyncpolicies" && r.Info.Subresource == "status");

    /// <summary>The value an observable instrument reports now for the policy (and the extra <paramref name="tags"/>), or null.</summary>
    public double? Metric(string name, params (string Key, string Value)[] tags)
    {
        double? value = null;
        void Take(Instrument instrument, double v, ReadOnlySpan<KeyValuePair<string, object?>> measured)
        {
            var all = measured.ToArray();
            bool Has(string key, string expected) => all.Any(t => t.Key == key && (string?)t.Value == expected);
            if (Has("namespace", Namespace) && Has("policy", PolicyName) && tags.All(t => Has(t.Key, t.Value)))
            {
                value = v;
            }
        }

        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == Metrics.Meter && instrument.Name == name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Take(i, v, t));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Take(i, v, t));
        listener.Start();
        listener.RecordObservableInstruments();
        return value;
    }

    private PolicyReconciler NewReconciler()
    {
        Insights = new InsightStore();
        return new PolicyReconciler(
            Env.Client,
            _events,
            new SequenceEngine(NullLogger<SequenceEngine>.Instance),
            new PolicyDatabases(),
            new CheckTimeouts(),
            Metrics,
            Insights,
            Time,
            NullLogger<PolicyReconciler>.Instance);
    }

    public async ValueTask DisposeAsync()
    {
        _events.Dispose();
        Metrics.Dispose();
        await Env.DisposeAsync();
    }
}
