using System.Text;

namespace SequenceOperator.Kubernetes.Configuration;

/// <summary>
/// Where the API server is and how to talk to it, resolved from a kubeconfig or from the in-cluster service account.
/// Built by <see cref="KubernetesConfigurationLoader"/>; turned into an <see cref="HttpClient"/> by
/// <see cref="Http.KubernetesHttpClientFactory"/>. Certificates are kept as PEM bytes (no disposable state here).
/// </summary>
internal sealed record KubernetesClientConfiguration
{
    /// <summary>The API server's base address, e.g. <c>https://10.0.0.1:443</c>.</summary>
    public required Uri Server { get; init; }

    /// <summary>The default namespace: the context's, the service account's, or <c>default</c>.</summary>
    public string Namespace { get; init; } = "default";

    /// <summary>The kubeconfig context used, or null in-cluster.</summary>
    public string? ContextName { get; init; }

    /// <summary>PEM (one or more certificates) to trust for the server instead of the system's roots.</summary>
    public byte[]? CertificateAuthorityData { get; init; }

    /// <summary>Skip server certificate verification (kubeconfig <c>insecure-skip-tls-verify</c>).</summary>
    public bool InsecureSkipTlsVerify { get; init; }

    /// <summary>The name to verify the server certificate against, when it differs from the server's host.</summary>
    public string? TlsServerName { get; init; }

    /// <summary>An explicit proxy (kubeconfig <c>proxy-url</c>); otherwise the usual proxy variables apply.</summary>
    public Uri? ProxyUrl { get; init; }

    /// <summary>How to authenticate; null for anonymous.</summary>
    public KubernetesCredentials? Credentials { get; init; }

    /// <summary>True when built from the in-cluster service account.</summary>
    public bool InCluster { get; init; }
}

/// <summary>
/// User credentials. Any combination the kubeconfig allows: a client certificate with a bearer token from
/// <see cref="Token"/>, <see cref="TokenFile"/> (re-read periodically; wins over <see cref="Token"/>) or an
/// <see cref="Exec"/> plugin (wins over both). <see cref="ToString"/> never prints secret values.
/// </summary>
internal sealed record KubernetesCredentials
{
    public string? Token { get; init; }

    public string? TokenFile { get; init; }

    /// <summary>PEM client certificate (its chain may follow).</summary>
    public byte[]? ClientCertificateData { get; init; }

    /// <summary>PEM private key (RSA or EC; PKCS#1, SEC1 or PKCS#8).</summary>
    public byte[]? ClientKeyData { get; init; }

    public ExecConfiguration? Exec { get; init; }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Token = ").Append(Token is null ? "null" : "<redacted>")
            .Append(", TokenFile = ").Append(TokenFile ?? "null")
            .Append(", ClientCertificate = ").Append(ClientCertificateData is null ? "null" : "<set>")
            .Append(", ClientKey = ").Append(ClientKeyData is null ? "null" : "<redacted>")
            .Append(", Exec = ").Append(Exec?.ToString() ?? "null");
        return true;
    }
}

/// <summary>A kubeconfig <c>exec</c> credential plugin.</summary>
internal sealed record ExecConfiguration
{
    /// <summary>The program: absolute, relative to the kubeconfig's folder (when it contains a slash), or looked up in PATH.</summary>
    public required string Command { get; init; }

    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Extra environment variables for the plugin (values may be secret: never printed).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; init; } = [];

    /// <summary><c>client.authentication.k8s.io/v1</c> or <c>client.authentication.k8s.io/v1beta1</c>.</summary>
    public required string ApiVersion { get; init; }

    /// <summary><c>Never</c>, <c>IfAvailable</c> or <c>Always</c> (an operator is never interactive).</summary>
    public string InteractiveMode { get; init; } = "IfAvailable";

    public bool ProvideClusterInfo { get; init; }

    public string? InstallHint { get; init; }

    /// <summary>The folder the command and relative paths resolve against.</summary>
    public string? BaseDirectory { get; init; }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Command = ").Append(Command)
            .Append(", ApiVersion = ").Append(ApiVersion)
            .Append(", Arguments = ").Append(Arguments.Count)
            .Append(", Environment = [").AppendJoin(", ", Environment.Select(e => e.Key)).Append(']');
        return true;
    }
}
