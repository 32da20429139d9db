using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using SequenceOperator.Kubernetes.Configuration;
using SequenceOperator.Kubernetes.Models;

namespace SequenceOperator.Kubernetes.Authentication;

/// <summary>
/// Runs a kubeconfig <c>exec</c> credential plugin once: passes <c>KUBERNETES_EXEC_INFO</c> (never interactive),
/// reads the <c>ExecCredential</c> it prints, checks it. The plugin's output (stdout and stderr) is a secret and
/// appears in no message.
/// </summary>
internal static class ExecPlugin
{
    public static async Task<ExecCredentialStatus> RunAsync(
        ExecConfiguration exec, KubernetesClientConfiguration cluster, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (exec.InteractiveMode == "Always")
        {
            throw new KubernetesAuthenticationException(
                $"The exec plugin '{exec.Command}' requires interactive mode (interactiveMode: Always), but this process has no terminal.");
        }

        var info = new ExecCredential
        {
            ApiVersion = exec.ApiVersion,
            Kind = "ExecCredential",
            Spec = new ExecCredentialSpec
            {
                Interactive = false,
                Cluster = exec.ProvideClusterInfo
                    ? new ExecCluster
                    {
                        Server = cluster.Server.ToString(),
                        TlsServerName = cluster.TlsServerName,
                        InsecureSkipTlsVerify = cluster.InsecureSkipTlsVerify ? true : null,
                        CertificateAuthorityData = cluster.CertificateAuthorityData,
                        ProxyUrl = cluster.ProxyUrl?.ToString(),
                    }
                    : null,
            },
        };

        var startInfo = new ProcessStartInfo(exec.Command)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in exec.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in exec.Environment)
        {
            startInfo.Environment[name] = value;
        }

        startInfo.Environment["KUBERNETES_EXEC_INFO"] = JsonSerializer.Serialize(info, KubernetesJsonContext.Default.ExecCredential);

        using var process = new Process { StartInfo = startInfo };
        try
        {
            if (!process.Start())
            {
                throw new KubernetesAuthenticationException($"The exec plugin '{exec.Command}' could not be started.");
            }
        }
        catch (Win32Exception)
        {
            var hint = string.IsNullOrWhiteSpace(exec.InstallHint) ? string.Empty : " " + exec.InstallHint.Trim();
            throw new KubernetesAuthenticationException(
                $"The exec plugin '{exec.Command}' could not be started (not found or not executable).{hint}");
        }

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        string output;
        try
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync(timeoutSource.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeoutSource.Token);
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
            output = await stdout.ConfigureAwait(false);
            _ = await stderr.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            TryKill(process);
            cancellationToken.ThrowIfCancellationRequested();
            throw new KubernetesAuthenticationException(
                $"The exec plugin '{exec.Command}' did not finish within {timeout.TotalSeconds:0} s.");
        }

        if (process.ExitCode != 0)
        {
            throw new KubernetesAuthenticationException($"The exec plugin '{exec.Command}' failed with exit code {process.ExitCode}.");
        }

        ExecCredential? credential;
        try
        {
            credential = JsonSerializer.Deserialize(output, KubernetesJsonContext.Default.ExecCredential);
        }
        catch (JsonException)
        {
            throw new KubernetesAuthenticationException($"The exec plugin '{exec.Command}' did not print a valid ExecCredential.");
        }

        if (credential is null || credential.Kind != "ExecCredential")
        {
            throw new KubernetesAuthenticationException($"The exec plugin '{exec.Command}' did not print an ExecCredential.");
        }

        if (credential.ApiVersion != exec.ApiVersion)
        {
            throw new KubernetesAuthenticationException(
                $"The exec plugin '{exec.Command}' answered apiVersion '{credential.ApiVersion}', but '{exec.ApiVersion}' was requested.");
        }

        var status = credential.Status;
        var hasToken = !string.IsNullOrEmpty(status?.Token);
        var hasCertificate = !string.IsNullOrEmpty(status?.ClientCertificateData) && !string.IsNullOrEmpty(status?.ClientKeyData);
        if (status is null || (!hasToken && !hasCertificate))
        {
            throw new KubernetesAuthenticationException(
                $"The exec plugin '{exec.Command}' printed an ExecCredential without a token or a client certificate and key.");
        }

        if (!hasCertificate && (!string.IsNullOrEmpty(status.ClientCertificateData) || !string.IsNullOrEmpty(status.ClientKeyData)))
        {
            throw new KubernetesAuthenticationException(
                $"The exec plugin '{exec.Command}' printed a client certificate without a key, or a key without a certificate.");
        }

        return status;
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
            // Could not be killed; nothing more to do.
        }
    }
}
