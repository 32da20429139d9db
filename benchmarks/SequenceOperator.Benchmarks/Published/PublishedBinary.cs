namespace SequenceOperator.Benchmarks.Published;

/// <summary>
/// The binary the image ships, where <c>scripts/check-publish.sh --out artifacts/published</c> puts it (the
/// Dockerfile's own publish), and the environment the image runs it with (the Dockerfile's <c>DOTNET_*</c> settings).
/// </summary>
internal static class PublishedBinary
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string DefaultPath => Path.Combine(RepositoryRoot, "artifacts", "published", "sequence-operator");

    /// <summary>The given path, or the default one; the binary must exist.</summary>
    public static string Resolve(string? path)
    {
        var binary = Path.GetFullPath(path ?? DefaultPath);
        return File.Exists(binary)
            ? binary
            : throw new FileNotFoundException($"no published sequence-operator at {binary}: run scripts/check-publish.sh --out artifacts/published, or pass --binary");
    }

    /// <summary>The <c>DOTNET_*</c> settings of the Dockerfile's <c>ENV</c> instructions, as the container gets them.</summary>
    public static IReadOnlyDictionary<string, string> ImageEnvironment()
    {
        var dockerfile = File.ReadAllText(Path.Combine(RepositoryRoot, "Dockerfile")).Replace("\\\n", " ", StringComparison.Ordinal);
        return dockerfile.Split('\n')
            .Where(line => line.StartsWith("ENV ", StringComparison.Ordinal))
            .SelectMany(line => line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(setting => setting.StartsWith("DOTNET_", StringComparison.Ordinal) && setting.Contains('=', StringComparison.Ordinal))
            .ToDictionary(setting => setting[..setting.IndexOf('=', StringComparison.Ordinal)], setting => setting[(setting.IndexOf('=', StringComparison.Ordinal) + 1)..], StringComparer.Ordinal);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SequenceOperator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"the repository root (SequenceOperator.sln) is not above {AppContext.BaseDirectory}");
    }
}
