using System.Security.Cryptography.X509Certificates;

namespace SequenceOperator.Kubernetes.Authentication;

/// <summary>
/// What one request authenticates with: a bearer token and/or a client certificate. <see cref="Generation"/> tells
/// apart successive credentials of one provider, so a 401 only invalidates the credential it was answered for.
/// </summary>
internal sealed class Credential(string? token, X509Certificate2? clientCertificate, long generation)
{
    public static Credential None { get; } = new(null, null, 0);

    public string? Token { get; } = token;

    public X509Certificate2? ClientCertificate { get; } = clientCertificate;

    public long Generation { get; } = generation;

    public override string ToString() =>
        $"Credential {{ Token = {(Token is null ? "none" : "<redacted>")}, ClientCertificate = {ClientCertificate?.Subject ?? "none"} }}";
}

/// <summary>Supplies the credential for each request and refreshes it after a 401.</summary>
internal interface ICredentialProvider
{
    ValueTask<Credential> GetAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The server answered 401 to a request made with <paramref name="used"/>. Returns true when a fresh credential
    /// may now be had (re-read token file, re-run exec plugin), i.e. one more attempt makes sense.
    /// </summary>
    ValueTask<bool> InvalidateAsync(Credential used, CancellationToken cancellationToken);
}
