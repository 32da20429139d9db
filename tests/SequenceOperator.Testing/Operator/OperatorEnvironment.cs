using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Npgsql;
using SequenceOperator.Crd;
using SequenceOperator.Entities;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Hosting;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Configuration;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Reconciliation;
using SequenceOperator.Testing.Kubernetes;
using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Testing.Operator;

/// <summary>
/// Everything an end-to-end test of the operator needs: the API-server double (HTTPS, a bearer token, the
/// SequenceSyncPolicy resource registered), a real PostgreSQL, tenants (a database and a Secret per namespace), and
/// operator instances built by the real composition root on free loopback ports.
/// </summary>
internal sealed class OperatorEnvironment : IAsyncDisposable
{
    public const string Token = "operator-token-4711";

    /// <summary>
    /// The SequenceSyncPolicy resource, validated as the API server validates it with the generated CRD (schema and CEL rules).
    /// </summary>
    public static ApiResourceDefinition PolicyResource { get; } = ApiResourceDefinition.CustomResource(
        V1Alpha1SequenceSyncPolicy.Group,
        V1Alpha1SequenceSyncPolicy.Version,
        V1Alpha1SequenceSyncPolicy.Plural,
        V1Alpha1SequenceSyncPolicy.EntityKind,
        namespaced: true) with
    {
        Validate = CrdValidation.For(CrdGenerator.Generate()),
    };

    /// <summary>The same resource on an API server older than 1.25, which ignores the CRD's CEL rules (the schema still applies).</summary>
    public static ApiResourceDefinition PolicyResourceWithoutCelRules { get; } = PolicyResource with
    {
        Validate = CrdValidation.For(CrdGenerator.Generate(), evaluateRules: false),
    };

    private readonly List<OperatorInstance> _instances = [];

    private OperatorEnvironment(FakeKubeApiServer api, KubernetesClientConfiguration configuration, PostgresServer postgres)
    {
        Api = api;
        Configuration = configuration;
        Postgres = postgres;
        Client = KubernetesClient.Create(configuration);
    }

    public FakeKubeApiServer Api { get; }

    public KubernetesClientConfiguration Configuration { get; }

    /// <summary>A client for the test itself (the "platform team").</summary>
    public KubernetesClient Client { get; }

    public PostgresServer Postgres { get; }

    /// <summary>
    /// Starts the double; <paramref name="celRules"/> false serves policies as an API server that ignores CEL rules would.
    /// </summary>
    public static async Task<OperatorEnvironment> StartAsync(
        PostgresServer postgres,
        FakeKubeApiServerOptions? options = null,
        bool celRules = true)
    {
        var api = await FakeKubeApiServer.StartAsync((options ?? new FakeKubeApiServerOptions()) with
        {
            RequireAuthentication = true,
            BookmarkInterval = TimeSpan.FromSeconds(1),
            Resources = [celRules ? PolicyResource : PolicyResourceWithoutCelRules],
        });
        api.Security.AddToken(Token, "system:serviceaccount:sequence-operator-system:sequence-operator");
        var configuration = new KubernetesClientConfiguration
        {
            Server = api.BaseAddress,
            CertificateAuthorityData = Encoding.ASCII.GetBytes(api.CertificateAuthority!.CertificatePem),
            Credentials = new KubernetesCredentials { Token = Token },
            Namespace = "sequence-operator-system",
        };
        return new OperatorEnvironment(api, configuration, postgres);
    }

