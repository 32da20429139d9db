namespace SequenceOperator.Tests.Architecture;

/// <summary>The folders of src/ point one way: the graph of docs/architecture.md, checked on the source text.</summary>
public sealed class DependencyTests
{
    private const string TwoFolders = """
        ## Folders
        | Folder | Holds |
        | --- | --- |
        | `Postgres` | the engine |
        | `Kubernetes` | the client |

        ## Allowed edges
        | From | To | Why |
        | --- | --- | --- |
        """;

    private static readonly SourceFile KubernetesClient = new(
        "src/SequenceOperator/Kubernetes/Client/Api.cs",
        "SequenceOperator",
        "Kubernetes.Client",
        "namespace SequenceOperator.Kubernetes.Client;\n\ninternal static class Api\n{\n    public static int Count => 1;\n}\n");

    [Fact]
    public void EveryFolder_UsesOnlyWhatTheGraphAllows()
    {
        var problems = DependencyCheck.Problems(DependencyGraph.Load(), SourceFiles());
        Assert.True(
            problems.Count == 0,
            $"{problems.Count} uses the graph of {DependencyGraph.Document} does not allow:\n" + string.Join('\n', problems));
    }

    [Fact]
    public void TheGraph_HasNoCycle_ApartFromTheCompositionRoot()
    {
        var graph = DependencyGraph.Load();
        var edges = graph.Edges.Where(e => e.To != "*").ToLookup(e => e.From, e => e.To);
        var state = new Dictionary<string, bool>(); // false: on the path, true: done
        List<string>? cycle = null;
        void Visit(string node, List<string> path)
        {
            if (cycle is not null || (state.TryGetValue(node, out var done) && done))
            {
                return;
            }

            if (state.ContainsKey(node))
            {
                cycle = [.. path[path.IndexOf(node)..], node];
                return;
            }

            state[node] = false;
            foreach (var next in edges[node])
            {
                Visit(next, [.. path, node]);
            }

            state[node] = true;
        }

        foreach (var node in graph.Nodes)
        {
            Visit(node, []);
        }

        Assert.True(cycle is null, "a cycle: " + string.Join(" -> ", cycle ?? []));
        Assert.Contains(DependencyGraph.Root, graph.Nodes);
        Assert.Contains((DependencyGraph.Root, "*"), graph.Edges);
    }

    [Fact]
    public void AFullyQualifiedName_InCode_IsAUse()
    {
        var postgres = Postgres("""
            namespace SequenceOperator.Postgres;

            internal static class Engine
            {
                public static int Run() =>
                    SequenceOperator.Kubernetes.Client.Api.Count;
            }
            """);

        var problem = Assert.Single(Check(postgres));
        Assert.Equal(
            "src/SequenceOperator/Postgres/Engine.cs:6: Postgres may not use Kubernetes (SequenceOperator.Kubernetes.Client.Api.Count)",
            problem);
    }

    [Fact]
    public void APartlyQualifiedName_ResolvedThroughTheEnclosingNamespace_IsAUse()
    {
        var postgres = Postgres(
            "namespace SequenceOperator.Postgres;\n\ninternal static class Engine\n{\n    public static int Run() => "
                + "Kubernetes.Client.Api.Count;\n}\n");

        Assert.Equal(
            ["src/SequenceOperator/Postgres/Engine.cs:5: Postgres may not use Kubernetes (Kubernetes.Client.Api.Count)"],
            Check(postgres));
    }

    [Fact]
    public void UsingDirectives_GlobalUsings_AndNamesInInterpolationHoles_AreUses()
    {
        var postgres = Postgres("""
            using SequenceOperator.Kubernetes.Client;
            using Api = global::SequenceOperator.Kubernetes.Client.Api;

            namespace SequenceOperator.Postgres;

            internal static class Engine
            {
                public static string Run() => $"{1}: {SequenceOperator.Kubernetes.Client.Api.Count:D2}";
            }
            """);
        var global = KubernetesClient with { Text = "global using SequenceOperator.Kubernetes.Client;\n" + KubernetesClient.Text };

        var problems = Check(postgres, global);

        Assert.Equal(
            [
                "src/SequenceOperator/Postgres/Engine.cs:1: Postgres may not use Kubernetes (SequenceOperator.Kubernetes.Client)",
                "src/SequenceOperator/Postgres/Engine.cs:2: Postgres may not use Kubernetes (SequenceOperator.Kubernetes.Client.Api)",
                "src/SequenceOperator/Postgres/Engine.cs:8: Postgres may not use Kubernetes (SequenceOperator.Kubernetes.Client.Api.Count)",
                "src/SequenceOperator/Kubernetes/Client/Api.cs:1: Postgres may not use Kubernetes (global using "
                    + "SequenceOperator.Kubernetes.Client)",
            ],
            problems);
    }

