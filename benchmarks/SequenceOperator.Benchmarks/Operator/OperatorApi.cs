using System.Globalization;
using System.Text;
using SequenceOperator.Entities;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Configuration;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Reconciliation;
using SequenceOperator.Testing.Kubernetes;
using SequenceOperator.Testing.Operator;

namespace SequenceOperator.Benchmarks.Operator;

/// <summary>
/// The API-server double a published operator runs against as it would against a cluster: HTTPS, the operator's
/// service-account token, the SequenceSyncPolicy resource, and a kubeconfig file for <c>run --kubeconfig</c>.
/// </summary>
internal sealed class OperatorApi : IAsyncDisposable
{
    private const string SecretName = "db-credentials";
    private const string PolicyName = "sequences";

    private OperatorApi(FakeKubeApiServer server, string kubeconfig)
    {
        Server = server;
        Kubeconfig = kubeconfig;
    }

    public FakeKubeApiServer Server { get; }

    /// <summary>The kubeconfig file that points at <see cref="Server"/> with the operator's token.</summary>
    public string Kubeconfig { get; }

    public static async Task<OperatorApi> StartAsync(string kubeconfig, int historyLimit, CancellationToken cancellationToken)
    {
        var server = await FakeKubeApiServer.StartAsync(new FakeKubeApiServerOptions
        {
            RequireAuthentication = true,
            HistoryLimit = historyLimit,
            Resources = [OperatorEnvironment.PolicyResource],
        }, cancellationToken);
        server.Security.AddToken(OperatorEnvironment.Token, "system:serviceaccount:sequence-operator-system:sequence-operator");
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(server.CertificateAuthority!.CertificatePem));
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
              - name: double
                cluster:
                  server: {server.BaseAddress.ToString().TrimEnd('/')}
                  certificate-authority-data: {ca}
            users:
              - name: sequence-operator
                user:
                  token: {OperatorEnvironment.Token}
            contexts:
              - name: benchmark
                context:
                  cluster: double
                  user: sequence-operator
                  namespace: sequence-operator-system
            current-context: benchmark

            """, cancellationToken);
        return new OperatorApi(server, kubeconfig);
    }

    /// <summary>A client for the benchmark itself (the "platform team"), through the same kubeconfig.</summary>
    public KubernetesClient CreateClient() =>
        KubernetesClient.Create(KubernetesConfigurationLoader.Load(KubernetesConfigurationSource.FromEnvironment(Kubeconfig)));

    /// <summary>In namespace <paramref name="ns"/>: a Secret with the database's credentials and an Observe policy on every sequence-fed column.</summary>
    public static async Task CreatePolicyAsync(KubernetesClient client, string ns, string connectionString, TimeSpan interval, CancellationToken cancellationToken)
    {
        var cs = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var data = new Dictionary<string, string>
        {
            ["host"] = cs.Host!,
            ["port"] = cs.Port.ToString(CultureInfo.InvariantCulture),
            ["dbname"] = cs.Database!,
            ["username"] = cs.Username!,
            ["password"] = cs.Password!,
            ["sslmode"] = "disable",
        };
        await client.CreateAsync(ResourceType.Secrets, new Secret
        {
            Metadata = new ObjectMeta { Name = SecretName, Namespace = ns },
            Data = data.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value)),
        }, KubernetesJsonContext.Default.Secret, cancellationToken);
        await client.CreateAsync(PolicyReconciler.PolicyType, new V1Alpha1SequenceSyncPolicy
        {
            Metadata = new ObjectMeta { Name = PolicyName, Namespace = ns },
            Spec = new SequenceSyncPolicySpec
            {
                Database = new DatabaseSpec { SecretRef = new SecretReference { Name = SecretName } },
                Tables = null, // discovery: every sequence-fed column of the database
                Mode = PolicyMode.Observe,
                Interval = KubernetesDuration.Format(interval),
            },
        }, SequenceSyncPolicyJsonContext.Default.V1Alpha1SequenceSyncPolicy, cancellationToken);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
