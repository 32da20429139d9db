using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SequenceOperator.Testing.Kubernetes;

/// <summary>Which key a generated certificate gets.</summary>
public enum TestKeyType
{
    EcdsaP256,
    Rsa2048,
}

/// <summary>
/// A throwaway certificate authority made in-process: it signs the double's serving certificate (127.0.0.1,
/// localhost) and client certificates (CN = user name, O = groups), as a cluster's CA does.
/// </summary>
public sealed class TestCertificateAuthority : IDisposable
{
    private readonly ECDsa _key;

    public TestCertificateAuthority(string name = "test-kubernetes-ca")
    {
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>The CA certificate (with its key).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CA certificate as PEM, for <c>certificate-authority(-data)</c> and <c>ca.crt</c>.</summary>
    public string CertificatePem => Certificate.ExportCertificatePem();

    /// <summary>A serving certificate for the given DNS names and IP addresses.</summary>
    public X509Certificate2 IssueServerCertificate(
        IEnumerable<string> dnsNames,
        IEnumerable<IPAddress> addresses,
        TestKeyType keyType = TestKeyType.EcdsaP256)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(addresses);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var dns in dnsNames)
        {
            san.AddDnsName(dns);
        }

        foreach (var address in addresses)
        {
            san.AddIpAddress(address);
        }

        return Issue("CN=kube-apiserver", keyType, [san.Build()], new Oid("1.3.6.1.5.5.7.3.1"), out _);
    }

    /// <summary>A client certificate for <paramref name="user"/>, returned as PEM certificate and PEM key.</summary>
    public (
        string CertificatePem,
        string KeyPem) IssueClientCertificatePem(string user, TestKeyType keyType = TestKeyType.EcdsaP256, string? group = null)
    {
        var subject = "CN=" + user + (group is null ? string.Empty : ", O=" + group);
        using var certificate = Issue(subject, keyType, [], new Oid("1.3.6.1.5.5.7.3.2"), out var keyPem);
        return (certificate.ExportCertificatePem(), keyPem);
    }

    /// <summary>True when <paramref name="certificate"/> was issued by this CA and is valid now.</summary>
    public bool Verifies(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        return chain.Build(certificate);
    }

    public void Dispose()
    {
        Certificate.Dispose();
        _key.Dispose();
    }

    private X509Certificate2 Issue(string subject, TestKeyType keyType, IEnumerable<X509Extension> extensions, Oid usage, out string keyPem)
    {
        using AsymmetricAlgorithm key = keyType == TestKeyType.Rsa2048 ? RSA.Create(2048) : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = key switch
        {
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
            _ => throw new InvalidOperationException(),
        };
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment,
            true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        foreach (var extension in extensions)
        {
            request.CertificateExtensions.Add(extension);
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        using var signed = request.Create(
            Certificate.SubjectName,
            X509SignatureGenerator.CreateForECDsa(_key),
            DateTimeOffset.UtcNow.AddMinutes(-5),
            DateTimeOffset.UtcNow.AddDays(30),
            serial);

        // PKCS#1 "RSA PRIVATE KEY" and SEC1 "EC PRIVATE KEY", the forms kubeadm and most tools write.
        keyPem = key switch
        {
            RSA rsa => rsa.ExportRSAPrivateKeyPem(),
            ECDsa ec => ec.ExportECPrivateKeyPem(),
            _ => throw new InvalidOperationException(),
        };
        using var withKey = key switch
        {
            RSA rsa => signed.CopyWithPrivateKey(rsa),
            ECDsa ec => signed.CopyWithPrivateKey(ec),
            _ => throw new InvalidOperationException(),
        };
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
