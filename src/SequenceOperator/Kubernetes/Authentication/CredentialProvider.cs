using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Logging;
using SequenceOperator.Kubernetes.Configuration;
using SequenceOperator.Logging;

namespace SequenceOperator.Kubernetes.Authentication;

/// <summary>
/// The credential provider for a configuration: a static client certificate, and a bearer token from (by precedence)
/// an exec plugin, a token file, or the kubeconfig. Exec credentials are cached until their
/// <c>expirationTimestamp</c> and the plugin re-runs after a 401; token files are re-read at least every
/// <see cref="KubernetesClientOptions.TokenFileRefreshInterval"/> and after a 401.
/// </summary>
internal sealed partial class CredentialProvider : ICredentialProvider, IDisposable
{
    private readonly KubernetesClientConfiguration _configuration;
    private readonly KubernetesClientOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly X509Certificate2? _staticCertificate;
    private readonly TokenFileSource? _tokenFile;
    private readonly SemaphoreSlim _execGate = new(1, 1);
    private readonly List<X509Certificate2> _execCertificates = [];
    private Credential? _execCredential;
    private DateTimeOffset? _execExpiry;
    private long _generation;
    private string? _lastFileToken;

    public CredentialProvider(
        KubernetesClientConfiguration configuration, KubernetesClientOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _configuration = configuration;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        var credentials = configuration.Credentials;
        if (credentials?.ClientCertificateData is { } certificate && credentials.ClientKeyData is { } key)
        {
            _staticCertificate = ClientCertificates.FromPem(certificate, key);
        }

        if (credentials?.TokenFile is { } tokenFile)
        {
            _tokenFile = new TokenFileSource(tokenFile, options.TokenFileRefreshInterval, timeProvider);
        }
    }

    public async ValueTask<Credential> GetAsync(CancellationToken cancellationToken)
    {
        var credentials = _configuration.Credentials;
        if (credentials is null)
        {
            return Credential.None;
        }

        if (credentials.Exec is not null)
        {
            return await GetExecCredentialAsync(credentials.Exec, cancellationToken).ConfigureAwait(false);
        }

        if (_tokenFile is not null)
        {
            var token = _tokenFile.GetToken();
            return new Credential(token, _staticCertificate, TokenGeneration(token));
        }

        return new Credential(credentials.Token, _staticCertificate, 0);
    }

    public async ValueTask<bool> InvalidateAsync(Credential used, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(used);
        var credentials = _configuration.Credentials;
        if (credentials?.Exec is not null)
        {
            await _execGate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_execCredential is not null && _execCredential.Generation == used.Generation)
                {
                    LogExecInvalidated(_logger, credentials.Exec.Command);
                    _execCredential = null;
                }

                return true;
            }
            finally
            {
                _execGate.Release();
            }
        }

        if (_tokenFile is not null)
        {
            var token = _tokenFile.GetToken(forceRefresh: true);
            return !string.Equals(token, used.Token, StringComparison.Ordinal);
        }

        return false;
    }

    public void Dispose()
    {
        _staticCertificate?.Dispose();
        foreach (var certificate in _execCertificates)
        {
            certificate.Dispose();
        }

        _execGate.Dispose();
    }

    private long TokenGeneration(string token)
    {
        lock (_execCertificates)
        {
            if (!string.Equals(token, _lastFileToken, StringComparison.Ordinal))
            {
                _lastFileToken = token;
                _generation++;
            }

            return _generation;
        }
    }

    private async ValueTask<Credential> GetExecCredentialAsync(ExecConfiguration exec, CancellationToken cancellationToken)
    {
        var cached = _execCredential;
        if (cached is not null && !Expired())
        {
            return cached;
        }

        await _execGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_execCredential is not null && !Expired())
            {
                return _execCredential;
            }

            LogExecRunning(_logger, exec.Command);
            var status = await ExecPlugin.RunAsync(exec, _configuration, _options.ExecTimeout, cancellationToken).ConfigureAwait(false);
            var certificate = _staticCertificate;
            if (!string.IsNullOrEmpty(status.ClientCertificateData) && !string.IsNullOrEmpty(status.ClientKeyData))
            {
                certificate = ClientCertificates.FromPem(
                    Encoding.UTF8.GetBytes(status.ClientCertificateData), Encoding.UTF8.GetBytes(status.ClientKeyData));
                lock (_execCertificates)
                {
                    _execCertificates.Add(certificate);
                }
            }

            long generation;
            lock (_execCertificates)
            {
                generation = ++_generation;
            }

            _execExpiry = status.ExpirationTimestamp;
            _execCredential = new Credential(string.IsNullOrEmpty(status.Token) ? null : status.Token, certificate, generation);
            return _execCredential;
        }
        finally
        {
            _execGate.Release();
        }
    }

    private bool Expired() => _execExpiry is { } expiry && _timeProvider.GetUtcNow() >= expiry;

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.ExecRunning,
        Level = LogLevel.Debug,
        Message = "Running the exec credential plugin {Command}")]
    private static partial void LogExecRunning(ILogger logger, string command);

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.ExecInvalidated,
        Level = LogLevel.Information,
        Message = "The API server rejected the exec plugin {Command}'s credential (401); it will run again")]
    private static partial void LogExecInvalidated(ILogger logger, string command);
}