    /// <summary>
    /// Starts an operator (the real host) against the double; <paramref name="settings"/> adds or overrides flags' configuration keys.
    /// </summary>
    public async Task<OperatorInstance> StartOperatorAsync(IDictionary<string, string?>? settings = null)
    {
        var ports = LoopbackPorts.Free(2);
        var (metricsPort, healthPort) = (ports[0], ports[1]);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Operator:MetricsPort"] = metricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Operator:HealthPort"] = healthPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Operator:BindAddress"] = "127.0.0.1",
            ["Operator:WatchTimeout"] = "00:00:20",
            ["Operator:ShutdownTimeout"] = "00:00:20",
            ["Operator:LeaseDuration"] = "00:00:03",
            ["Operator:RenewDeadline"] = "00:00:02",
            ["Operator:RetryPeriod"] = "00:00:00.500",
            ["Operator:LeaderElectionNamespace"] = "sequence-operator-system",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var app = OperatorHost.Build(values, Configuration);
        await app.StartAsync();
        var instance = new OperatorInstance(app, metricsPort, healthPort);
        _instances.Add(instance);
        return instance;
    }

    /// <summary>A database for a namespace (loaded with <paramref name="setupSql"/>) and the Secret that names it.</summary>
    public async Task<Tenant> CreateTenantAsync(
        string @namespace,
        string setupSql,
        string secretName = "cityforge-db-credentials",
        IDictionary<string, string>? secretData = null)
    {
        var cs = await Postgres.CreateDatabaseAsync(@namespace.Replace('-', '_'));
        if (setupSql.Length > 0)
        {
            await PostgresServer.ExecuteAsync(cs, setupSql);
        }

        var b = new NpgsqlConnectionStringBuilder(cs);
        var data = secretData ?? new Dictionary<string, string>
        {
            ["host"] = b.Host!,
            ["port"] = b.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["dbname"] = b.Database!,
            ["username"] = b.Username!,
            ["password"] = b.Password!,
            ["sslmode"] = "disable",
        };
        await PutSecretAsync(@namespace, secretName, data);
        return new Tenant(@namespace, cs, secretName);
    }

    public async Task PutSecretAsync(string @namespace, string name, IDictionary<string, string> data)
    {
        var secret = new Secret
        {
            Metadata = new ObjectMeta { Name = name, Namespace = @namespace },
            Data = data.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value)),
        };
        var existing = await Client.TryGetAsync(ResourceType.Secrets, @namespace, name, KubernetesJsonContext.Default.Secret);
        if (existing is null)
        {
            await Client.CreateAsync(ResourceType.Secrets, secret, KubernetesJsonContext.Default.Secret);
        }
        else
        {
            await Client.ReplaceAsync(
                ResourceType.Secrets,
                secret with { Metadata = secret.Metadata with { ResourceVersion = existing.Metadata.ResourceVersion } },
                KubernetesJsonContext.Default.Secret);
        }
    }

    public Task<V1Alpha1SequenceSyncPolicy> CreatePolicyAsync(string @namespace, string name, SequenceSyncPolicySpec spec) =>
        Client.CreateAsync(PolicyReconciler.PolicyType, new V1Alpha1SequenceSyncPolicy
        {
            Metadata = new ObjectMeta { Name = name, Namespace = @namespace },
            Spec = spec,
        },
            SequenceSyncPolicyJsonContext.Default.V1Alpha1SequenceSyncPolicy);

    public Task<V1Alpha1SequenceSyncPolicy> GetPolicyAsync(string @namespace, string name) =>
        Client.GetAsync(PolicyReconciler.PolicyType, @namespace, name, SequenceSyncPolicyJsonContext.Default.V1Alpha1SequenceSyncPolicy);

    /// <summary>Polls the policy until <paramref name="done"/> holds; fails with the last status seen.</summary>
    public async Task<V1Alpha1SequenceSyncPolicy> WaitForPolicyAsync(
        string @namespace,
        string name,
        Func<V1Alpha1SequenceSyncPolicy, bool> done,
        TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        V1Alpha1SequenceSyncPolicy? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await Client.TryGetAsync(
                PolicyReconciler.PolicyType,
                @namespace,
                name,
                SequenceSyncPolicyJsonContext.Default.V1Alpha1SequenceSyncPolicy);
            if (last is not null && done(last))
            {
                return last;
            }

            await Task.Delay(100);
        }

        var conditions = last?.Status?.Conditions is { } cs ? string.Join(
            "; ",
            cs.Select(c => $"{c.Type}={c.Status} {c.Reason}: {c.Message}")) : "no status";
        throw new TimeoutException(
            $"policy {@namespace}/{name} did not reach the expected state; last: generation {last?.Metadata.Generation}, observed "
                + $"{last?.Status?.ObservedGeneration}, {conditions}");
    }

    /// <summary>The events.k8s.io Events stored for a namespace, as the API server holds them.</summary>
    public IReadOnlyList<System.Text.Json.Nodes.JsonObject> Events(string @namespace) => Api.Store.All(
        ApiResourceDefinition.Events,
        @namespace);

    public async ValueTask DisposeAsync()
    {
        foreach (var instance in _instances)
        {
            await instance.DisposeAsync();
        }

        Client.Dispose();
        await Api.DisposeAsync();
    }
}

/// <summary>A namespace's database and Secret.</summary>
internal sealed record Tenant(string Namespace, string ConnectionString, string SecretName);

/// <summary>One running operator process (in-process host).</summary>
internal sealed class OperatorInstance(WebApplication app, int metricsPort, int healthPort) : IAsyncDisposable
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private bool _stopped;

    public WebApplication App { get; } = app;

    public int MetricsPort { get; } = metricsPort;

    public int HealthPort { get; } = healthPort;

    public IServiceProvider Services => App.Services;

    public Task<string> ScrapeAsync() => Http.GetStringAsync(new Uri($"http://127.0.0.1:{MetricsPort}/metrics"));

    public async Task<(HttpStatusCode Status, string Body)> ProbeAsync(string path)
    {
        using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{HealthPort}{path}"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Stops as on SIGTERM: in-flight work finishes, the Lease is released.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await App.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await App.DisposeAsync();
    }
}
