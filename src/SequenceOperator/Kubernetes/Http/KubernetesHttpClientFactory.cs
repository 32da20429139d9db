using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SequenceOperator.Kubernetes.Authentication;
using SequenceOperator.Kubernetes.Configuration;

namespace SequenceOperator.Kubernetes.Http;

/// <summary>
/// Builds the <see cref="HttpClient"/> for a configuration: <c>User-Agent</c>, then
/// <see cref="ResilienceHandler"/> (retries) → <see cref="AuthenticationHandler"/> (token, refresh on 401) →
/// <see cref="TransportHandler"/> (TLS, client certificate). The client has no overall timeout (watches are long);
/// non-watch attempts are timed out by the resilience handler.
/// </summary>
internal static class KubernetesHttpClientFactory
{
    public static HttpClient Create(
        KubernetesClientConfiguration configuration,
        KubernetesClientOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        options ??= new KubernetesClientOptions();
        loggerFactory ??= NullLoggerFactory.Instance;
        timeProvider ??= TimeProvider.System;

        var credentials = new CredentialProvider(configuration, options, timeProvider, loggerFactory.CreateLogger<CredentialProvider>());
        var transport = new OwningTransport(new TransportHandler(configuration), credentials);
        var authentication = new AuthenticationHandler(credentials) { InnerHandler = transport };
        var resilience = new ResilienceHandler(options, timeProvider, loggerFactory.CreateLogger<ResilienceHandler>())
        {
            InnerHandler = authentication,
        };

        var client = new HttpClient(resilience, disposeHandler: true)
        {
            BaseAddress = configuration.Server,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        client.DefaultRequestHeaders.UserAgent.Clear();
        client.DefaultRequestHeaders.TryAddWithoutValidation("User-Agent", options.UserAgent);
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    /// <summary>The transport, which also disposes the credential provider (it owns certificates).</summary>
    private sealed class OwningTransport(TransportHandler inner, CredentialProvider credentials) : DelegatingHandler(inner)
    {
        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing)
            {
                credentials.Dispose();
            }
        }
    }
}
