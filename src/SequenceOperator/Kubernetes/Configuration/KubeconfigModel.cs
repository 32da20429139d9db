using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace SequenceOperator.Kubernetes.Configuration;

// The kubeconfig file format (clientcmd/api/v1), only the fields this client reads. Filled by the source-generated
// KubeconfigJsonContext from the YAML turned into JSON (YamlJson): no reflection, so the operator can be trimmed.
#pragma warning disable CA1812 // instantiated by the JSON source generator
#pragma warning disable CA2227 // collection setters are needed for deserialization

/// <summary>Binds a kubeconfig (as JSON) to the model; unknown fields are ignored, as kubectl does.</summary>
[JsonSourceGenerationOptions(AllowTrailingCommas = false, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(KubeconfigFile))]
internal sealed partial class KubeconfigJsonContext : JsonSerializerContext;

internal sealed class KubeconfigFile
{
    [JsonPropertyName("current-context")]
    public string? CurrentContext { get; set; }

    [JsonPropertyName("clusters")]
    public List<NamedCluster>? Clusters { get; set; }

    [JsonPropertyName("users")]
    public List<NamedUser>? Users { get; set; }

    [JsonPropertyName("contexts")]
    public List<NamedContext>? Contexts { get; set; }
}

internal sealed class NamedCluster
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("cluster")]
    public ClusterEntry? Cluster { get; set; }
}

internal sealed class ClusterEntry
{
    [JsonPropertyName("server")]
    public string? Server { get; set; }

    [JsonPropertyName("certificate-authority")]
    public string? CertificateAuthority { get; set; }

    [JsonPropertyName("certificate-authority-data")]
    public string? CertificateAuthorityData { get; set; }

    [JsonPropertyName("insecure-skip-tls-verify")]
    public bool InsecureSkipTlsVerify { get; set; }

    [JsonPropertyName("tls-server-name")]
    public string? TlsServerName { get; set; }

    [JsonPropertyName("proxy-url")]
    public string? ProxyUrl { get; set; }
}

internal sealed class NamedUser
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("user")]
    public UserEntry? User { get; set; }
}

internal sealed class UserEntry
{
    [JsonPropertyName("token")]
    public string? Token { get; set; }

    [JsonPropertyName("tokenFile")]
    public string? TokenFile { get; set; }

    [JsonPropertyName("client-certificate")]
    public string? ClientCertificate { get; set; }

    [JsonPropertyName("client-certificate-data")]
    public string? ClientCertificateData { get; set; }

    [JsonPropertyName("client-key")]
    public string? ClientKey { get; set; }

    [JsonPropertyName("client-key-data")]
    public string? ClientKeyData { get; set; }

    [JsonPropertyName("exec")]
    public ExecEntry? Exec { get; set; }

    [JsonPropertyName("auth-provider")]
    public JsonObject? AuthProvider { get; set; }

    [JsonPropertyName("username")]
    public string? Username { get; set; }
}

internal sealed class ExecEntry
{
    [JsonPropertyName("command")]
    public string? Command { get; set; }

    [JsonPropertyName("args")]
    public List<string>? Args { get; set; }

    [JsonPropertyName("env")]
    public List<ExecEnvEntry>? Env { get; set; }

    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; set; }

    [JsonPropertyName("installHint")]
    public string? InstallHint { get; set; }

    [JsonPropertyName("provideClusterInfo")]
    public bool ProvideClusterInfo { get; set; }

    [JsonPropertyName("interactiveMode")]
    public string? InteractiveMode { get; set; }
}

internal sealed class ExecEnvEntry
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("value")]
    public string? Value { get; set; }
}

internal sealed class NamedContext
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("context")]
    public ContextEntry? Context { get; set; }
}

internal sealed class ContextEntry
{
    [JsonPropertyName("cluster")]
    public string? Cluster { get; set; }

    [JsonPropertyName("user")]
    public string? User { get; set; }

    [JsonPropertyName("namespace")]
    public string? Namespace { get; set; }
}
