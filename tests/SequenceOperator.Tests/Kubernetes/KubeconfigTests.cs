using System.Text;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Configuration;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Testing.Kubernetes;

namespace SequenceOperator.Tests.Kubernetes;

public sealed class KubeconfigTests : IAsyncLifetime
{
    private readonly TempFolder _folder = new();
    private FakeKubeApiServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeKubeApiServer.StartAsync(new FakeKubeApiServerOptions { RequireAuthentication = true });
        _server.Security.AddToken("kubeconfig-token", "alice");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _folder.Dispose();
    }

    private string CaData => Convert.ToBase64String(Encoding.ASCII.GetBytes(_server.CertificateAuthority!.CertificatePem));

    private static string Kubeconfig(string cluster, string user, string currentContext = "test", string contextExtra = "") => $"""
        apiVersion: v1
        kind: Config
        current-context: {currentContext}
        clusters:
        - name: test-cluster
          cluster:
        {cluster}
        users:
        - name: test-user
          user:
        {user}
        contexts:
        - name: test
          context:
            cluster: test-cluster
            user: test-user
        {contextExtra}
        """;

    private async Task<RecordedRequest> GetOnceAsync(KubernetesClientConfiguration configuration, TimeProvider? time = null)
    {
        using var client = KubernetesClient.Create(configuration, KubernetesTestServer.FastOptions(), timeProvider: time);
        _server.ClearRequests();
        await client.TryGetAsync(ResourceType.Secrets, "default", "probe", KubernetesJsonContext.Default.Secret);
        return _server.Requests[^1];
    }

    private KubernetesClientConfiguration Load(string yaml, string? context = null) =>
        KubernetesConfigurationLoader.Load(new KubernetesConfigurationSource { KubeconfigPath = _folder.File(
            "config",
            yaml), Context = context });

    [Fact]
    public async Task Kubeconfig_TokenWithCertificateAuthorityData_Authenticates()
    {
        var configuration = Load(Kubeconfig(
            $"    server: {_server.BaseAddress}\n    certificate-authority-data: {CaData}",
            "    token: kubeconfig-token",
            contextExtra: "    namespace: apps"));
        Assert.Equal("apps", configuration.Namespace);
        Assert.Equal("test", configuration.ContextName);
        Assert.DoesNotContain("kubeconfig-token", configuration.ToString(), StringComparison.Ordinal);

        var request = await GetOnceAsync(configuration);
        Assert.Equal(404, request.StatusCode);
        Assert.Equal("alice", request.User);
    }

    [Fact]
    public async Task Kubeconfig_TokenFileAndCertificateAuthorityFile_ResolveAgainstTheKubeconfigFolder()
    {
        _folder.File("secrets/token", "kubeconfig-token\n");
        _folder.File("pki/ca.crt", _server.CertificateAuthority!.CertificatePem);
        var configuration = Load(Kubeconfig(
            $"    server: {_server.BaseAddress}\n    certificate-authority: pki/ca.crt",
            "    tokenFile: secrets/token"));
        Assert.Equal(Path.Combine(_folder.Path, "secrets", "token"), configuration.Credentials!.TokenFile);
        Assert.Equal("Bearer kubeconfig-token", (await GetOnceAsync(configuration)).Authorization);
    }

    [Theory]
    [InlineData(TestKeyType.Rsa2048, false)]
    [InlineData(TestKeyType.EcdsaP256, false)]
    [InlineData(TestKeyType.EcdsaP256, true)]
    public async Task Kubeconfig_ClientCertificate_AuthenticatesWithTheCertificate(TestKeyType keyType, bool pkcs8)
    {
        var (certificate, key) = _server.CertificateAuthority!.IssueClientCertificatePem("bob", keyType, "system:masters");
        if (pkcs8)
        {
            using var ec = System.Security.Cryptography.ECDsa.Create();
            ec.ImportFromPem(key);
            key = ec.ExportPkcs8PrivateKeyPem();
        }

        _folder.File("bob.crt", certificate);
        _folder.File("bob.key", key);
        var configuration = Load(Kubeconfig(
            $"    server: {_server.BaseAddress}\n    certificate-authority-data: {CaData}",
            keyType == TestKeyType.Rsa2048
                ? "    client-certificate: bob.crt\n    client-key: bob.key"
                : $"    client-certificate-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate))}\n    client-key-data: "
                    + $"{Convert.ToBase64String(Encoding.ASCII.GetBytes(key))}"));

        var request = await GetOnceAsync(configuration);
        Assert.Equal("bob", request.User);
        Assert.Null(request.Authorization);
        Assert.Equal(404, request.StatusCode);
    }

    [Fact]
    public async Task Kubeconfig_ClientCertificateFromAnotherAuthority_IsUnauthorized()
    {
        using var other = new TestCertificateAuthority("someone-else");
        var (certificate, key) = other.IssueClientCertificatePem("mallory");
        var configuration = Load(Kubeconfig(
            $"    server: {_server.BaseAddress}\n    certificate-authority-data: {CaData}",
            $"    client-certificate-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(certificate))}\n    client-key-data: "
                + $"{Convert.ToBase64String(Encoding.ASCII.GetBytes(key))}"));
        using var client = KubernetesClient.Create(configuration, KubernetesTestServer.FastOptions());
        await Assert.ThrowsAsync<UnauthorizedException>(() => client.GetAsync(
            ResourceType.Secrets,
            "default",
            "x",
            KubernetesJsonContext.Default.Secret));
    }

    [Fact]
    public async Task Tls_ServerFromAnUnknownAuthority_IsRejected_UnlessVerificationIsSkipped()
    {
        using var other = new TestCertificateAuthority("not-the-cluster-ca");
        var wrongCa = Convert.ToBase64String(Encoding.ASCII.GetBytes(other.CertificatePem));
        using var logs = new CapturingLoggerProvider();
        foreach (var cluster in new[]
        {
            $"    server: {_server.BaseAddress}",
            $"    server: {_server.BaseAddress}\n    certificate-authority-data: {wrongCa}",
        })
        {
            using var client = KubernetesClient.Create(
                Load(Kubeconfig(cluster, "    token: kubeconfig-token")),
                KubernetesTestServer.FastOptions(),
                logs);
            var error = await Assert.ThrowsAsync<HttpRequestException>(
                () => client.GetAsync(ResourceType.Secrets, "default", "x", KubernetesJsonContext.Default.Secret));
            Assert.Equal(HttpRequestError.SecureConnectionError, error.HttpRequestError);
        }

        // A certificate that fails verification is not retried (it would fail again).
        Assert.DoesNotContain(logs.Entries, e => e.Text.Contains("retry", StringComparison.Ordinal));

        var insecure = Load(Kubeconfig(
            $"    server: {_server.BaseAddress}\n    insecure-skip-tls-verify: true",
            "    token: kubeconfig-token"));
        Assert.Equal(404, (await GetOnceAsync(insecure)).StatusCode);
    }

    [Fact]
    public async Task Tls_ServerName_IsVerifiedAgainstTlsServerName()
    {
        var good = Load(Kubeconfig(
            $"    server: {_server.BaseAddress}\n    certificate-authority-data: {CaData}\n    tls-server-name: localhost",
            "    token: kubeconfig-token"));
        Assert.Equal(404, (await GetOnceAsync(good)).StatusCode);

        var bad = Load(Kubeconfig(
            $"    server: {_server.BaseAddress}\n    certificate-authority-data: {CaData}\n    tls-server-name: kubernetes.example.com",
            "    token: kubeconfig-token"));
        using var client = KubernetesClient.Create(bad, KubernetesTestServer.FastOptions());
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(
            ResourceType.Secrets,
            "default",
            "x",
            KubernetesJsonContext.Default.Secret));
    }

    [Fact]
    public void KubeconfigVariable_MergesFiles_FirstDefinitionAndFirstCurrentContextWin()
    {
        var first = _folder.File("one/config", """
            current-context: from-one
            clusters:
            - name: shared
              cluster:
                server: https://one.example:6443
            contexts:
            - name: from-one
              context:
                cluster: shared
                namespace: one
            """);
        var second = _folder.File("two/config", """
            current-context: from-two
            clusters:
            - name: shared
              cluster:
                server: https://two.example:6443
            - name: only-two
              cluster:
                server: https://only-two.example
                certificate-authority: ca.crt
            users:
            - name: two-user
              user:
                tokenFile: token
            contexts:
            - name: from-two
              context:
                cluster: only-two
                user: two-user
            """);
        _folder.File("two/ca.crt", _server.CertificateAuthority!.CertificatePem);
        _folder.File("two/token", "t");
        var variable = string.Join(Path.PathSeparator, first, Path.Combine(_folder.Path, "missing"), second);

        var merged = KubernetesConfigurationLoader.Load(new KubernetesConfigurationSource
        {
            KubeconfigVariable = variable,
            ServiceHost = "10.0.0.1",
        });
        Assert.Equal("from-one", merged.ContextName);
        Assert.Equal(new Uri("https://one.example:6443"), merged.Server);
        Assert.Equal("one", merged.Namespace);
        Assert.Null(merged.Credentials);

        var named = KubernetesConfigurationLoader.Load(new KubernetesConfigurationSource
        {
            KubeconfigVariable = variable,
            Context = "from-two",
        });
        Assert.Equal(new Uri("https://only-two.example"), named.Server);
        Assert.Equal(Path.Combine(_folder.Path, "two", "token"), named.Credentials!.TokenFile);
        Assert.Equal(_server.CertificateAuthority.CertificatePem, Encoding.ASCII.GetString(named.CertificateAuthorityData!));
        Assert.Equal("default", named.Namespace);
    }

    [Fact]
    public void Loader_PrefersExplicitPath_ThenVariable_ThenInCluster_ThenHome()
    {
        var explicitPath = _folder.File("explicit", Kubeconfig("    server: https://explicit.example", "    token: a"));
        var variablePath = _folder.File("variable", Kubeconfig("    server: https://variable.example", "    token: a"));
        _folder.File("home/.kube/config", Kubeconfig("    server: https://home.example", "    token: a"));
        var serviceAccount = Path.Combine(_folder.Path, "sa");
        _folder.File("sa/token", "sa-token");
        _folder.File("sa/ca.crt", _server.CertificateAuthority!.CertificatePem);
        var all = new KubernetesConfigurationSource
        {
            KubeconfigPath = explicitPath,
            KubeconfigVariable = variablePath,
            ServiceHost = "10.96.0.1",
            ServicePort = "443",
            ServiceAccountDirectory = serviceAccount,
            HomeDirectory = Path.Combine(_folder.Path, "home"),
        };

        Assert.Equal("explicit.example", KubernetesConfigurationLoader.Load(all).Server.Host);
        Assert.Equal("variable.example", KubernetesConfigurationLoader.Load(all with { KubeconfigPath = null }).Server.Host);
        var inCluster = KubernetesConfigurationLoader.Load(all with { KubeconfigPath = null, KubeconfigVariable = null });
        Assert.True(inCluster.InCluster);
        Assert.Equal(new Uri("https://10.96.0.1:443"), inCluster.Server);
        Assert.Equal(
            "home.example",
            KubernetesConfigurationLoader.Load(
                all with { KubeconfigPath = null, KubeconfigVariable = null, ServiceHost = null }).Server.Host);
        Assert.Throws<KubeconfigException>(
            () => KubernetesConfigurationLoader.Load(new KubernetesConfigurationSource { HomeDirectory = _folder.Path }));
    }

    [Fact]
    public void Kubeconfig_Errors_AreClearAndHoldNoSecrets()
    {
        var missing = Path.Combine(_folder.Path, "nope");
        var error = Assert.Throws<KubeconfigException>(
            () => KubernetesConfigurationLoader.Load(new KubernetesConfigurationSource { KubeconfigPath = missing }));
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);

        var broken = _folder.File("broken", "users:\n- name: u\n  user:\n    token: super-secret-token\n  : [unbalanced\n");
        error = Assert.Throws<KubeconfigException>(
            () => KubernetesConfigurationLoader.Load(new KubernetesConfigurationSource { KubeconfigPath = broken }));
        Assert.Contains("not a valid kubeconfig", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("super-secret-token", error.ToString(), StringComparison.Ordinal);

        error = Assert.Throws<KubeconfigException>(() => Load(
            Kubeconfig("    server: https://x.example", "    token: super-secret-token"),
            context: "staging"));
        Assert.Contains("'staging' does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("test", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("super-secret-token", error.ToString(), StringComparison.Ordinal);

        error = Assert.Throws<KubeconfigException>(() => Load(Kubeconfig("    server: https://x.example", "    tokenFile: absent-token")));
        Assert.Contains("absent-token", error.Message, StringComparison.Ordinal);

        error = Assert.Throws<KubeconfigException>(() => Load(Kubeconfig(
            "    server: https://x.example", "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: get-token")));
        Assert.Contains("interactiveMode", error.Message, StringComparison.Ordinal);

        // Unreadable for every user, root included: the path names a folder, not a file.
        var folder = Directory.CreateDirectory(Path.Combine(
            Path.GetDirectoryName(_folder.File("marker", string.Empty))!,
            "a-folder")).FullName;
        error = Assert.Throws<KubeconfigException>(
            () => KubernetesConfigurationLoader.Load(new KubernetesConfigurationSource { KubeconfigPath = folder }));
        Assert.Contains("could not be read", error.Message, StringComparison.Ordinal);

        if (!OperatingSystem.IsWindows() && Environment.UserName != "root")
        {
            var unreadable = _folder.File("unreadable", "current-context: x");
            File.SetUnixFileMode(unreadable, UnixFileMode.None);
            error = Assert.Throws<KubeconfigException>(
                () => KubernetesConfigurationLoader.Load(new KubernetesConfigurationSource { KubeconfigPath = unreadable }));
            Assert.Contains("could not be read", error.Message, StringComparison.Ordinal);
        }
    }
}
