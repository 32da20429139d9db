namespace SequenceOperator.Kubernetes.Configuration;

/// <summary>
/// Where <see cref="KubernetesConfigurationLoader"/> looks, captured once (from the command line and the
/// environment) so loading itself reads no process-wide state and tests can point it anywhere.
/// </summary>
internal sealed record KubernetesConfigurationSource
{
    public const string DefaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary><c>--kubeconfig</c>: used alone, and it must exist.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary><c>--context</c>: the kubeconfig context to use instead of <c>current-context</c>.</summary>
    public string? Context { get; init; }

    /// <summary>The value of <c>KUBECONFIG</c>: a list of files separated by the platform's path separator, merged.</summary>
    public string? KubeconfigVariable { get; init; }

    /// <summary>The user's home folder, for <c>~/.kube/config</c>.</summary>
    public string? HomeDirectory { get; init; }

    /// <summary><c>KUBERNETES_SERVICE_HOST</c>.</summary>
    public string? ServiceHost { get; init; }

    /// <summary><c>KUBERNETES_SERVICE_PORT</c>.</summary>
    public string? ServicePort { get; init; }

    /// <summary>The service-account folder holding <c>token</c>, <c>ca.crt</c> and <c>namespace</c>.</summary>
    public string ServiceAccountDirectory { get; init; } = DefaultServiceAccountDirectory;

    /// <summary>Captures the process environment.</summary>
    public static KubernetesConfigurationSource FromEnvironment(string? kubeconfigPath = null, string? context = null) => new()
    {
        KubeconfigPath = kubeconfigPath,
        Context = context,
        KubeconfigVariable = Environment.GetEnvironmentVariable("KUBECONFIG"),
        HomeDirectory = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } home
            ? home
            : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
        ServiceHost = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"),
        ServicePort = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT"),
    };
}
