using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Authentication;
using SequenceOperator.Kubernetes.Configuration;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Testing.Kubernetes;

namespace SequenceOperator.Tests.Kubernetes;

public sealed class ExecAndInClusterTests : IAsyncLifetime
{
    private const string PluginScript = """
        #!/bin/sh
        echo run >> "$PLUGIN_STATE/count"
        printf '%s' "$KUBERNETES_EXEC_INFO" > "$PLUGIN_STATE/info.json"
        printf '%s' "$*" > "$PLUGIN_STATE/args"
        if [ -f "$PLUGIN_STATE/fail" ]; then echo '{"leaked":"plugin-secret-output"}'; exit 3; fi
        if [ -f "$PLUGIN_STATE/cert" ]; then
          printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"clientCertificateData":%s,"clientKeyData":%s}}' \
            "$API_VERSION" "$(cat "$PLUGIN_STATE/cert")" "$(cat "$PLUGIN_STATE/key")"
          exit 0
        fi
        printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}' \
          "$API_VERSION" "$(cat "$PLUGIN_STATE/token")" "$(cat "$PLUGIN_STATE/expiry")"
        """;

    private readonly TempFolder _folder = new();
    private FakeKubeApiServer _server = null!;

    public async Task InitializeAsync() =>
        _server = await FakeKubeApiServer.StartAsync(new FakeKubeApiServerOptions { RequireAuthentication = true });

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _folder.Dispose();
    }

    private int PluginRuns => File.Exists(Path.Combine(_folder.Path, "state", "count"))
        ? File.ReadAllLines(Path.Combine(_folder.Path, "state", "count")).Length
        : 0;

    private KubernetesClientConfiguration ExecKubeconfig(
        string apiVersion = ExecApiVersions.V1,
        string expiry = "2099-01-01T00:00:00Z",
        bool clusterInfo = false)
    {
        _folder.Executable("bin/get-token", PluginScript);
        _folder.File("state/token", "exec-token-1");
        _folder.File("state/expiry", expiry);
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(_server.CertificateAuthority!.CertificatePem));
        var yaml = $"""
            current-context: eks
            clusters:
            - name: eks
              cluster:
                server: {_server.BaseAddress}
                certificate-authority-data: {ca}
            users:
            - name: eks
              user:
                exec:
                  apiVersion: {apiVersion}
                  command: ./bin/get-token
                  args: ["--cluster", "demo"]
                  env:
                  - name: PLUGIN_STATE
                    value: {Path.Combine(_folder.Path, "state")}
                  - name: API_VERSION
                    value: {apiVersion}
                  interactiveMode: Never
                  provideClusterInfo: {(clusterInfo ? "true" : "false")}
            contexts:
            - name: eks
              context:
                cluster: eks
                user: eks
            """;
        return KubernetesConfigurationLoader.Load(new KubernetesConfigurationSource { KubeconfigPath = _folder.File("kubeconfig", yaml) });
    }

    private static Task<Secret?> ProbeAsync(KubernetesClient client) =>
        client.TryGetAsync(ResourceType.Secrets, "default", "probe", KubernetesJsonContext.Default.Secret);

    [Theory]
    [InlineData(ExecApiVersions.V1)]
    [InlineData(ExecApiVersions.V1Beta1)]
    public async Task ExecPlugin_TokenIsCachedUntilItExpires(string apiVersion)
    {
        _server.Security.AddToken("exec-token-1", "eks-user");
        _server.Security.AddToken("exec-token-2", "eks-user");
        var time = new ManualTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var configuration = ExecKubeconfig(apiVersion, expiry: "2030-01-01T00:10:00Z", clusterInfo: true);
        using var client = KubernetesClient.Create(configuration, KubernetesTestServer.FastOptions(), timeProvider: time);

        await ProbeAsync(client);
        await ProbeAsync(client);
        Assert.Equal(1, PluginRuns);
        Assert.All(_server.Requests, r => Assert.Equal("Bearer exec-token-1", r.Authorization));

        var info = JsonNode.Parse(File.ReadAllText(Path.Combine(_folder.Path, "state", "info.json")))!;
        Assert.Equal(apiVersion, info["apiVersion"]!.GetValue<string>());
        Assert.Equal("ExecCredential", info["kind"]!.GetValue<string>());
        Assert.False(info["spec"]!["interactive"]!.GetValue<bool>());
        Assert.Equal(_server.BaseAddress.ToString(), info["spec"]!["cluster"]!["server"]!.GetValue<string>());
        Assert.Equal("--cluster demo", File.ReadAllText(Path.Combine(_folder.Path, "state", "args")));

        _folder.File("state/token", "exec-token-2");
        time.Advance(TimeSpan.FromMinutes(11));
        await ProbeAsync(client);
        Assert.Equal(2, PluginRuns);
        Assert.Equal("Bearer exec-token-2", _server.Requests[^1].Authorization);
    }

    [Fact]
    public async Task ExecPlugin_RerunsAfterA401()
    {
        _server.Security.AddToken("exec-token-1", "eks-user");
        using var logs = new CapturingLoggerProvider();
        using var client = KubernetesClient.Create(ExecKubeconfig(), KubernetesTestServer.FastOptions(), logs);
        await ProbeAsync(client);
        Assert.Equal(1, PluginRuns);

        // The cluster revokes the token before its expiry; the plugin now hands out a new one.
        _server.Security.RemoveToken("exec-token-1");
        _server.Security.AddToken("exec-token-2", "eks-user");
        _folder.File("state/token", "exec-token-2");
        Assert.Null(await ProbeAsync(client));
        Assert.Equal(2, PluginRuns);
        Assert.Equal([404, 401, 404], _server.Requests.Select(r => r.StatusCode));
        Assert.Equal("Bearer exec-token-2", _server.Requests[^1].Authorization);
        Assert.Contains(logs.Entries, e => e.Text.Contains("will run again", StringComparison.Ordinal));
        Assert.DoesNotContain("exec-token", logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecPlugin_ClientCertificateCredential_Authenticates()
    {
        var configuration = ExecKubeconfig();
        var (certificate, key) = _server.CertificateAuthority!.IssueClientCertificatePem("exec-cert-user");
        _folder.File("state/cert", System.Text.Json.JsonSerializer.Serialize(certificate, TestStringJson.Default.String));
        _folder.File("state/key", System.Text.Json.JsonSerializer.Serialize(key, TestStringJson.Default.String));
        using var client = KubernetesClient.Create(configuration, KubernetesTestServer.FastOptions());
        await ProbeAsync(client);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("exec-cert-user", request.User);
        Assert.Null(request.Authorization);
    }

    [Fact]
    public async Task ExecPlugin_Failure_IsReportedWithoutItsOutput()
    {
        var configuration = ExecKubeconfig();
        _folder.File("state/fail", "yes");
        using var client = KubernetesClient.Create(configuration, KubernetesTestServer.FastOptions());
        var error = await Assert.ThrowsAsync<KubernetesAuthenticationException>(() => ProbeAsync(client));
        Assert.Contains("exit code 3", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("plugin-secret-output", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task ExecPlugin_MissingCommandOrInteractiveOnly_FailsClearly()
    {
        var configuration = ExecKubeconfig();
        var exec = configuration.Credentials!.Exec!;

        using var missing = KubernetesClient.Create(configuration with
        {
            Credentials = configuration.Credentials with
            {
                Exec = exec with { Command = "no-such-plugin-xyz", InstallHint = "Install it with: brew install xyz" },
            },
        }, KubernetesTestServer.FastOptions());
        var error = await Assert.ThrowsAsync<KubernetesAuthenticationException>(() => ProbeAsync(missing));
        Assert.Contains("no-such-plugin-xyz", error.Message, StringComparison.Ordinal);
        Assert.Contains("brew install xyz", error.Message, StringComparison.Ordinal);

        using var interactive = KubernetesClient.Create(configuration with
        {
            Credentials = configuration.Credentials with { Exec = exec with { InteractiveMode = "Always" } },
        }, KubernetesTestServer.FastOptions());
        error = await Assert.ThrowsAsync<KubernetesAuthenticationException>(() => ProbeAsync(interactive));
        Assert.Contains("interactive", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, PluginRuns);
    }

    [Fact]
    public async Task InCluster_ServiceAccountToken_IsReReadAtLeastEveryMinute_AndAfterA401()
    {
        _server.Security.AddToken("sa-token-1", "system:serviceaccount:ops:operator");
        _server.Security.AddToken("sa-token-2", "system:serviceaccount:ops:operator");
        var serviceAccount = Path.Combine(_folder.Path, "serviceaccount");
        _folder.File("serviceaccount/token", "sa-token-1");
        _folder.File("serviceaccount/ca.crt", _server.CertificateAuthority!.CertificatePem);
        _folder.File("serviceaccount/namespace", "ops\n");
        var configuration = KubernetesConfigurationLoader.Load(new KubernetesConfigurationSource
        {
            ServiceHost = "127.0.0.1",
            ServicePort = _server.BaseAddress.Port.ToString(CultureInfo.InvariantCulture),
            ServiceAccountDirectory = serviceAccount,
        });
        Assert.True(configuration.InCluster);
        Assert.Equal("ops", configuration.Namespace);

        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        using var client = KubernetesClient.Create(configuration, KubernetesTestServer.FastOptions(), timeProvider: time);
        await ProbeAsync(client);
        Assert.Equal("Bearer sa-token-1", _server.Requests[^1].Authorization);

        // The kubelet rotates the token: used within a minute.
        _folder.File("serviceaccount/token", "sa-token-2");
        time.Advance(TimeSpan.FromSeconds(30));
        await ProbeAsync(client);
        Assert.Equal("Bearer sa-token-1", _server.Requests[^1].Authorization);
        time.Advance(TimeSpan.FromSeconds(31));
        await ProbeAsync(client);
        Assert.Equal("Bearer sa-token-2", _server.Requests[^1].Authorization);

        // The old token is revoked before the minute is up: the 401 makes the client read the file again.
        _server.Security.RemoveToken("sa-token-2");
        _server.Security.AddToken("sa-token-3", "system:serviceaccount:ops:operator");
        _folder.File("serviceaccount/token", "sa-token-3");
        _server.ClearRequests();
        await ProbeAsync(client);
        Assert.Equal([401, 404], _server.Requests.Select(r => r.StatusCode));
        Assert.Equal("Bearer sa-token-3", _server.Requests[^1].Authorization);
    }

    [Fact]
    public void InCluster_MissingServiceAccount_IsAClearError()
    {
        var error = Assert.Throws<KubeconfigException>(() => KubernetesConfigurationLoader.LoadInCluster(new KubernetesConfigurationSource
        {
            ServiceHost = "10.0.0.1",
            ServicePort = "443",
            ServiceAccountDirectory = Path.Combine(_folder.Path, "absent"),
        }));
        Assert.Contains("token", error.Message, StringComparison.Ordinal);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class TestStringJson : System.Text.Json.Serialization.JsonSerializerContext;
