namespace SequenceOperator.Kubernetes.Authentication;

/// <summary>
/// A bearer token read from a file and re-read once its copy is older than the refresh interval (one minute by
/// default, as client-go does: the kubelet rotates projected service-account tokens) or after a 401.
/// A failed re-read keeps the last good token.
/// </summary>
internal sealed class TokenFileSource(string path, TimeSpan refreshInterval, TimeProvider timeProvider)
{
    private readonly Lock _gate = new();
    private string? _token;
    private DateTimeOffset _readAt;

    public string Path { get; } = path;

    public string GetToken(bool forceRefresh = false)
    {
        lock (_gate)
        {
            var now = timeProvider.GetUtcNow();
            if (_token is not null && !forceRefresh && now - _readAt < refreshInterval)
            {
                return _token;
            }

            try
            {
                var token = File.ReadAllText(Path).Trim();
                if (token.Length > 0)
                {
                    _token = token;
                    _readAt = now;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (_token is null)
                {
                    throw new KubernetesAuthenticationException($"The token file '{Path}' could not be read ({e.GetType().Name}).");
                }
            }

            return _token ?? throw new KubernetesAuthenticationException($"The token file '{Path}' is empty.");
        }
    }
}
