using System.Text.Json.Serialization;

namespace SequenceOperator.Kubernetes.Authentication;

/// <summary>
/// <c>client.authentication.k8s.io/v1</c> (or <c>v1beta1</c>) <c>ExecCredential</c>: sent to a plugin in the
/// <c>KUBERNETES_EXEC_INFO</c> variable (spec only) and read back from its standard output (status).
/// Holds secrets: never log it (the record's <c>ToString</c> is redacted).
/// </summary>
internal sealed record ExecCredential
{
    public string? ApiVersion { get; init; }

    public string? Kind { get; init; } = "ExecCredential";

    public ExecCredentialSpec? Spec { get; init; }

    public ExecCredentialStatus? Status { get; init; }

    public override string ToString() => $"ExecCredential {{ ApiVersion = {ApiVersion} }}";
}

/// <summary>What the client tells the plugin.</summary>
internal sealed record ExecCredentialSpec
{
    /// <summary>Always false here: an operator has no terminal.</summary>
    public bool Interactive { get; init; }

    public ExecCluster? Cluster { get; init; }
}

/// <summary>The cluster, passed when the kubeconfig's exec sets <c>provideClusterInfo</c>.</summary>
internal sealed record ExecCluster
{
    public string? Server { get; init; }

    [JsonPropertyName("tls-server-name")]
    public string? TlsServerName { get; init; }

    [JsonPropertyName("insecure-skip-tls-verify")]
    public bool? InsecureSkipTlsVerify { get; init; }

    [JsonPropertyName("certificate-authority-data")]
    public byte[]? CertificateAuthorityData { get; init; }

    [JsonPropertyName("proxy-url")]
    public string? ProxyUrl { get; init; }
}

/// <summary>What the plugin answers: a bearer token, or a client certificate and key (PEM), and when they expire.</summary>
internal sealed record ExecCredentialStatus
{
    public string? Token { get; init; }

    public string? ClientCertificateData { get; init; }

    public string? ClientKeyData { get; init; }

    public DateTimeOffset? ExpirationTimestamp { get; init; }

    public override string ToString() => "ExecCredentialStatus { <redacted> }";
}
