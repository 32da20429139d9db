namespace SequenceOperator.Kubernetes.Authentication;

/// <summary>
/// Credentials could not be obtained: an exec plugin failed or printed no usable credential, a token file could not
/// be read, a client certificate could not be loaded. Messages never contain the credential or the plugin's output.
/// </summary>
internal sealed class KubernetesAuthenticationException : Exception
{
    public KubernetesAuthenticationException()
    {
    }

    public KubernetesAuthenticationException(string message)
        : base(message)
    {
    }

    public KubernetesAuthenticationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
