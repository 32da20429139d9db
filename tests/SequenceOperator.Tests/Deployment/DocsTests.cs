using System.Text.RegularExpressions;

namespace SequenceOperator.Tests.Deployment;

public sealed partial class DocsTests
{
    public static TheoryData<string> Documents => new("operations.md", "runbook.md");

    [Theory]
    [MemberData(nameof(Documents))]
    public void Docs_LinksBetweenTheDocsResolve(string document)
    {
        var text = RepoPaths.ReadText("docs", document);
        var broken = new List<string>();

        foreach (Match link in RelativeLink().Matches(text))
        {
            var file = link.Groups["file"].Value;
            var anchor = link.Groups["anchor"].Value;
            var target = file.Length == 0 ? document : file;
            if (!File.Exists(RepoPaths.File("docs", target)))
            {
                broken.Add(link.Value);
            }
            else if (anchor.Length > 0 && !PromQl.MarkdownAnchors(RepoPaths.ReadText("docs", target)).Contains(anchor))
            {
                broken.Add(link.Value);
            }
        }

        Assert.True(broken.Count == 0, $"broken links in docs/{document}:\n" + string.Join('\n', broken));
    }

    [Fact]
    public void Operations_TellsHowToUpgradeTheCrdThatHelmLeavesAlone()
    {
        var text = RepoPaths.ReadText("docs", "operations.md");

        Assert.Contains("never upgrades or deletes", text, StringComparison.Ordinal);
        Assert.Contains("kubectl apply --server-side -f charts/sequence-operator/crds/", text, StringComparison.Ordinal);
        Assert.Contains("kubectl get ssp -A", text, StringComparison.Ordinal);
        Assert.Contains("kubectl apply -k config/default", text, StringComparison.Ordinal);
        Assert.Contains("honorLabels: true", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Operations_MetricsTable_ListsEveryExportedMetric()
    {
        var text = RepoPaths.ReadText("docs", "operations.md");

        foreach (var metric in SequenceOperator.Metrics.MetricNames.All)
        {
            Assert.Contains($"| `{metric}` |", text, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"\]\((?<file>[a-z-]+\.md)?(#(?<anchor>[a-z0-9_-]+))?\)", RegexOptions.CultureInvariant)]
    private static partial Regex RelativeLink();
}
