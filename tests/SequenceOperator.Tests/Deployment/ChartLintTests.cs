namespace SequenceOperator.Tests.Deployment;

public sealed class ChartLintTests
{
    [ToolTheory]
    [InlineData("")]
    [InlineData(Chart.WatchNamespaces)]
    [InlineData(Chart.EverythingOn)]
    public void Lint_Strict_Passes(string values)
    {
        var result = Chart.Lint(values);

        Assert.True(result.ExitCode == 0, $"helm lint --strict failed:\n{result.Stdout}\n{result.Stderr}");
        Assert.Contains("0 chart(s) failed", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("[WARNING]", result.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("[ERROR]", result.Stdout, StringComparison.Ordinal);
    }

    [ToolTheory]
    [InlineData("")]
    [InlineData(Chart.WatchNamespaces)]
    [InlineData(Chart.EverythingOn)]
    public void Template_RendersWellFormedObjectsWithTheChartsLabels(string values)
    {
        var manifests = Chart.Render(values);
        string[] clusterScoped = ["ClusterRole", "ClusterRoleBinding"];

        Assert.NotEmpty(manifests);
        Assert.Equal(manifests.Count, manifests.Select(m => m.ToString()).Distinct().Count());
        foreach (var manifest in manifests)
        {
            Assert.Matches("^[a-z0-9.]*/?v[0-9]+([a-z]+[0-9]+)?$", manifest.ApiVersion);
            Assert.Matches("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", manifest.Name);
            Assert.True(manifest.Name.Length <= 63, $"{manifest}: name longer than 63 characters");
            Assert.Equal(clusterScoped.Contains(manifest.Kind), manifest.Namespace is null);
            Assert.Equal("sequence-operator", manifest.Root.Str("metadata", "labels", "app.kubernetes.io/name"));
            Assert.Equal(Chart.Release, manifest.Root.Str("metadata", "labels", "app.kubernetes.io/instance"));
            Assert.Equal("Helm", manifest.Root.Str("metadata", "labels", "app.kubernetes.io/managed-by"));
        }
    }

    [Fact]
    public void Chart_AppVersion_IsTheOperatorVersion()
    {
        var chart = Yaml.Parse(RepoPaths.ReadText("charts", "sequence-operator", "Chart.yaml"));
        var props = System.Xml.Linq.XDocument.Parse(RepoPaths.ReadText("Directory.Build.props"));
        var version = props.Descendants("Version").Single().Value;

        Assert.Equal("v2", chart.Str("apiVersion"));
        Assert.Equal(version, chart.Str("appVersion"));
        Assert.Contains(
            $"appVersion: \"{version}\"",
            RepoPaths.ReadText("charts", "sequence-operator", "Chart.yaml"),
            StringComparison.Ordinal);
    }

    [ToolFact]
    public void Install_DryRun_NotesTellWhatToApplyNext()
    {
        var result = Chart.InstallDryRun(Chart.WatchNamespaces).EnsureSuccess("helm install --dry-run=client");

        var notes = result.Stdout[result.Stdout.IndexOf("NOTES:", StringComparison.Ordinal)..];
        Assert.Contains("kind: SequenceSyncPolicy", notes, StringComparison.Ordinal);
        Assert.Contains("kubectl get ssp -A", notes, StringComparison.Ordinal);
        Assert.Contains("create secret generic", notes, StringComparison.Ordinal);
        Assert.Contains("these namespaces only: worcester, shrewsbuddy", notes, StringComparison.Ordinal);
        Assert.Contains("kubectl apply --server-side -f crds/", notes, StringComparison.Ordinal);
    }

    [Fact]
    public void ValuesYaml_HasACommentForEveryValue()
    {
        // helm-docs' convention: a value is documented by the comment right above its key, or by the comment of
        // a map it belongs to (resources, labels). A key that only groups other keys (image:) needs none.
        var lines = RepoPaths.ReadText("charts", "sequence-operator", "values.yaml").Split('\n');
        var ancestors = new Stack<(int Indent, bool Commented)>();
        var uncommented = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var trimmed = lines[i].TrimStart();
            if (trimmed.Length == 0 || trimmed.StartsWith('#') || trimmed.StartsWith('-') || !trimmed.Contains(
                ':',
                StringComparison.Ordinal))
            {
                continue;
            }

            var indent = lines[i].Length - trimmed.Length;
            while (ancestors.Count > 0 && ancestors.Peek().Indent >= indent)
            {
                ancestors.Pop();
            }

            var commented = i > 0 && lines[i - 1].TrimStart().StartsWith('#');
            var next = NextContentLine(lines, i);
            var isGroup = trimmed.EndsWith(':') && next is not null
                && next.Length - next.TrimStart().Length > indent && !next.TrimStart().StartsWith('-');
            var documentedByAncestor = ancestors.Any(a => a.Commented);
            if (!commented && !documentedByAncestor && !isGroup)
            {
                uncommented.Add($"{i + 1}: {lines[i]}");
            }

            ancestors.Push((indent, commented));
        }

        Assert.True(uncommented.Count == 0, "values without a comment:\n" + string.Join('\n', uncommented));
    }

    private static string? NextContentLine(string[] lines, int index) =>
        lines.Skip(index + 1).FirstOrDefault(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#'));
}
