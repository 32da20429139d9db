using SequenceOperator.Metrics;
using SequenceOperator.Postgres;
using SequenceOperator.Reconciliation;
using SequenceOperator.Reconciliation.Insights;
using SequenceOperator.Tests.Reconciliation.Insights;

namespace SequenceOperator.Tests.Metrics;

public sealed class InsightMetricsTests
{
    private static readonly PolicyLabels Worcester = new("worcester", "cityforge");
    private static readonly PolicyLabels Leeds = new("leeds", "cityforge");
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    private static SequenceInsight Insight(string table, long drifts = 0, long explicitRows = 0, DateTimeOffset? exhaustion = null) => new()
    {
        Column = new FedColumn("public", table, "id"),
        Sequence = $"public.{table}_id_seq",
        History = new DriftHistory { DriftCount = drifts, ExplicitIdRows = explicitRows },
        Forecast = new ExhaustionForecast(exhaustion is null ? null : 1000, exhaustion, 1_000_000, "int4", TimeSpan.FromDays(36525)),
    };

    [Fact]
    public async Task RecordInsights_ExportsBothCountersPerColumn_AndTheExhaustionTimeWhereThereIsOne()
    {
        await using var host = await MetricsHost.StartAsync();
        var runsOut = new DateTimeOffset(2027, 3, 2, 0, 0, 0, TimeSpan.Zero);
        host.Metrics.RecordInsights(Worcester, [Insight("cards", drifts: 2, explicitRows: 40, exhaustion: runsOut), Insight("ak_animes")]);

        var text = await host.ScrapeTextAsync();
        Assert.Contains(
            "# TYPE sequence_operator_drift_detected_total counter\n"
            + "sequence_operator_drift_detected_total{column=\"id\",namespace=\"worcester\",policy=\"cityforge\",schema=\"public\","
            + "table=\"cards\"} 2\n"
            + "sequence_operator_drift_detected_total{column=\"id\",namespace=\"worcester\",policy=\"cityforge\",schema=\"public\","
            + "table=\"ak_animes\"} 0\n",
            text,
            StringComparison.Ordinal);
        Assert.Contains(
            "# TYPE sequence_operator_explicit_id_rows_total counter\n"
            + "sequence_operator_explicit_id_rows_total{column=\"id\",namespace=\"worcester\",policy=\"cityforge\",schema=\"public\","
            + "table=\"cards\"} 40\n"
            + "sequence_operator_explicit_id_rows_total{column=\"id\",namespace=\"worcester\",policy=\"cityforge\",schema=\"public\","
            + "table=\"ak_animes\"} 0\n",
            text,
            StringComparison.Ordinal);
        Assert.Contains(
            "# TYPE sequence_operator_sequence_exhaustion_timestamp_seconds gauge\n"
            + "sequence_operator_sequence_exhaustion_timestamp_seconds{column=\"id\",namespace=\"worcester\",policy=\"cityforge\","
            + "schema=\"public\",sequence=\"public.cards_id_seq\",table=\"cards\"} 1803945600\n",
            text,
            StringComparison.Ordinal);
        var m = Testing.Prometheus.PrometheusTextParser.Parse(text);
        Assert.Single(m.Samples(MetricNames.SequenceExhaustionTimestampSeconds)); // ak_animes has no forecast: no series
    }

    [Fact]
    public async Task DriftTwiceWithinADay_ThroughTheModel_CountsFromZero_ToTwo()
    {
        await using var host = await MetricsHost.StartAsync();
        var store = new InsightStore();
        var cards = new SimulatedColumn();
        async Task<Testing.Prometheus.PrometheusDocument> CheckAsync(TimeSpan after)
        {
            host.Time.UtcNow += after;
            host.Metrics.RecordInsights(
                Worcester,
                store.Observe(new PolicyKey(Worcester.Namespace, Worcester.Name), [cards.Check()], host.Time.UtcNow).Sequences);
            return await host.ScrapeAsync();
        }

        string[] labels = ["namespace=worcester", "policy=cityforge", "schema=public", "table=cards", "column=id"];
        cards.Insert(100);
        var m = await CheckAsync(TimeSpan.Zero);
        Assert.Equal(0, m.Value(MetricNames.DriftDetectedTotal, labels)); // present at 0 before the first drift: increase() sees it
        Assert.Equal(0, m.Value(MetricNames.ExplicitIdRowsTotal, labels));

        cards.InsertExplicit(10, highestId: 500);
        Assert.Equal(1, (await CheckAsync(Interval)).Value(MetricNames.DriftDetectedTotal, labels));
        Assert.Equal(1, (await CheckAsync(Interval)).Value(MetricNames.DriftDetectedTotal, labels));

        cards.NextValue = 501;
        await CheckAsync(Interval);
        cards.InsertExplicit(10, highestId: 1000);
        m = await CheckAsync(TimeSpan.FromHours(2));
        Assert.Equal(2, m.Value(MetricNames.DriftDetectedTotal, labels));
        Assert.Equal(20, m.Value(MetricNames.ExplicitIdRowsTotal, labels));
        Assert.DoesNotContain(m.Samples(MetricNames.DriftDetectedTotal), s => s.Labels.ContainsKey("sequence"));
    }

