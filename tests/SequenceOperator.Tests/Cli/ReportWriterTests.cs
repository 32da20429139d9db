using System.Text.Json;
using SequenceOperator.Cli;
using SequenceOperator.Postgres;

namespace SequenceOperator.Tests.Cli;

/// <summary>The report of a run that failed part-way: what was done before the failure, and the failure.</summary>
public sealed class ReportWriterTests
{
    private static SequenceEntry Entry(string table, SequenceStatus status) => new()
    {
        Schema = "public",
        Table = table,
        Column = "id",
        SequenceSchema = "public",
        SequenceName = table + "_id_seq",
        MaxValue = 10,
        NextValue = 1,
        BehindBy = status == SequenceStatus.InSync ? 0 : 10,
        Status = status,
        RepairedNextValue = status == SequenceStatus.Repaired ? 11 : null,
        Message = status == SequenceStatus.Repaired ? "repaired: next value 1 -> 11 (was behind by 10)" : string.Empty,
    };

    private static readonly SequenceReport Partial = new()
    {
        Sequences = [Entry("cards", SequenceStatus.Repaired), Entry("tags", SequenceStatus.Repaired)],
        Errors = [new EntryError(TableSelector.Parse("nosuch"), "table nosuch does not exist.")],
    };

    private static readonly RunFailure Lost = new(
        EngineFailure.ConnectionFailed,
        "the connection to app@db:5432/city was lost: the server closed the connection");

    [Fact]
    public void Text_ShowsTheValueASharedSequenceIsJudgedAgainst_AndWhatADryRunWouldSet()
    {
        var entry = Entry("tags", SequenceStatus.Behind) with { MaxValue = 4, JudgedMaxValue = 10, PlannedNextValue = 11 };
        using var output = new StringWriter();
        ReportWriter.WriteText(new SequenceReport { Sequences = [entry] }, null, output, repair: true);

        var row = output.ToString().Split('\n').Single(l => l.Contains("public.tags", StringComparison.Ordinal));
        var cells = row.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["public.tags", "id", "public.tags_id_seq", "10", "1", "10", "11"], cells[..7]);
    }

    [Fact]
    public void Json_PartialReport_HoldsWhatWasDoneAndTheFailure()
    {
        using var output = new StringWriter();
        ReportWriter.WriteJson(Partial, Lost, output);

        using var doc = JsonDocument.Parse(output.ToString());
        var sequences = doc.RootElement.GetProperty("sequences").EnumerateArray().ToList();
        Assert.Equal(["Repaired", "Repaired"], sequences.Select(s => s.GetProperty("status").GetString()));
        Assert.Equal(11, sequences[0].GetProperty("repairedNextValue").GetInt64());
        var errors = doc.RootElement.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal(2, errors.Count);
        Assert.Equal("nosuch", errors[0].GetProperty("entry").GetString());
        Assert.False(errors[0].TryGetProperty("failure", out _));
        Assert.Equal(JsonValueKind.Null, errors[1].GetProperty("entry").ValueKind);
        Assert.Equal("ConnectionFailed", errors[1].GetProperty("failure").GetString());
        Assert.Equal(Lost.Message, errors[1].GetProperty("message").GetString());
    }

    [Fact]
    public void Text_PartialReport_ShowsTheRowsTheFailureAndCountsIt()
    {
        using var output = new StringWriter();
        ReportWriter.WriteText(Partial, Lost, output, repair: true);

        var text = output.ToString();
        Assert.Contains("public.cards", text);
        Assert.Contains("  error: the run stopped: the connection to app@db:5432/city was lost", text);
        Assert.Contains("Sequences: 2 checked, 0 in sync, 0 behind, 2 repaired, 2 errors.", text);
    }

    [Fact]
    public void Text_ControlCharactersInMessages_StayOnTheirLine()
    {
        var report = new SequenceReport
        {
            Sequences = [Entry("cards", SequenceStatus.Error) with { Message = "permission denied for table \"a\nb\"\tnow" }],
        };
        using var output = new StringWriter();
        ReportWriter.WriteText(report, null, output, repair: false);

        Assert.Contains("  public.cards.id: permission denied for table \"a\\nb\"\\tnow", output.ToString());
        Assert.Contains("Sequences: 1 checked, 0 in sync, 0 behind, 1 error.", output.ToString());
    }
}
