namespace SequenceOperator.Kubernetes.Configuration;

/// <summary>
/// The configuration could not be loaded: a missing or unreadable kubeconfig, invalid YAML, an unknown context,
/// missing files it names. Messages name files, contexts and fields, never their secret contents.
/// </summary>
internal sealed class KubeconfigException : Exception
{
    public KubeconfigException()
    {
    }

    public KubeconfigException(string message)
        : base(message)
    {
    }

    public KubeconfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
