using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using SequenceOperator.Kubernetes.Authentication;
using SequenceOperator.Kubernetes.Configuration;

namespace SequenceOperator.Kubernetes.Http;

/// <summary>
/// The sockets layer: TLS verification against the configured certificate authorities (or the system's, or none
/// with <c>insecure-skip-tls-verify</c>), and the client certificate. Pooled TLS connections keep the certificate
/// they were opened with, so when the credential's certificate changes (an exec plugin rotated it) a new inner
/// handler — with new connections — takes over; the old ones close when idle and are disposed with this handler.
/// </summary>
internal sealed class TransportHandler : HttpMessageHandler
{
    private readonly KubernetesClientConfiguration _configuration;
    private readonly X509Certificate2Collection? _authorities;
    private readonly Lock _gate = new();
    private readonly List<HttpMessageInvoker> _retired = [];
    private HttpMessageInvoker? _current;
    private X509Certificate2? _currentCertificate;

    public TransportHandler(KubernetesClientConfiguration configuration)
    {
        _configuration = configuration;
        if (!configuration.InsecureSkipTlsVerify && configuration.CertificateAuthorityData is { Length: > 0 } data)
        {
            _authorities = ClientCertificates.CertificateAuthorities(data);
        }
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Options.TryGetValue(KubernetesRequestOptions.Credential, out var credential);
        return Invoker(credential?.ClientCertificate).SendAsync(request, cancellationToken);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                _current?.Dispose();
                foreach (var invoker in _retired)
                {
                    invoker.Dispose();
                }

                _retired.Clear();
                _authorities?.Clear();
            }
        }

        base.Dispose(disposing);
    }

    private HttpMessageInvoker Invoker(X509Certificate2? certificate)
    {
        lock (_gate)
        {
            if (_current is not null && ReferenceEquals(certificate, _currentCertificate))
            {
                return _current;
            }

            if (_current is not null)
            {
                _retired.Add(_current);
            }

            _current = new HttpMessageInvoker(CreateSocketsHandler(certificate), disposeHandler: true);
            _currentCertificate = certificate;
            return _current;
        }
    }

    private SocketsHttpHandler CreateSocketsHandler(X509Certificate2? certificate)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            AutomaticDecompression = DecompressionMethods.GZip,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = ValidateServerCertificate,
            },
        };
        if (certificate is not null)
        {
            handler.SslOptions.ClientCertificates = [certificate];
        }

        if (_configuration.ProxyUrl is not null)
        {
            handler.Proxy = new WebProxy(_configuration.ProxyUrl);
            handler.UseProxy = true;
        }

        return handler;
    }

    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_configuration.InsecureSkipTlsVerify)
        {
            return true;
        }

        if (certificate is null)
        {
            return false;
        }

        var name = _configuration.TlsServerName ?? _configuration.Server.IdnHost.Trim('[', ']');
        if (_authorities is null)
        {
            // System roots: the platform already built the chain and checked the name against the URL's host.
            if (_configuration.TlsServerName is null)
            {
                return errors == SslPolicyErrors.None;
            }

            return (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None
                && AsCertificate2(certificate).MatchesHostname(name);
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var leaf = AsCertificate2(certificate);
        return custom.Build(leaf) && leaf.MatchesHostname(name);
    }

    private static X509Certificate2 AsCertificate2(X509Certificate certificate) =>
        certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
}