    [Fact]
    public void ProjectFileUsings_AreGlobalUses()
    {
        var project = new SourceFile(
            "src/SequenceOperator/SequenceOperator.csproj",
            "SequenceOperator",
            string.Empty,
            "<Project>\n  <ItemGroup>\n    <Using Include=\"SequenceOperator.Kubernetes.Client\" />\n  </ItemGroup>\n</Project>\n");

        Assert.Contains(
            "src/SequenceOperator/SequenceOperator.csproj:3: Postgres may not use Kubernetes (global using "
                + "SequenceOperator.Kubernetes.Client)",
            Check(Postgres("namespace SequenceOperator.Postgres;\n"), project));
    }

    [Fact]
    public void CommentsStrings_AndMembersNamedLikeAFolder_AreNotUses()
    {
        var postgres = Postgres(""""
            namespace SequenceOperator.Postgres;

            // SequenceOperator.Kubernetes.Client.Api is not used here, /* nor SequenceOperator.Kubernetes.Client */
            internal sealed class Engine
            {
                private readonly Engine? _kubernetes;

                public Engine? Kubernetes => _kubernetes;

                public string Run() => "SequenceOperator.Kubernetes.Client.Api" + @"Kubernetes.Client.Api"
                    + $$"""{{"SequenceOperator.Kubernetes.Client"}} {SequenceOperator.Kubernetes.Client}""" + 'K' + Kubernetes?.Run();

                public Engine? Run2() => Kubernetes.Kubernetes;
            }
            """");

        Assert.Empty(Check(postgres));
    }

    [Fact]
    public void AFileWhoseNamespaceIsNotItsFolder_IsReported()
    {
        var postgres = Postgres("namespace SequenceOperator.Kubernetes.Client;\n\ninternal static class Engine\n{\n}\n");

        Assert.Equal(
            ["src/SequenceOperator/Postgres/Engine.cs: declares namespace SequenceOperator.Kubernetes.Client, which is not its folder's "
                + "(SequenceOperator.Postgres)"],
            Check(postgres));
    }

    [Fact]
    public void TheDocument_MustSayWhyForEachEdge_AndNameOnlyItsFolders()
    {
        Assert.Throws<FormatException>(() => DependencyGraph.Parse(TwoFolders + "\n| `Postgres` | `Kubernetes` |  |\n"));
        Assert.Throws<FormatException>(() => DependencyGraph.Parse(TwoFolders + "\n| `Postgres` | `Metrics` | it records |\n"));
        var graph = DependencyGraph.Parse(TwoFolders + "\n| `Postgres` | `Kubernetes` | a reason |\n");
        Assert.True(graph.Allows("Postgres", "Kubernetes"));
        Assert.False(graph.Allows("Kubernetes", "Postgres"));
    }

    private static SourceFile Postgres(string text) => new("src/SequenceOperator/Postgres/Engine.cs", "SequenceOperator", "Postgres", text);

    private static IReadOnlyList<string> Check(params SourceFile[] files) =>
        DependencyCheck.Problems(
            DependencyGraph.Parse(TwoFolders),
            files.Any(f => f.Path == KubernetesClient.Path) ? files : [.. files, KubernetesClient]);

    /// <summary>Every .cs and project file of every project under src/, with its folder below <c>SequenceOperator</c>.</summary>
    private static List<SourceFile> SourceFiles()
    {
        var files = new List<SourceFile>();
        foreach (var project in Directory.GetDirectories(RepoPaths.File("src"), "SequenceOperator*"))
        {
            var name = Path.GetFileName(project);
            var prefix = name == "SequenceOperator" ? string.Empty : name["SequenceOperator.".Length..];
            foreach (var path in Directory.EnumerateFiles(project, "*.*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(project, path);
                if (!(path.EndsWith(".cs", StringComparison.Ordinal) || path.EndsWith(".csproj", StringComparison.Ordinal))
                    || relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj")
                {
                    continue;
                }

                var folder = string.Join(
                    '.',
                    new[] { prefix }.Concat(Path.GetDirectoryName(relative)!.Split(Path.DirectorySeparatorChar)).Where(p => p.Length > 0));
                files.Add(new SourceFile(Path.GetRelativePath(RepoPaths.Root, path), name, folder, File.ReadAllText(path)));
            }
        }

        return files;
    }
}
