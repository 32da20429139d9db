using System.Text.RegularExpressions;

namespace SequenceOperator.Tests.Architecture;

/// <summary>One source file: where it is (its folder as a dotted name below <c>SequenceOperator</c>) and its text.</summary>
/// <param name="Path">For messages: the path from the repository root.</param>
/// <param name="Project">The project it belongs to: a <c>global using</c> imports into every file of it.</param>
/// <param name="Folder">E.g. <c>Kubernetes.Client</c>, <c>Entities.Meta</c>; empty for src/SequenceOperator/ itself.</param>
internal sealed record SourceFile(string Path, string Project, string Folder, string Text);

/// <summary>
/// Finds every namespace each file uses (<c>using</c> and <c>global using</c> directives, fully and partly qualified
/// names in code, <c>&lt;Using Include&gt;</c> in a project file) and reports each use the graph does not allow, with
/// its file and line. A partly qualified name (<c>Hosting.OperatorHost</c> written inside
/// <c>namespace SequenceOperator.Cli</c>) is resolved as C# does, through the enclosing namespaces, and counts when
/// its next part is a type or namespace declared there (so a property that happens to be called <c>Metrics</c> is not
/// a use of the Metrics folder).
/// </summary>
internal static partial class DependencyCheck
{
    private const string RootNamespace = "SequenceOperator";

    public static IReadOnlyList<string> Problems(DependencyGraph graph, IReadOnlyList<SourceFile> files)
    {
        var problems = new List<string>();
        var parsed = files.Select(f => (File: f, Node: graph.NodeOf(f.Folder), Declared: f.Path.EndsWith(".cs", StringComparison.Ordinal)
            ? CSharpNames.Declarations(f.Text)
            : (null, []))).ToList();

        // What each of our namespaces holds: the types declared in it and its child namespaces.
        var members = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (_, _, (ns, types)) in parsed.Where(p => p.Declared.Namespace is not null))
        {
            members.TryAdd(ns!, new HashSet<string>(StringComparer.Ordinal));
            members[ns!].UnionWith(types);
            for (var dot = ns!.LastIndexOf('.'); dot > 0; dot = ns.LastIndexOf('.', dot - 1))
            {
                var parent = ns[..dot];
                members.TryAdd(parent, new HashSet<string>(StringComparer.Ordinal));
                members[parent].Add(ns[(dot + 1)..].Split('.')[0]);
            }
        }

        var projectNodes = parsed.Where(p => p.Node is not null).GroupBy(p => p.File.Project)
            .ToDictionary(g => g.Key, g => g.Select(p => p.Node!).ToHashSet(StringComparer.Ordinal));
        foreach (var (file, node, (ns, _)) in parsed)
        {
            if (node is null)
            {
                problems.Add($"{file.Path}: its folder {file.Folder} is not in the graph ({DependencyGraph.Document}, Folders)");
                continue;
            }

            // A file may sit in a sub-namespace of its folder's or above it (Kubernetes/Client/ holds SequenceOperator.Kubernetes
            // types), but not in another folder's: its uses of that folder would then need no qualification at all.
            var expected = file.Folder.Length == 0 ? RootNamespace : $"{RootNamespace}.{file.Folder}";
            var nsNode = ns is null ? node : ns == RootNamespace ? DependencyGraph.Root
                : ns.StartsWith(RootNamespace + ".", StringComparison.Ordinal) ? graph.NodeOf(ns[(RootNamespace.Length + 1)..]) : null;
            if (nsNode != node)
            {
                problems.Add($"{file.Path}: declares namespace {ns}, which is not its folder's ({expected})");
            }

            foreach (var name in Names(file))
            {
                if (Resolve(name.Parts, ns ?? expected, members) is not { } used)
                {
                    continue;
                }

                var relative = used == RootNamespace ? string.Empty : used[(RootNamespace.Length + 1)..];
                if (graph.NodeOf(relative) is not { } target)
                {
                    problems.Add($"{file.Path}:{name.Line}: uses {used}, which no folder of the graph holds ({DependencyGraph.Document})");
                    continue;
                }

                // A global using imports into every file of the project, whatever folder it is written in.
                foreach (var from in name.IsGlobalUsing ? [.. projectNodes[file.Project].Order(StringComparer.Ordinal)] : new[] { node })
                {
                    if (!graph.Allows(from, target))
                    {
                        var how = name.IsGlobalUsing ? "global using " : string.Empty;
                        problems.Add($"{file.Path}:{name.Line}: {from} may not use {target} ({how}{string.Join('.', name.Parts)})");
                    }
                }
            }
        }

        return problems;
    }

    /// <summary>
    /// The namespace of ours a dotted name refers to (with the type or member parts after it), or null when it is not
    /// one of ours: <c>SequenceOperator.X...</c> as written; <c>X.Y...</c> through the namespaces enclosing
    /// <paramref name="fileNamespace"/>, innermost first, when <c>Y</c> is declared in the namespace found.
    /// </summary>
    internal static string? Resolve(IReadOnlyList<string> parts, string fileNamespace, IReadOnlyDictionary<string, HashSet<string>> members)
    {
        if (parts[0] == RootNamespace)
        {
            return parts.Count > 1 ? string.Join('.', parts) : null;
        }

        if (parts.Count < 2 || !fileNamespace.StartsWith(RootNamespace, StringComparison.Ordinal))
        {
            return null;
        }

        for (var scope = fileNamespace; scope.Length >= RootNamespace.Length; scope = Parent(scope))
        {
            var candidate = $"{scope}.{parts[0]}";
            if (members.TryGetValue(candidate, out var held))
            {
                return held.Contains(parts[1]) ? $"{scope}.{string.Join('.', parts)}" : null;
            }
        }

        return null;
    }

    private static string Parent(string ns) => ns.LastIndexOf('.') is > 0 and var dot ? ns[..dot] : string.Empty;

    private static IEnumerable<DottedName> Names(SourceFile file)
    {
        if (!file.Path.EndsWith(".csproj", StringComparison.Ordinal))
        {
            return CSharpNames.DottedNames(file.Text);
        }

        // <Using Include="SequenceOperator.X" /> in a project file: a global using of that project.
        return file.Text.Split('\n')
            .Select((line, i) => (Match: ProjectUsing().Match(line), Line: i + 1))
            .Where(u => u.Match.Success)
            .Select(u => new DottedName(u.Match.Groups[1].Value.Split('.'), u.Line, IsGlobalUsing: true));
    }

    [GeneratedRegex(@"<Using\s+Include=""([A-Za-z0-9_.]+)""")]
    private static partial Regex ProjectUsing();
}
