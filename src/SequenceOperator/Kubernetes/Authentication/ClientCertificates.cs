using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace SequenceOperator.Kubernetes.Authentication;

/// <summary>Loads PEM certificates and keys (RSA or EC; PKCS#1, SEC1 or PKCS#8) as kubeconfigs hold them.</summary>
internal static class ClientCertificates
{
    /// <summary>A client certificate with its private key, usable for TLS client authentication on every platform.</summary>
    public static X509Certificate2 FromPem(ReadOnlySpan<byte> certificatePem, ReadOnlySpan<byte> keyPem)
    {
        try
        {
            using var ephemeral = X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(certificatePem), Encoding.UTF8.GetString(keyPem));

            // Round-trip through PKCS#12 so the key is usable by the TLS stack everywhere (not only on Linux).
            return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException)
        {
            throw new KubernetesAuthenticationException("The client certificate or key is not a valid PEM certificate/private key pair.");
        }
        catch (ArgumentException)
        {
            throw new KubernetesAuthenticationException("The client certificate or key is not a valid PEM certificate/private key pair.");
        }
    }

    /// <summary>Every certificate in PEM data (a bundle), or DER data holding one.</summary>
    public static X509Certificate2Collection CertificateAuthorities(ReadOnlySpan<byte> data)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            var text = Encoding.UTF8.GetString(data);
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                collection.ImportFromPem(text);
            }
            else
            {
                collection.Add(X509CertificateLoader.LoadCertificate(data));
            }
        }
        catch (CryptographicException)
        {
            throw new KubernetesAuthenticationException("The certificate-authority data holds no valid certificate.");
        }

        if (collection.Count == 0)
        {
            throw new KubernetesAuthenticationException("The certificate-authority data holds no certificate.");
        }

        return collection;
    }
}
