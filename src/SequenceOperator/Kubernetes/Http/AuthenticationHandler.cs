using System.Net;
using System.Net.Http.Headers;
using SequenceOperator.Kubernetes.Authentication;

namespace SequenceOperator.Kubernetes.Http;

/// <summary>
/// Adds the bearer token (and hands the client certificate to the transport) for every request; after a 401 it asks
/// the provider for fresh credentials (token file re-read, exec plugin re-run) and tries once more.
/// </summary>
internal sealed class AuthenticationHandler(ICredentialProvider provider) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is not null)
        {
            await request.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        }

        var credential = await provider.GetAsync(cancellationToken).ConfigureAwait(false);
        Apply(request, credential);
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized
            || !await provider.InvalidateAsync(credential, cancellationToken).ConfigureAwait(false))
        {
            return response;
        }

        response.Dispose();
        var retry = await RequestCloner.CloneAsync(request, cancellationToken).ConfigureAwait(false);
        credential = await provider.GetAsync(cancellationToken).ConfigureAwait(false);
        Apply(retry, credential);
        return await base.SendAsync(retry, cancellationToken).ConfigureAwait(false);
    }

    private static void Apply(HttpRequestMessage request, Credential credential)
    {
        request.Headers.Authorization = credential.Token is null ? null : new AuthenticationHeaderValue("Bearer", credential.Token);
        request.Options.Set(KubernetesRequestOptions.Credential, credential);
    }
}
