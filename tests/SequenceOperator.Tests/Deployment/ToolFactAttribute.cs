namespace SequenceOperator.Tests.Deployment;

/// <summary>
/// The external tools the chart and manifest tests run: Helm and kubectl in <c>.tools/bin</c> and the PromQL grammar in
/// <c>.tools/promql</c>, all installed by <c>scripts/install-helm.sh</c> (which <c>scripts/bootstrap.sh</c> runs).
/// On a machine without them those tests are skipped with the reason, so a plain <c>dotnet test</c> passes; CI sets
/// <see cref="RequireVariable"/>, so there they always run and a missing tool fails them instead.
/// </summary>
internal static class DeploymentTools
{
    public const string RequireVariable = "SEQUENCE_OPERATOR_REQUIRE_TOOLS";

    /// <summary>Why the tool-dependent tests cannot run here, or null when they can (or must).</summary>
    public static string? SkipReason { get; } = FindSkipReason();

    private static string? FindSkipReason()
    {
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            return null;
        }

        string[] required = [
            Path.Combine(".tools", "bin", "helm"),
            Path.Combine(".tools", "bin", "kubectl"),
            Path.Combine(".tools", "promql"),
        ];
        var missing = required.Where(p => !File.Exists(RepoPaths.File(p)) && !Directory.Exists(RepoPaths.File(p))).ToList();
        return missing.Count == 0
            ? null
            : $"needs {string.Join(", ", missing)}: run `bash scripts/install-helm.sh` to install Helm, kubectl and the PromQL grammar (CI "
                + "always runs these tests)";
    }
}

/// <summary>A fact that needs Helm, kubectl or the PromQL grammar; skipped with the reason where they are missing.</summary>
internal sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute()
    {
        Skip = DeploymentTools.SkipReason;
    }
}

/// <summary>A theory that needs Helm, kubectl or the PromQL grammar; skipped with the reason where they are missing.</summary>
internal sealed class ToolTheoryAttribute : TheoryAttribute
{
    public ToolTheoryAttribute()
    {
        Skip = DeploymentTools.SkipReason;
    }
}
