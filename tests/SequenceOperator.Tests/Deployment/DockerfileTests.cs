using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace SequenceOperator.Tests.Deployment;

public sealed class DockerfileTests
{
    private static readonly string[] Lines = JoinContinuations(RepoPaths.ReadText("Dockerfile"));

    private static IEnumerable<string> Instructions(string keyword) =>
        Lines.Where(l => l.StartsWith(keyword + " ", StringComparison.Ordinal)).Select(l => l[(keyword.Length + 1)..].Trim());

    [Fact]
    public void Dockerfile_BuildsWithTheSdkAndRunsOnTheChiseledRuntimeDeps()
    {
        var stages = Instructions("FROM").ToList();

        Assert.Equal(2, stages.Count);
        // NativeAOT cannot cross-compile between CPU architectures: the build stage runs on the target platform (no
        // --platform=$BUILDPLATFORM), under emulation when buildx builds for a foreign one.
        Assert.Matches("^mcr\\.microsoft\\.com/dotnet/sdk:\\$\\{DOTNET_VERSION\\} AS build$", stages[0]);
        // The binary is native and self-contained: the runtime image needs only the native libraries it loads.
        Assert.Matches("^mcr\\.microsoft\\.com/dotnet/runtime-deps:\\$\\{DOTNET_VERSION\\}-noble-chiseled AS runtime$", stages[1]);
        Assert.Contains("DOTNET_VERSION=10.0", Instructions("ARG"));
        // Only the executable goes into the image, not its debug symbols.
        Assert.Equal(
            "--from=build /app/sequence-operator /app/sequence-operator",
            Assert.Single(Instructions("COPY"), c => c.StartsWith("--from", StringComparison.Ordinal)));
    }

    [Fact]
    public void Dockerfile_InstallsWhatNativeAotLinksWithBeforePublishing()
    {
        var build = Lines.TakeWhile(l => !l.StartsWith("FROM mcr.microsoft.com/dotnet/runtime-deps", StringComparison.Ordinal)).ToList();
        var install = build.FindIndex(l => l.StartsWith(
            "RUN apt-get update",
            StringComparison.Ordinal) && l.Contains("apt-get install", StringComparison.Ordinal));
        var publish = build.FindIndex(l => l.StartsWith("RUN dotnet publish", StringComparison.Ordinal));

        Assert.InRange(install, 0, publish - 1);
        var packages = build[install].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("clang", packages);
        Assert.Contains("zlib1g-dev", packages);
    }

