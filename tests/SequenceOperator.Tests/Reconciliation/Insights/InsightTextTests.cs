using SequenceOperator.Reconciliation.Insights;

namespace SequenceOperator.Tests.Reconciliation.Insights;

public sealed class InsightTextTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 2, 9, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0.5, "0.5 ids")]
    [InlineData(1, "1 id")]
    [InlineData(850, "850 ids")]
    [InlineData(1_200, "1.2 k ids")]
    [InlineData(1_234_567, "1.2 M ids")]
    [InlineData(45_000_000, "45 M ids")]
    [InlineData(3_000_000_000, "3 G ids")]
    public void Ids_AreWrittenShortForHumans(double count, string text) => Assert.Equal(text, InsightText.Ids(count));

    [Fact]
    public void Forecast_WithARate_SaysWhenAndHowFast()
    {
        var forecast = new ExhaustionForecast(
            1_200_000, new DateTimeOffset(2027, 3, 2, 23, 0, 0, TimeSpan.Zero), 5_000_000, "int4", TimeSpan.FromDays(36525));

        Assert.Equal("int4 column: runs out around 2027-03-02 at about 1.2 M ids a day", forecast.Describe());
    }

    [Fact]
    public void Forecast_WithoutHistory_SaysSo()
    {
        var forecast = new ExhaustionForecast(null, null, 5_000_000, string.Empty, TimeSpan.FromDays(36525));

        Assert.Equal("no forecast yet (not enough history)", forecast.Describe());
    }

    [Fact]
    public void Recurrence_NamesTheColumnHowOftenTheExplicitIdRowsAndSinceWhen()
    {
        var recurrence = new DriftRecurrence
        {
            Column = new FedColumn("public", "cards", "id"),
            Sequence = "public.cards_id_seq",
            DetectedAt = Now,
            PreviousDriftEndedAt = Now.AddHours(-3),
            Window = TimeSpan.FromHours(24),
            DriftCount = 5,
            DriftsInWindow = 2,
            ExplicitIdRows = 1234,
            LastExplicitIdRowsTime = Now,
            CountingSince = new DateTimeOffset(2025, 5, 1, 0, 0, 0, TimeSpan.Zero),
        };

        Assert.Equal(
            "public.cards.id (sequence public.cards_id_seq) fell behind again 3 h after its last drift ended (repaired or back in sync at "
            + "2025-06-02 06:30 UTC): 2 times within 24 h, 5 times since 2025-05-01 00:00 UTC; 1,234 rows with explicit ids seen since "
            + "2025-05-01 00:00 UTC (last at 2025-06-02 09:30 UTC). Usually an import, a restore or a job writes ids without moving the "
            + "sequence: see the runbook (SequenceDriftRecurring) to find the writer.",
            recurrence.Message);
    }
}
