using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Configuration;
using SequenceOperator.Testing.Kubernetes;

namespace SequenceOperator.Tests.Kubernetes;

/// <summary>A started double plus a client configured for it (HTTPS with its CA, a bearer token).</summary>
internal sealed class KubernetesTestServer : IAsyncDisposable
{
    public const string Token = "test-token-0123456789";

    private KubernetesTestServer(FakeKubeApiServer server, KubernetesClient client, KubernetesClientConfiguration configuration)
    {
        Server = server;
        Client = client;
        Configuration = configuration;
    }

    public FakeKubeApiServer Server { get; }

    public KubernetesClient Client { get; }

    public KubernetesClientConfiguration Configuration { get; }

    /// <summary>Options for tests: few, short retries.</summary>
    public static KubernetesClientOptions FastOptions() => new()
    {
        MaxRetryAttempts = 3,
        RetryBaseDelay = TimeSpan.FromMilliseconds(20),
        RetryMaxDelay = TimeSpan.FromMilliseconds(200),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    public static async Task<KubernetesTestServer> StartAsync(
        FakeKubeApiServerOptions? options = null, KubernetesClientOptions? clientOptions = null)
    {
        options ??= new FakeKubeApiServerOptions();
        options = options with
        {
            RequireAuthentication = true,
            Resources = [.. options.Resources, TestResources.WidgetDefinition, TestResources.ClusterWidgetDefinition],
        };
        var server = await FakeKubeApiServer.StartAsync(options);
        server.Security.AddToken(Token, "operator");
        var configuration = new KubernetesClientConfiguration
        {
            Server = server.BaseAddress,
            CertificateAuthorityData = System.Text.Encoding.ASCII.GetBytes(server.CertificateAuthority!.CertificatePem),
            Credentials = new KubernetesCredentials { Token = Token },
        };
        var client = KubernetesClient.Create(configuration, clientOptions ?? FastOptions());
        return new KubernetesTestServer(server, client, configuration);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        var errors = Server.UnhandledErrors;
        await Server.DisposeAsync();
        Assert.True(errors.Count == 0, "The double failed: " + string.Join("; ", errors));
    }
}
