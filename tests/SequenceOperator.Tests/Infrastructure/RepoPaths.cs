namespace SequenceOperator.Tests.Infrastructure;

/// <summary>Paths in the repository, found by walking up from the test assembly to the folder holding the .sln.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string Chart => Path.Combine(Root, "charts", "sequence-operator");

    public static string Config => Path.Combine(Root, "config");

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string ReadText(params string[] parts) => System.IO.File.ReadAllText(File(parts));

    /// <summary>The Helm binary scripts/install-helm.sh installs; a clear failure when it is missing.</summary>
    public static string Helm => Tool("helm");

    /// <summary>The kubectl binary scripts/install-helm.sh installs next to Helm (for `kubectl kustomize`).</summary>
    public static string Kubectl => Tool("kubectl");

    private static string Tool(string name)
    {
        var path = Path.Combine(Root, ".tools", "bin", name);
        if (!System.IO.File.Exists(path))
        {
            throw new InvalidOperationException(
                $"{path} is missing: run `bash scripts/install-helm.sh` (scripts/bootstrap.sh does) to install Helm and kubectl.");
        }

        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "SequenceOperator.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No SequenceOperator.sln above {AppContext.BaseDirectory}.");
    }
}
