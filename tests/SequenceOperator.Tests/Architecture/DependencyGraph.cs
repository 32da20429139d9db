using System.Text.RegularExpressions;

namespace SequenceOperator.Tests.Architecture;

/// <summary>
/// The folders of src/ and which may use which, read from the two tables of <see cref="Document"/> ("Folders" and
/// "Allowed edges"): the document is the one place the graph is written; this class only reads it.
/// </summary>
internal sealed partial record DependencyGraph(IReadOnlySet<string> Nodes, IReadOnlySet<(string From, string To)> Edges)
{
    public const string Document = "docs/architecture.md";

    /// <summary>The node of the files in src/SequenceOperator/ itself (Program.cs): the composition root.</summary>
    public const string Root = "Program";

    /// <summary>A folder may use itself, and what an edge (or an edge to <c>*</c>, everything) allows it.</summary>
    public bool Allows(string from, string to) => from == to || Edges.Contains((from, to)) || Edges.Contains((from, "*"));

    /// <summary>The node a namespace below <c>SequenceOperator</c> belongs to: the longest node it starts with.</summary>
    /// <param name="relative">The namespace without <c>SequenceOperator.</c>, e.g. <c>Kubernetes.Client</c>; empty for the root.</param>
    public string? NodeOf(string relative) =>
        relative.Length == 0
            ? Root
            : Nodes.Where(n => relative == n || relative.StartsWith(n + ".", StringComparison.Ordinal)).MaxBy(n => n.Length);

    public static DependencyGraph Load() => Parse(File.ReadAllText(RepoPaths.File(Document)));

    /// <summary>Reads the rows of the "Folders" and "Allowed edges" tables; throws on a row it cannot read.</summary>
    public static DependencyGraph Parse(string markdown)
    {
        var nodes = new HashSet<string>(StringComparer.Ordinal);
        var edges = new HashSet<(string, string)>();
        string? section = null;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                section = line[3..].Trim();
                continue;
            }

            var cells = line.Trim() is ['|', .., '|'] row ? row[1..^1].Split('|').Select(c => c.Trim()).ToArray() : null;
            if (cells is null || cells.All(c => c.Length == 0 || c.All(ch => ch is '-' or ':')))
            {
                continue;
            }

            switch (section)
            {
                case "Folders" when Name(cells[0]) is { } node:
                    nodes.Add(node);
                    break;
                case "Allowed edges" when cells.Length >= 3 && Name(cells[0]) is { } from && Name(cells[1]) is { } to:
                    if (cells[2].Length == 0)
                    {
                        throw new FormatException($"{Document}: the edge {from} -> {to} says no why.");
                    }

                    edges.Add((from, to));
                    break;
            }
        }

        foreach (var (from, to) in edges)
        {
            if (!nodes.Contains(from) || (to != "*" && !nodes.Contains(to)))
            {
                throw new FormatException($"{Document}: the edge {from} -> {to} names a folder the Folders table does not list.");
            }
        }

        return nodes.Count == 0 ? throw new FormatException($"{Document}: no Folders table.") : new DependencyGraph(nodes, edges);
    }

    // A backticked name: `Kubernetes`, `Entities.Meta`, `*` (header rows have none).
    private static string? Name(string cell) => BacktickedName().Match(cell) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"^`([A-Za-z.]+|\*)`$")]
    private static partial Regex BacktickedName();
}
