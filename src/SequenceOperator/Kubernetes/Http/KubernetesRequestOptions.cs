using SequenceOperator.Kubernetes.Authentication;

namespace SequenceOperator.Kubernetes.Http;

/// <summary>Per-request flags the handlers read.</summary>
internal static class KubernetesRequestOptions
{
    /// <summary>Set on watch requests: not retried nor timed out by the resilience handler (the informer resumes them).</summary>
    public static readonly HttpRequestOptionsKey<bool> NoRetry = new("SequenceOperator.Kubernetes.NoRetry");

    /// <summary>Set by the authentication handler for the transport handler (which client certificate to present).</summary>
    internal static readonly HttpRequestOptionsKey<Credential> Credential = new("SequenceOperator.Kubernetes.Credential");
}
