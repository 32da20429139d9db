using System.Reflection;

namespace SequenceOperator.Kubernetes;

/// <summary>Tunables of the HTTP layer (options pattern; the defaults suit a real cluster).</summary>
internal sealed class KubernetesClientOptions
{
    /// <summary>The <c>User-Agent</c> of every request: <c>sequence-operator/&lt;version&gt;</c>.</summary>
    public string UserAgent { get; set; } = DefaultUserAgent;

    /// <summary>Timeout of one attempt of a non-watch request (headers and body).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries after the first attempt for transient failures (connection errors, 429, 5xx).</summary>
    public int MaxRetryAttempts { get; set; } = 5;

    /// <summary>First backoff delay; doubles per attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Cap of the backoff delay.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Cap of a server's <c>Retry-After</c>; a longer one is waited this long.</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a token read from a file (the service-account token) is used before re-reading it.</summary>
    public TimeSpan TokenFileRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an exec credential plugin may run.</summary>
    public TimeSpan ExecTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Page size (<c>limit</c>) of lists; <c>continue</c> tokens fetch the rest.</summary>
    public int ListPageSize { get; set; } = 500;

    /// <summary><c>sequence-operator/&lt;version&gt;</c> from the assembly's informational version (without build metadata).</summary>
    public static string DefaultUserAgent { get; } = "sequence-operator/" + AssemblyVersion();

    private static string AssemblyVersion()
    {
        var assembly = typeof(KubernetesClientOptions).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString(3)
            ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? version[..plus] : version;
    }
}