    [Fact]
    public void Project_PublishesNativeAot_WithItsGarbageCollectorSettingsCompiledIn()
    {
        var project = XDocument.Load(RepoPaths.File("src", "SequenceOperator", "SequenceOperator.csproj"));
        var properties = project.Descendants().Where(e => e.Parent?.Name == "PropertyGroup").ToList();

        var publishAot = Assert.Single(properties, p => p.Name == "PublishAot");
        Assert.Equal("true", publishAot.Value);
        Assert.Null(publishAot.Parent!.Attribute("Condition")); // every build runs the AOT analyzers, not only a publish
        foreach (var jitOnly in (string[])["PublishReadyToRun", "TieredCompilation", "TieredPGO", "SelfContained", "PublishTrimmed"])
        {
            Assert.DoesNotContain(properties, p => p.Name == jitOnly);
        }

        // The gen0 cap is compiled into the executable: NativeAOT reads a DOTNET_GC* variable only as bare hex digits,
        // and the image's earlier DOTNET_GCgen0size=0x200000 was silently ignored.
        var ilcArgs = project.Descendants("IlcArg").Select(e => e.Attribute("Include")?.Value).ToList();
        Assert.Contains(ilcArgs, a => a is not null && Regex.IsMatch(a, "^--runtimeopt:GCGen0MaxBudget=[0-9a-f]+$"));

        // So the image sets no runtime variable; one added later must be a GC setting in the only form NativeAOT reads.
        var settings = Instructions("ENV").SelectMany(e => e.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(e => e.StartsWith("DOTNET_", StringComparison.Ordinal)).ToList();
        Assert.All(settings, s => Assert.Matches("^DOTNET_GC[A-Za-z0-9]+=[0-9a-fA-F]+$", s));
    }

    [Fact]
    public void Dockerfile_PublishesWithTheContractCommand()
    {
        Assert.Contains("dotnet restore src/SequenceOperator/SequenceOperator.csproj -a $TARGETARCH", Instructions("RUN"));
        Assert.Contains(
            "dotnet publish src/SequenceOperator/SequenceOperator.csproj -c Release -a $TARGETARCH --no-restore -o /app",
            Instructions("RUN"));
        Assert.Contains("bash scripts/check-publish.sh", RepoPaths.ReadText("scripts", "test.sh"), StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_CopiesEveryProjectTheOperatorDependsOn()
    {
        var copied = Instructions("COPY").Where(c => !c.StartsWith("--from", StringComparison.Ordinal))
            .SelectMany(c => c.Split(' ')[..^1]).ToHashSet(StringComparer.Ordinal);
        var ignored = RepoPaths.ReadText(".dockerignore").Split('\n').Select(l => l.Trim()).Where(
            l => l.Length > 0 && !l.StartsWith('#')).ToList();

        foreach (var project in ProjectClosure("src/SequenceOperator/SequenceOperator.csproj"))
        {
            Assert.Contains(project, copied);
        }

        foreach (var path in copied)
        {
            Assert.True(File.Exists(RepoPaths.File(path)) || Directory.Exists(RepoPaths.File(path)), $"COPY {path}: not in the repository");
            Assert.DoesNotContain(path.TrimEnd('/') + "/", ignored);
            Assert.DoesNotContain(path, ignored);
        }

        Assert.Contains("src/", copied);
        Assert.Contains("Directory.Packages.props", copied);
    }

    [Fact]
    public void Dockerfile_RunsTheOperatorAsANonRootUser()
    {
        var user = Assert.Single(Instructions("USER"));
        var uid = user.Split(':')[0];

        Assert.True(int.TryParse(uid, out var id) && id > 0, $"USER {user}: must be a numeric, non-root uid");
        var chartValues = Yaml.Parse(RepoPaths.ReadText("charts", "sequence-operator", "values.yaml"));
        Assert.Equal(uid, chartValues.Str("podSecurityContext", "runAsUser"));
        Assert.Equal("[\"sequence-operator\"]", Assert.Single(Instructions("ENTRYPOINT")));
        Assert.Equal("[\"run\"]", Assert.Single(Instructions("CMD")));
        Assert.Contains(Instructions("ENV"), e => e.Contains("PATH=\"/app:", StringComparison.Ordinal));

        var assemblyName = XDocument.Load(RepoPaths.File("src", "SequenceOperator", "SequenceOperator.csproj"))
            .Descendants("AssemblyName").Single().Value;
        Assert.Equal("sequence-operator", assemblyName);
    }

    [Fact]
    public void Dockerfile_HasOciLabels()
    {
        var labels = string.Join(' ', Instructions("LABEL"));

        foreach (var key in (string[])["title", "description", "version", "revision", "source", "documentation", "base.name"])
        {
            Assert.Contains($"org.opencontainers.image.{key}=", labels, StringComparison.Ordinal);
        }
    }

    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>([project]);
        while (queue.Count > 0)
        {
            var current = queue.Dequeue();
            if (!seen.Add(current))
            {
                continue;
            }

            var directory = Path.GetDirectoryName(current)!;
            foreach (var reference in XDocument.Load(RepoPaths.File(current)).Descendants("ProjectReference"))
            {
                var full = Path.GetFullPath(Path.Combine(RepoPaths.Root, directory, reference.Attribute("Include")!.Value));
                queue.Enqueue(Path.GetRelativePath(RepoPaths.Root, full).Replace('\\', '/'));
            }
        }

        return seen;
    }

    private static string[] JoinContinuations(string text)
    {
        var lines = new List<string>();
        var current = string.Empty;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd();
            if (current.Length == 0 && (line.TrimStart().StartsWith('#') || line.Length == 0))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current += line[..^1].Trim() + " ";
                continue;
            }

            lines.Add(current + line.Trim());
            current = string.Empty;
        }

        return [.. lines];
    }
}
