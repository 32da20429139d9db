namespace SequenceOperator.Tests.Architecture;

/// <summary>
/// No line of C# in src/ or tests/ is longer than <see cref="MaxLength"/> characters (.editorconfig's
/// max_line_length: Roslyn has no diagnostic for it, so this test is the rule).
/// </summary>
public sealed class LineLengthTests
{
    public const int MaxLength = 140;

    [Fact]
    public void NoLine_IsLongerThan140Characters()
    {
        var tooLong = new List<string>();
        foreach (var top in new[] { "src", "tests" })
        {
            foreach (var path in Directory.EnumerateFiles(
                RepoPaths.File(top),
                "*.cs",
                SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var relative = Path.GetRelativePath(RepoPaths.Root, path);
                if (relative.Split(Path.DirectorySeparatorChar).Any(p => p is "obj" or "bin") || relative.EndsWith(
                    ".g.cs",
                    StringComparison.Ordinal))
                {
                    continue;
                }

                var lines = File.ReadAllLines(path);
                for (var i = 0; i < lines.Length; i++)
                {
                    if (lines[i].Length > MaxLength)
                    {
                        tooLong.Add($"{relative}:{i + 1}: {lines[i].Length} characters");
                    }
                }
            }
        }

        Assert.True(tooLong.Count == 0, $"{tooLong.Count} lines are longer than {MaxLength} characters:\n" + string.Join('\n', tooLong));
    }
}
