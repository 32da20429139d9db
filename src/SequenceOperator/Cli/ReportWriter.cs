using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SequenceOperator.Postgres;

namespace SequenceOperator.Cli;

/// <summary>Why a run failed as a whole (no connection, connection lost, ...), as the engine said it.</summary>
internal sealed record RunFailure(EngineFailure Failure, string Message);

/// <summary>
/// Writes a <see cref="SequenceReport"/> as an aligned table for people or one JSON object for machines, also for a
/// run that failed as a whole: then the report holds what was done before the failure, and the failure is an error.
/// </summary>
internal static class ReportWriter
{
    public static void WriteJson(SequenceReport report, RunFailure? failure, TextWriter output)
    {
        var errors = report.Errors.Select(e => new JsonError(e.Entry, e.Message, null)).ToList();
        if (failure is not null)
        {
            errors.Add(new JsonError(null, failure.Message, failure.Failure));
        }

        output.WriteLine(JsonSerializer.Serialize(
            new JsonReport(report.Sequences, errors, report.RepairSql),
            CliJsonContext.Default.JsonReport));
    }

    public static void WriteText(SequenceReport report, RunFailure? failure, TextWriter output, bool repair)
    {
        var rows = new List<string[]> { Header(repair) };
        rows.AddRange(report.Sequences.Select(s => Row(s, repair)));
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        if (report.Sequences.Count > 0)
        {
            foreach (var row in rows)
            {
                var line = new StringBuilder();
                for (var c = 0; c < row.Length; c++)
                {
                    var numeric = NumericColumns.Contains(rows[0][c]);
                    line.Append(numeric ? row[c].PadLeft(widths[c]) : row[c].PadRight(widths[c]));
                    line.Append(c == row.Length - 1 ? string.Empty : "  ");
                }

                output.WriteLine(line.ToString().TrimEnd());
            }

            output.WriteLine();
        }

        var notes = report.Sequences.Where(s => s.Message.Length > 0).ToList();
        foreach (var s in notes)
        {
            output.WriteLine(OneLine($"  {Identifiers.Display(s.Schema, s.Table)}.{Identifiers.Display(s.Column)}: {s.Message}"));
        }

        foreach (var e in report.Errors)
        {
            output.WriteLine(OneLine($"  error: {e.Entry}: {e.Message}"));
        }

        if (failure is not null)
        {
            output.WriteLine(OneLine($"  error: the run stopped: {failure.Message}"));
        }

        if (notes.Count > 0 || report.Errors.Count > 0 || failure is not null)
        {
            output.WriteLine();
        }

        output.WriteLine(Summary(report, failure));
        if (report.RepairSql is { Length: > 0 } sql)
        {
            output.WriteLine();
            output.WriteLine("-- dry run: the repair would run exactly this SQL (nothing was changed)");
            output.WriteLine(sql);
        }
    }

    /// <summary>
    /// Text on one line: control characters (a newline or tab in a name inside a server message, ...) written as
    /// <c>\n</c>, <c>\r</c>, <c>\t</c> or <c>\uXXXX</c>. Names the engine formats are already escaped
    /// (<see cref="Identifiers.Display(string)"/>); this covers text it did not format.
    /// </summary>
    public static string OneLine(string text)
    {
        if (!text.Any(Identifiers.NeedsEscape))
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            sb.Append(c switch
            {
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                _ when Identifiers.NeedsEscape(c) => @"\u" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    private static readonly HashSet<string> NumericColumns = ["MAX", "NEXT", "BEHIND", "NEXT AFTER", "CAPACITY"];

    private static string[] Header(bool repair) => repair
        ? ["TABLE", "COLUMN", "SEQUENCE", "MAX", "NEXT", "BEHIND", "NEXT AFTER", "CAPACITY", "STATUS"]
        : ["TABLE", "COLUMN", "SEQUENCE", "MAX", "NEXT", "BEHIND", "CAPACITY", "STATUS"];

    private static string[] Row(SequenceEntry s, bool repair)
    {
        var cells = new List<string>
        {
            Identifiers.Display(s.Schema, s.Table),
            Identifiers.Display(s.Column),
            Identifiers.Display(s.SequenceSchema, s.SequenceName),
            (s.JudgedMaxValue ?? s.MaxValue)?.ToString(CultureInfo.InvariantCulture) ?? "-", // what the sequence is judged against
            s.NextValue?.ToString(CultureInfo.InvariantCulture) ?? "-",
            s.BehindBy.ToString(CultureInfo.InvariantCulture),
        };
        if (repair)
        {
            // A dry run: what it would set.
            cells.Add((s.RepairedNextValue ?? s.PlannedNextValue)?.ToString(CultureInfo.InvariantCulture) ?? "-");
        }

        cells.Add(s.CapacityUsed.ToString("0.0%", CultureInfo.InvariantCulture));
        cells.Add(s.Status.ToString());
        return [.. cells];
    }

    // Which row speaks for a sequence that feeds several columns: the one that needs attention most.
    private static readonly SequenceStatus[] Precedence =
    [
        SequenceStatus.Error,
        SequenceStatus.Behind,
        SequenceStatus.Repaired,
        SequenceStatus.InSync,
        SequenceStatus.Skipped,
    ];

    /// <summary>
    /// Counts sequences, not rows: a sequence that feeds two tables is one sequence, with the status of its most
    /// pressing row. Errors add the entries that could not be checked and a failure of the whole run.
    /// </summary>
    private static string Summary(SequenceReport report, RunFailure? failure)
    {
        var sequences = report.Sequences
            .GroupBy(s => (s.SequenceSchema, s.SequenceName))
            .Select(g => g.Select(s => s.Status).MinBy(Rank))
            .ToList();
        int Count(SequenceStatus status) => sequences.Count(s => s == status);

        var checkedPart = $"{sequences.Count} checked";
        if (report.Sequences.Count != sequences.Count)
        {
            checkedPart += $" ({Plural(report.Sequences.Count, "column")})";
        }

        var parts = new List<string> { checkedPart, $"{Count(SequenceStatus.InSync)} in sync", $"{Count(SequenceStatus.Behind)} behind" };
        if (Count(SequenceStatus.Repaired) > 0)
        {
            parts.Add($"{Count(SequenceStatus.Repaired)} repaired");
        }

        // Any other status (one the engine adds later) is counted under its own name when it occurs.
        parts.AddRange(sequences
            .Where(s => !Precedence.Contains(s))
            .GroupBy(s => s)
            .Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"));
        parts.Add(Plural(Count(SequenceStatus.Error) + report.Errors.Count + (failure is null ? 0 : 1), "error"));
        return "Sequences: " + string.Join(", ", parts) + ".";
    }

    private static int Rank(SequenceStatus status)
    {
        var index = Array.IndexOf(Precedence, status);
        return index < 0 ? Precedence.Length : index;
    }

    private static string Plural(int count, string noun) =>
        count.ToString(CultureInfo.InvariantCulture) + " " + noun + (count == 1 ? string.Empty : "s");
}

/// <summary>The JSON document <c>--output json</c> writes.</summary>
internal sealed record JsonReport(
    IReadOnlyList<SequenceEntry> Sequences,
    IReadOnlyList<JsonError> Errors,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Sql);

/// <summary>
/// An error in the JSON document: a table entry that could not be checked (<c>entry</c> is the entry as given), or
/// the failure of the whole run (<c>entry</c> is null and <c>failure</c> says what kind).
/// </summary>
internal sealed record JsonError(
    string? Entry,
    string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] EngineFailure? Failure);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(JsonReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