    [Fact]
    public async Task RecordInsights_IsASnapshot_ColumnsNoLongerTrackedAndForecastsGoneLoseTheirSeries()
    {
        await using var host = await MetricsHost.StartAsync();
        host.Metrics.RecordInsights(Worcester, [Insight("cards", exhaustion: host.Time.UtcNow.AddDays(10)), Insight("users", drifts: 1)]);
        host.Metrics.RecordInsights(Worcester, [Insight("cards")]);

        var m = await host.ScrapeAsync();
        Assert.Equal(["cards"], m.Samples(MetricNames.DriftDetectedTotal).Select(s => s.Labels["table"]));
        Assert.Null(m.Family(MetricNames.SequenceExhaustionTimestampSeconds));
    }

    [Fact]
    public async Task RemovePolicy_DropsItsInsightSeries_AndKeepsTheOthers()
    {
        await using var host = await MetricsHost.StartAsync();
        foreach (var policy in new[] { Worcester, Leeds })
        {
            host.Metrics.RecordInsights(policy, [Insight("cards", drifts: 3, explicitRows: 7, exhaustion: host.Time.UtcNow.AddDays(5))]);
        }

        host.Metrics.RemovePolicy(Worcester);

        var m = await host.ScrapeAsync();
        foreach (var name in new[]
        {
            MetricNames.DriftDetectedTotal,
            MetricNames.ExplicitIdRowsTotal,
            MetricNames.SequenceExhaustionTimestampSeconds,
        })
        {
            Assert.Equal(["leeds"], m.Samples(name).Select(s => s.Labels["namespace"]));
        }

        Assert.False(host.Metrics.IsLive("worcester", "cityforge"));
    }

    [Fact]
    public async Task InsightSeries_AreCappedByTheirOwnLimit()
    {
        await using var host = await MetricsHost.StartAsync(new Dictionary<string, string?> { ["Metrics:InsightSeriesLimit"] = "10" });
        host.Metrics.RecordInsights(Worcester, [.. Enumerable.Range(0, 20).Select(t => Insight($"t{t}"))]);
        host.Metrics.RecordCheck(Worcester, new CheckOutcome
        {
            Succeeded = true,
            TablesListedExplicitly = true,
            Sequences = [.. Enumerable.Range(
                0,
                20).Select(t => new SequenceObservation("public", $"t{t}", "id", $"public.t{t}_id_seq", 0, 0.1, SequenceStatus.InSync))],
        });

        var m = await host.ScrapeAsync();
        Assert.Contains(m.Samples(MetricNames.DriftDetectedTotal), s => s.Labels.GetValueOrDefault("otel_metric_overflow") == "true");
        Assert.Contains(m.Samples(MetricNames.ExplicitIdRowsTotal), s => s.Labels.GetValueOrDefault("otel_metric_overflow") == "true");
        Assert.Equal(20, m.Samples(MetricNames.SequenceBehind).Count); // the gauges keep their own, larger limit
    }

    [Fact]
    public async Task InsightSeries_500PoliciesWith20Columns_AreNotTruncated()
    {
        await using var host = await MetricsHost.StartAsync();
        var soon = host.Time.UtcNow.AddDays(20);
        for (var p = 0; p < 500; p++)
        {
            host.Metrics.RecordInsights(
                new PolicyLabels($"ns{p}", "policy"),
                [.. Enumerable.Range(0, 20).Select(t => Insight($"t{t}", exhaustion: soon))]);
        }

        var m = await host.ScrapeAsync();
        foreach (var name in new[]
        {
            MetricNames.DriftDetectedTotal,
            MetricNames.ExplicitIdRowsTotal,
            MetricNames.SequenceExhaustionTimestampSeconds,
        })
        {
            Assert.Equal(10_000, m.Samples(name).Count);
            Assert.DoesNotContain(m.Samples(name), s => s.Labels.ContainsKey("otel_metric_overflow"));
        }
    }
}
