using System.Diagnostics;

namespace SequenceOperator.Tests.Deployment;

/// <summary>The outcome of running an external tool.</summary>
internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public ToolResult EnsureSuccess(string what)
    {
        if (ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} exited {ExitCode}:\n{Stderr}\n{Stdout}");
        }

        return this;
    }
}

internal static class Tool
{
    public static ToolResult Run(string fileName, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Helm must not pick up a user's repositories, plugins or kube config.
        start.Environment["HELM_CACHE_HOME"] = Path.Combine(Path.GetTempPath(), "sequence-operator-tests-helm", "cache");
        start.Environment["HELM_CONFIG_HOME"] = Path.Combine(Path.GetTempPath(), "sequence-operator-tests-helm", "config");
        start.Environment["HELM_DATA_HOME"] = Path.Combine(Path.GetTempPath(), "sequence-operator-tests-helm", "data");
        start.Environment["KUBECONFIG"] = Path.Combine(Path.GetTempPath(), "sequence-operator-tests-helm", "no-kubeconfig");

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish in 2 minutes");
        }

        return new ToolResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
