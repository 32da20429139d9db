using System.Globalization;
using System.Net.Sockets;

namespace SequenceOperator.Kubernetes.Configuration;

/// <summary>
/// Resolves the configuration the way controller-runtime does: <c>--kubeconfig</c>, else <c>KUBECONFIG</c>
/// (merged as kubectl merges), else the in-cluster service account, else <c>~/.kube/config</c>.
/// </summary>
internal static class KubernetesConfigurationLoader
{
    public static KubernetesClientConfiguration Load(KubernetesConfigurationSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!string.IsNullOrWhiteSpace(source.KubeconfigPath))
        {
            return KubeconfigLoader.Load([source.KubeconfigPath], source.Context, mustExist: true);
        }

        if (!string.IsNullOrWhiteSpace(source.KubeconfigVariable))
        {
            var paths = source.KubeconfigVariable
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return KubeconfigLoader.Load(paths, source.Context, mustExist: false);
        }

        if (!string.IsNullOrWhiteSpace(source.ServiceHost) && string.IsNullOrWhiteSpace(source.Context))
        {
            return LoadInCluster(source);
        }

        if (!string.IsNullOrWhiteSpace(source.HomeDirectory))
        {
            var defaultPath = Path.Combine(source.HomeDirectory, ".kube", "config");
            if (File.Exists(defaultPath))
            {
                return KubeconfigLoader.Load([defaultPath], source.Context, mustExist: true);
            }
        }

        throw new KubeconfigException(
            "No Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a pod "
            + "with a service account (KUBERNETES_SERVICE_HOST is not set).");
    }

    /// <summary>
    /// The in-cluster configuration: <c>https://KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT</c>, the
    /// service-account token (as a token file, re-read periodically since the kubelet rotates it), <c>ca.crt</c> and
    /// <c>namespace</c>.
    /// </summary>
    public static KubernetesClientConfiguration LoadInCluster(KubernetesConfigurationSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (string.IsNullOrWhiteSpace(source.ServiceHost) || string.IsNullOrWhiteSpace(source.ServicePort))
        {
            throw new KubeconfigException(
                "In-cluster configuration needs KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT; they are not set.");
        }

        if (!int.TryParse(source.ServicePort, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new KubeconfigException("KUBERNETES_SERVICE_PORT is not a valid port number.");
        }

        var directory = source.ServiceAccountDirectory;
        var tokenPath = Path.Combine(directory, "token");
        var caPath = Path.Combine(directory, "ca.crt");
        var namespacePath = Path.Combine(directory, "namespace");
        if (!File.Exists(tokenPath))
        {
            throw new KubeconfigException($"In-cluster configuration: the service-account token '{tokenPath}' does not exist.");
        }

        var host = source.ServiceHost.Trim();
        if (System.Net.IPAddress.TryParse(host, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            host = "[" + host + "]";
        }

        var @namespace = File.Exists(namespacePath) ? ReadAllText(namespacePath).Trim() : string.Empty;
        return new KubernetesClientConfiguration
        {
            Server = new Uri("https://" + host + ":" + port.ToString(CultureInfo.InvariantCulture)),
            Namespace = @namespace.Length == 0 ? "default" : @namespace,
            CertificateAuthorityData = File.Exists(caPath)
                ? ReadAllBytes(caPath)
                : throw new KubeconfigException($"In-cluster configuration: the service-account CA '{caPath}' does not exist."),
            Credentials = new KubernetesCredentials { TokenFile = tokenPath },
            InCluster = true,
        };
    }

    private static string ReadAllText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeconfigException($"'{path}' could not be read: {e.GetType().Name}.");
        }
    }

    private static byte[] ReadAllBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeconfigException($"'{path}' could not be read: {e.GetType().Name}.");
        }
    }
}
