using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using SequenceOperator.Postgres;

namespace SequenceOperator.Cli;

/// <summary>Writes a <see cref="SequenceReport"/> as an aligned table for people or one JSON object for machines.</summary>
internal static class ReportWriter
{
    public static void WriteJson(SequenceReport report, TextWriter output)
    {
        output.WriteLine(JsonSerializer.Serialize(new JsonReport(report.Sequences, report.Errors, report.RepairSql), CliJsonContext.Default.JsonReport));
    }

    public static void WriteText(SequenceReport report, TextWriter output, bool repair)
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
            output.WriteLine($"  {Identifiers.Display(s.Schema, s.Table)}.{Identifiers.Display(s.Column)}: {s.Message}");
        }

        foreach (var e in report.Errors)
        {
            output.WriteLine($"  error: {e.Entry}: {e.Message}");
        }

        if (notes.Count > 0 || report.Errors.Count > 0)
        {
            output.WriteLine();
        }

        output.WriteLine(Summary(report));
        if (report.RepairSql is { Length: > 0 } sql)
        {
            output.WriteLine();
            output.WriteLine("-- dry run: the repair would run exactly this SQL (nothing was changed)");
            output.WriteLine(sql);
        }
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
            s.MaxValue?.ToString(CultureInfo.InvariantCulture) ?? "-",
            s.NextValue?.ToString(CultureInfo.InvariantCulture) ?? "-",
            s.BehindBy.ToString(CultureInfo.InvariantCulture),
        };
        if (repair)
        {
            cells.Add(s.RepairedNextValue?.ToString(CultureInfo.InvariantCulture) ?? "-");
        }

        cells.Add(s.CapacityUsed.ToString("0.0%", CultureInfo.InvariantCulture));
        cells.Add(s.Status.ToString());
        return [.. cells];
    }

    private static string Summary(SequenceReport report)
    {
        int Count(SequenceStatus status) => report.Sequences.Count(s => s.Status == status);
        var parts = new List<string>
        {
            $"{report.Sequences.Count} checked",
            $"{Count(SequenceStatus.InSync)} in sync",
            $"{Count(SequenceStatus.Behind)} behind",
        };
        if (Count(SequenceStatus.Repaired) > 0)
        {
            parts.Add($"{Count(SequenceStatus.Repaired)} repaired");
        }

        parts.Add($"{Count(SequenceStatus.Error) + report.Errors.Count} errors");
        return string.Join(", ", parts) + ".";
    }
}

/// <summary>The JSON document <c>--output json</c> writes.</summary>
internal sealed record JsonReport(
    IReadOnlyList<SequenceEntry> Sequences,
    IReadOnlyList<EntryError> Errors,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Sql);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(JsonReport))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
