using System.Text.Json;
using YamlDotNet.Core;

namespace SequenceOperator.Kubernetes.Configuration;

/// <summary>
/// Reads and merges kubeconfig files as kubectl does: for clusters, users and contexts the first file that defines
/// a name wins; <c>current-context</c> comes from the first file that sets it; relative paths resolve against the
/// folder of the file that holds them. Files named in <c>KUBECONFIG</c> that do not exist are skipped.
/// </summary>
internal static class KubeconfigLoader
{
    public static KubernetesClientConfiguration Load(IReadOnlyList<string> paths, string? context, bool mustExist)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var merged = new Merged();
        var loaded = 0;
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path);
            if (Directory.Exists(full))
            {
                throw new KubeconfigException($"The kubeconfig path '{full}' is a folder and could not be read as a file.");
            }

            if (!File.Exists(full))
            {
                if (mustExist)
                {
                    throw new KubeconfigException($"The kubeconfig file '{full}' does not exist.");
                }

                continue;
            }

            Merge(merged, Parse(full), Path.GetDirectoryName(full) ?? ".");
            loaded++;
        }

        if (loaded == 0)
        {
            throw new KubeconfigException($"None of the kubeconfig files exist: {string.Join(", ", paths)}.");
        }

        return Resolve(merged, context, paths);
    }

    private static KubeconfigFile Parse(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeconfigException($"The kubeconfig file '{path}' could not be read ({e.GetType().Name}).");
        }

        try
        {
            return YamlJson.Parse(text) is { } json ? json.Deserialize(KubeconfigJsonContext.Default.KubeconfigFile)
                ?? new KubeconfigFile() : new KubeconfigFile();
        }
        catch (YamlException e)
        {
            // The parser's message can quote the offending text, which may be a token: report the position only.
            throw new KubeconfigException(
                $"The kubeconfig file '{path}' is not a valid kubeconfig (YAML error at line {e.Start.Line}, column {e.Start.Column}).");
        }
        catch (JsonException e)
        {
            // Likewise: the field, never its value.
            throw new KubeconfigException(
                $"The kubeconfig file '{path}' is not a valid kubeconfig (wrong type of value at {e.Path ?? "the top level"}).");
        }
    }

    private static void Merge(Merged merged, KubeconfigFile file, string directory)
    {
        if (merged.CurrentContext is null && !string.IsNullOrEmpty(file.CurrentContext))
        {
            merged.CurrentContext = file.CurrentContext;
        }

        foreach (var cluster in file.Clusters ?? [])
        {
            if (!string.IsNullOrEmpty(cluster.Name) && cluster.Cluster is not null)
            {
                merged.Clusters.TryAdd(cluster.Name, (cluster.Cluster, directory));
            }
        }

        foreach (var user in file.Users ?? [])
        {
            if (!string.IsNullOrEmpty(user.Name))
            {
                merged.Users.TryAdd(user.Name, (user.User ?? new UserEntry(), directory));
            }
        }

        foreach (var ctx in file.Contexts ?? [])
        {
            if (!string.IsNullOrEmpty(ctx.Name) && ctx.Context is not null)
            {
                merged.Contexts.TryAdd(ctx.Name, ctx.Context);
            }
        }
    }

    private static KubernetesClientConfiguration Resolve(Merged merged, string? requestedContext, IReadOnlyList<string> paths)
    {
        var contextName = string.IsNullOrWhiteSpace(requestedContext) ? merged.CurrentContext : requestedContext;
        if (string.IsNullOrEmpty(contextName))
        {
            throw new KubeconfigException(
                $"The kubeconfig ({string.Join(", ", paths)}) sets no current-context and no context was named.");
        }

        if (!merged.Contexts.TryGetValue(contextName, out var context))
        {
            var known = merged.Contexts.Count == 0 ? "none" : string.Join(", ", merged.Contexts.Keys.Order(StringComparer.Ordinal));
            throw new KubeconfigException($"The context '{contextName}' does not exist in the kubeconfig (contexts: {known}).");
        }

        if (string.IsNullOrEmpty(context.Cluster) || !merged.Clusters.TryGetValue(context.Cluster, out var cluster))
        {
            throw new KubeconfigException($"The context '{contextName}' names a cluster '{context.Cluster}' that does not exist.");
        }

        if (string.IsNullOrWhiteSpace(cluster.Entry.Server)
            || !Uri.TryCreate(cluster.Entry.Server.Trim(), UriKind.Absolute, out var server)
            || server.Scheme is not ("https" or "http"))
        {
            throw new KubeconfigException($"The cluster '{context.Cluster}' has no valid https server address.");
        }

        KubernetesCredentials? credentials = null;
        if (!string.IsNullOrEmpty(context.User))
        {
            if (!merged.Users.TryGetValue(context.User, out var user))
            {
                throw new KubeconfigException($"The context '{contextName}' names a user '{context.User}' that does not exist.");
            }

            credentials = ResolveUser(context.User, user.Entry, user.Directory);
        }

        return new KubernetesClientConfiguration
        {
            Server = server,
            Namespace = string.IsNullOrWhiteSpace(context.Namespace) ? "default" : context.Namespace.Trim(),
            ContextName = contextName,
            CertificateAuthorityData = ReadData(
                cluster.Entry.CertificateAuthorityData,
                cluster.Entry.CertificateAuthority,
                cluster.Directory,
                $"cluster '{context.Cluster}' certificate-authority"),
            InsecureSkipTlsVerify = cluster.Entry.InsecureSkipTlsVerify,
            TlsServerName = string.IsNullOrWhiteSpace(cluster.Entry.TlsServerName) ? null : cluster.Entry.TlsServerName.Trim(),
            ProxyUrl = string.IsNullOrWhiteSpace(cluster.Entry.ProxyUrl)
                ? null
                : Uri.TryCreate(cluster.Entry.ProxyUrl, UriKind.Absolute, out var proxy)
                    ? proxy
                    : throw new KubeconfigException($"The cluster '{context.Cluster}' has an invalid proxy-url."),
            Credentials = credentials,
        };
    }

    private static KubernetesCredentials? ResolveUser(string name, UserEntry user, string directory)
    {
        if (user.AuthProvider is not null && user.Exec is null)
        {
            throw new KubeconfigException(
                $"The user '{name}' uses an auth-provider, which Kubernetes removed; configure an exec credential plugin instead "
                + "(for example kubelogin, gke-gcloud-auth-plugin or aws eks get-token).");
        }

        if (!string.IsNullOrEmpty(user.Username))
        {
            throw new KubeconfigException(
                $"The user '{name}' uses basic authentication (username/password), which this client does not support.");
        }

        var certificate = ReadData(user.ClientCertificateData, user.ClientCertificate, directory, $"user '{name}' client-certificate");
        var key = ReadData(user.ClientKeyData, user.ClientKey, directory, $"user '{name}' client-key");
        if ((certificate is null) != (key is null))
        {
            throw new KubeconfigException($"The user '{name}' needs both a client certificate and a client key, or neither.");
        }

        var credentials = new KubernetesCredentials
        {
            Token = string.IsNullOrEmpty(user.Token) ? null : user.Token.Trim(),
            TokenFile = string.IsNullOrEmpty(user.TokenFile) ? null : Resolve(user.TokenFile, directory),
            ClientCertificateData = certificate,
            ClientKeyData = key,
            Exec = user.Exec is null ? null : ResolveExec(name, user.Exec, directory),
        };

        if (credentials.TokenFile is not null && !File.Exists(credentials.TokenFile))
        {
            throw new KubeconfigException($"The user '{name}' names a tokenFile '{credentials.TokenFile}' that does not exist.");
        }

        return credentials is { Token: null, TokenFile: null, ClientCertificateData: null, Exec: null } ? null : credentials;
    }

    private static ExecConfiguration ResolveExec(string user, ExecEntry exec, string directory)
    {
        if (string.IsNullOrWhiteSpace(exec.Command))
        {
            throw new KubeconfigException($"The user '{user}' has an exec plugin without a command.");
        }

        var apiVersion = exec.ApiVersion?.Trim();
        if (apiVersion is not (ExecApiVersions.V1 or ExecApiVersions.V1Beta1))
        {
            throw new KubeconfigException(
                $"The user '{user}' has an exec plugin with apiVersion '{apiVersion}'; supported: {ExecApiVersions.V1}, "
                    + $"{ExecApiVersions.V1Beta1}.");
        }

        var mode = exec.InteractiveMode?.Trim();
        if (string.IsNullOrEmpty(mode))
        {
            if (apiVersion == ExecApiVersions.V1)
            {
                throw new KubeconfigException(
                    $"The user '{user}' has a {ExecApiVersions.V1} exec plugin without interactiveMode, which that version requires.");
            }

            mode = "IfAvailable";
        }

        if (mode is not ("Never" or "IfAvailable" or "Always"))
        {
            throw new KubeconfigException($"The user '{user}' has an exec plugin with an invalid interactiveMode '{mode}'.");
        }

        // A command with a path separator is a path (relative ones against the kubeconfig's folder); a bare name is looked up in PATH.
        var command = exec.Command.Trim();
        if (command.Contains('/', StringComparison.Ordinal) || command.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            command = Resolve(command, directory);
        }

        return new ExecConfiguration
        {
            Command = command,
            Arguments = exec.Args ?? [],
            Environment = (exec.Env ?? [])
                .Where(e => !string.IsNullOrEmpty(e.Name))
                .Select(e => new KeyValuePair<string, string>(e.Name!, e.Value ?? string.Empty))
                .ToList(),
            ApiVersion = apiVersion,
            InteractiveMode = mode,
            ProvideClusterInfo = exec.ProvideClusterInfo,
            InstallHint = exec.InstallHint,
            BaseDirectory = directory,
        };
    }

    private static byte[]? ReadData(string? base64, string? path, string directory, string what)
    {
        if (!string.IsNullOrWhiteSpace(base64))
        {
            try
            {
                return Convert.FromBase64String(base64.Trim());
            }
            catch (FormatException)
            {
                throw new KubeconfigException($"The {what}-data is not valid base64.");
            }
        }

        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        var full = Resolve(path, directory);
        try
        {
            return File.ReadAllBytes(full);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeconfigException($"The {what} file '{full}' could not be read ({e.GetType().Name}).");
        }
    }

    private static string Resolve(string path, string directory)
    {
        var trimmed = path.Trim();
        if (trimmed.StartsWith("~/", StringComparison.Ordinal))
        {
            trimmed = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), trimmed[2..]);
        }

        return Path.GetFullPath(Path.IsPathRooted(trimmed) ? trimmed : Path.Combine(directory, trimmed));
    }

    private sealed class Merged
    {
        public string? CurrentContext { get; set; }

        public Dictionary<string, (ClusterEntry Entry, string Directory)> Clusters { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, (UserEntry Entry, string Directory)> Users { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, ContextEntry> Contexts { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>The ExecCredential API versions this client speaks.</summary>
internal static class ExecApiVersions
{
    public const string V1 = "client.authentication.k8s.io/v1";
    public const string V1Beta1 = "client.authentication.k8s.io/v1beta1";
}
