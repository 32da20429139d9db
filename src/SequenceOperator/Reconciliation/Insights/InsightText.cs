using System.Globalization;

namespace SequenceOperator.Reconciliation.Insights;

/// <summary>The model's answers in words, for <c>kubectl describe</c> and Events. Invariant culture, UTC.</summary>
internal static class InsightText
{
    /// <summary>"int4 column: runs out around 2027-03-02 at about 1.2 M ids a day", or why there is no forecast.</summary>
    public static string Describe(ExhaustionForecast forecast)
    {
        ArgumentNullException.ThrowIfNull(forecast);
        var prefix = forecast.ColumnType.Length == 0 ? string.Empty : $"{forecast.ColumnType} column: ";
        if (forecast.ValuesLeft == 0)
        {
            return $"{prefix}no ids left, the sequence has reached its limit";
        }

        return forecast.ConsumptionPerDay switch
        {
            null => $"{prefix}no forecast yet (not enough history)",
            0 => $"{prefix}no ids handed out recently, no exhaustion forecast",
            var rate when forecast.ExhaustionTime is { } time =>
                $"{prefix}runs out around {time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} at about "
                    + $"{Ids(rate.Value)} a day",
            var rate => $"{prefix}about {Ids(rate.Value)} a day, does not run out within {Years(forecast.Horizon)}",
        };
    }

    /// <summary>
    /// The <c>DriftRecurring</c> Event message: which column, how often, the explicit-id rows and since when, the usual causes.
    /// </summary>
    public static string Describe(DriftRecurrence recurrence)
    {
        ArgumentNullException.ThrowIfNull(recurrence);
        var since = recurrence.CountingSince is { } start ? $" since {Time(start)}" : string.Empty;
        var rows = recurrence.ExplicitIdRows switch
        {
            0 => $"no rows with explicit ids seen{since}",
            var n => $"{Count(n)} row{(n == 1 ? string.Empty : "s")} with explicit ids seen{since}"
                + (recurrence.LastExplicitIdRowsTime is { } last ? $" (last at {Time(last)})" : string.Empty),
        };
        return $"{recurrence.Column} (sequence {recurrence.Sequence}) fell behind again "
            + $"{Duration(recurrence.DetectedAt - recurrence.PreviousDriftEndedAt)} "
            + $"after its last drift ended (repaired or back in sync at {Time(recurrence.PreviousDriftEndedAt)}): "
            + $"{Times(recurrence.DriftsInWindow)} within {Duration(recurrence.Window)}, {Times(recurrence.DriftCount)}{since}; {rows}. "
            + "Usually an import, a restore or a job writes ids without moving the sequence: see the runbook (SequenceDriftRecurring) to "
                + "find the writer.";
    }

    /// <summary>"1.2 M ids", "850 ids", "1 id".</summary>
    internal static string Ids(double count)
    {
        var (scaled, unit) = count switch
        {
            >= 1e9 => (count / 1e9, " G"),
            >= 1e6 => (count / 1e6, " M"),
            >= 1e3 => (count / 1e3, " k"),
            _ => (count, string.Empty),
        };
        var number = scaled.ToString(scaled < 10 ? "0.#" : "0", CultureInfo.InvariantCulture);
        return $"{number}{unit} {(number == "1" && unit.Length == 0 ? "id" : "ids")}";
    }

    /// <summary>"45 min", "3 h", "2 d".</summary>
    internal static string Duration(TimeSpan duration) => duration switch
    {
        { TotalDays: >= 2 } => $"{Math.Round(duration.TotalDays).ToString(CultureInfo.InvariantCulture)} d",
        { TotalHours: >= 1 } => $"{Math.Round(duration.TotalHours).ToString(CultureInfo.InvariantCulture)} h",
        _ => $"{Math.Max(0, Math.Round(duration.TotalMinutes)).ToString(CultureInfo.InvariantCulture)} min",
    };

    private static string Years(TimeSpan horizon) =>
        $"{Math.Round(horizon.TotalDays / 365.25).ToString(CultureInfo.InvariantCulture)} years";

    private static string Times(long n) => n == 1 ? "once" : $"{Count(n)} times";

    private static string Count(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
