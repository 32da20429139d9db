using System.Reflection;
using System.Text.RegularExpressions;
using SequenceOperator.Logging;

namespace SequenceOperator.Tests.Architecture;

/// <summary>Every log message has an event id from <see cref="LogEvents"/>: its own folder's, in range, used once.</summary>
public sealed partial class LogEventTests
{
    [Fact]
    public void EveryLoggerMessage_TakesItsIdFromItsFoldersLogEvents_InRange_AndOnce()
    {
        var ids = Constants();
        var problems = new List<string>();
        var used = new Dictionary<int, string>();
        var messages = 0;
        foreach (var path in Directory.EnumerateFiles(
            RepoPaths.File("src"),
            "*.cs",
            SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(RepoPaths.Root, path);
            var parts = relative.Split(Path.DirectorySeparatorChar);
            if (parts.Contains("obj") || parts.Contains("bin"))
            {
                continue;
            }

            var folder = parts.Length > 3 ? parts[2] : string.Empty; // src/SequenceOperator/<folder>/...
            foreach (Match attribute in LoggerMessage().Matches(File.ReadAllText(path)))
            {
                messages++;
                var at = $"{relative}: [LoggerMessage] of {attribute.Groups["method"].Value}";
                var id = EventId().Match(attribute.Groups["arguments"].Value);
                if (!id.Success)
                {
                    problems.Add($"{at} has no EventId = LogEvents.<Folder>.<Name>");
                }
                else if (id.Groups["class"].Value != folder)
                {
                    problems.Add(
                        $"{at} takes LogEvents.{id.Groups["class"].Value}.{id.Groups["name"].Value}, not an id of its folder {folder}");
                }
                else if (!ids.TryGetValue($"{folder}.{id.Groups["name"].Value}", out var value))
                {
                    problems.Add($"{at}: LogEvents.{folder}.{id.Groups["name"].Value} does not exist");
                }
                else if (!used.TryAdd(value, at))
                {
                    problems.Add($"{at} reuses id {value} of {used[value]}");
                }
            }
        }

        Assert.True(messages > 30, $"found only {messages} [LoggerMessage] attributes: the scan is broken");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void EveryConstant_IsInsideItsFoldersRange_AndUnique()
    {
        var problems = new List<string>();
        foreach (var (name, value) in Constants())
        {
            var folder = name.Split('.')[0];
            if (!LogEvents.Ranges.TryGetValue(folder, out var range))
            {
                problems.Add($"LogEvents.{name}: no range for {folder} in LogEvents.Ranges");
            }
            else if (value < range.First || value > range.Last)
            {
                problems.Add($"LogEvents.{name} = {value} is outside {folder}'s range {range.First}-{range.Last}");
            }
        }

        problems.AddRange(Constants().GroupBy(c => c.Value).Where(g => g.Count() > 1)
            .Select(g => $"id {g.Key} is taken by {string.Join(" and ", g.Select(c => "LogEvents." + c.Key))}"));
        var ranges = LogEvents.Ranges.OrderBy(r => r.Value.First).ToList();
        problems.AddRange(ranges.Zip(ranges.Skip(1)).Where(p => p.First.Value.Last >= p.Second.Value.First)
            .Select(p => $"the ranges of {p.First.Key} and {p.Second.Key} overlap"));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void TheScan_SeesAnIdThatIsALiteral()
    {
        const string source = """
            [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "x")]
            private static partial void LogX(ILogger logger);

            [LoggerMessage(
                EventId = LogEvents.Postgres.Inspected,
                Level = LogLevel.Debug, Message = "y (z)")]
            private static partial void LogY(ILogger logger);
            """;

        var found = LoggerMessage().Matches(source).Select(m => (
            m.Groups["method"].Value,
            EventId().Match(m.Groups["arguments"].Value).Success));
        Assert.Equal([("LogX", false), ("LogY", true)], found);
    }

    /// <summary>Every id constant of <see cref="LogEvents"/>, by <c>Folder.Name</c>.</summary>
    private static Dictionary<string, int> Constants() =>
        typeof(LogEvents).GetNestedTypes(BindingFlags.Public | BindingFlags.NonPublic)
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral)
                .Select(f => (Name: $"{t.Name}.{f.Name}", Value: (int)f.GetRawConstantValue()!)))
            .ToDictionary(c => c.Name, c => c.Value);

    // The attribute's arguments (strings and one level of parentheses inside), then the method's name.
    [GeneratedRegex(
        @"\[LoggerMessage\((?<arguments>(?:[^()""]|""[^""]*""|\([^()]*\))*)\)\]"
        + @"\s*(?:\[[^\]]*\]\s*)*[\w\s<>?,]*?\s(?<method>\w+)\(")]
    private static partial Regex LoggerMessage();

    [GeneratedRegex(@"\bEventId\s*=\s*LogEvents\.(?<class>\w+)\.(?<name>\w+)\b")]
    private static partial Regex EventId();
}
