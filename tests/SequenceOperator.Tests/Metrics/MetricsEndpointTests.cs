using SequenceOperator.Metrics;
using SequenceOperator.Postgres;
using SequenceOperator.Reconciliation.Insights;
using SequenceOperator.Testing.Prometheus;

namespace SequenceOperator.Tests.Metrics;

public sealed class MetricsEndpointTests
{
    private static readonly PolicyLabels Worcester = new("worcester", "cityforge");
    private static readonly PolicyLabels Leeds = new("leeds", "cityforge");

    private static SequenceObservation Seq(
        string table,
        SequenceStatus state,
        long behindBy = 0,
        double capacity = 0.01,
        string schema = "public") =>
        new(schema, table, "id", $"{schema}.{table}_id_seq", behindBy, capacity, state);

    [Fact]
    public async Task Scrape_ContentTypeIsPrometheusText004()
    {
        await using var host = await MetricsHost.StartAsync();
        using var response = await host.GetAsync();
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
    }

    [Theory]
    [InlineData("gzip", true)]
    [InlineData("gzip, deflate, br", true)]
    [InlineData("identity;q=1, *;q=0.5", true)]
    [InlineData("gzip;q=0, identity", false)]
    [InlineData("identity", false)]
    [InlineData("", false)]
    public async Task Scrape_GzipsThePage_WhenTheClientAcceptsIt_AsPrometheusDoes(string acceptEncoding, bool gzipped)
    {
        await using var host = await MetricsHost.StartAsync();
        host.Metrics.RecordCheck(Worcester, new CheckOutcome
        {
            Succeeded = true,
            TablesListedExplicitly = true,
            Sequences = [.. Enumerable.Range(0, 200).Select(t => Seq($"t{t}", SequenceStatus.Behind, behindBy: t + 1))],
        });
        var plain = await host.ScrapeTextAsync();

        using var response = await host.GetWithAcceptEncodingAsync(acceptEncoding);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        if (gzipped)
        {
            Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
            Assert.True(body.Length < plain.Length / 4, $"{body.Length} compressed bytes for {plain.Length}");
            await using var gzip = new System.IO.Compression.GZipStream(
                new MemoryStream(body),
                System.IO.Compression.CompressionMode.Decompress);
            using var reader = new StreamReader(gzip, System.Text.Encoding.UTF8);
            Assert.Equal(plain, await reader.ReadToEndAsync());
        }
        else
        {
            Assert.Empty(response.Content.Headers.ContentEncoding);
            Assert.Equal(plain, System.Text.Encoding.UTF8.GetString(body));
        }
    }

    [Fact]
    public async Task Scrape_OneCheck_IsExactlyThisText()
    {
        // The whole exposition for one check: order, HELP/TYPE, label order, number formats and histogram layout.
        await using var host = await MetricsHost.StartAsync();
        host.Time.UtcNow = DateTimeOffset.FromUnixTimeMilliseconds(1_750_000_000_250);
        host.Metrics.SetLeader(true);
        host.Metrics.RecordCheck(Worcester, new CheckOutcome
        {
            Succeeded = true,
            Duration = TimeSpan.FromMilliseconds(30),
            TablesListedExplicitly = true,
            Sequences = [Seq("cards", SequenceStatus.Behind, behindBy: 12, capacity: 0.5)],
        });

        var expected = string.Join('\n',
            "# HELP sequence_operator_check_duration_seconds How long a policy check took, including repairs, in seconds.",
            "# TYPE sequence_operator_check_duration_seconds histogram",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"0.005\"} 0",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"0.01\"} 0",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"0.025\"} 0",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"0.05\"} 1",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"0.1\"} 1",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"0.25\"} 1",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"0.5\"} 1",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"1\"} 1",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"2.5\"} 1",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"5\"} 1",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"10\"} 1",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"30\"} 1",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"60\"} 1",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"120\"} 1",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"300\"} 1",
            "sequence_operator_check_duration_seconds_bucket{namespace=\"worcester\",policy=\"cityforge\",le=\"+Inf\"} 1",
            "sequence_operator_check_duration_seconds_sum{namespace=\"worcester\",policy=\"cityforge\"} 0.03",
            "sequence_operator_check_duration_seconds_count{namespace=\"worcester\",policy=\"cityforge\"} 1",
            "# HELP sequence_operator_checks_total Policy checks by result (success: the check ran without error; failure).",
            "# TYPE sequence_operator_checks_total counter",
            "sequence_operator_checks_total{namespace=\"worcester\",policy=\"cityforge\",result=\"failure\"} 0",
            "sequence_operator_checks_total{namespace=\"worcester\",policy=\"cityforge\",result=\"success\"} 1",
            "# HELP sequence_operator_last_check_timestamp_seconds Unix time of the policy's last check, successful or not.",
            "# TYPE sequence_operator_last_check_timestamp_seconds gauge",
            "sequence_operator_last_check_timestamp_seconds{namespace=\"worcester\",policy=\"cityforge\"} 1750000000.25",
            "# HELP sequence_operator_last_success_timestamp_seconds Unix time of the policy's last successful check (absent until one "
                + "succeeded since the operator started).",
            "# TYPE sequence_operator_last_success_timestamp_seconds gauge",
            "sequence_operator_last_success_timestamp_seconds{namespace=\"worcester\",policy=\"cityforge\"} 1750000000.25",
            "# HELP sequence_operator_leader 1 on the instance that holds the leader lease (or runs without election), else 0.",
            "# TYPE sequence_operator_leader gauge",
            "sequence_operator_leader 1",
            "# HELP sequence_operator_policy_ready 1 when the policy's Ready condition is True (its last check ran without error), else 0.",
            "# TYPE sequence_operator_policy_ready gauge",
            "sequence_operator_policy_ready{namespace=\"worcester\",policy=\"cityforge\"} 1",
            "# HELP sequence_operator_repairs_total Sequence repairs by result (success or failure).",
            "# TYPE sequence_operator_repairs_total counter",
            "sequence_operator_repairs_total{namespace=\"worcester\",policy=\"cityforge\",result=\"failure\"} 0",
            "sequence_operator_repairs_total{namespace=\"worcester\",policy=\"cityforge\",result=\"success\"} 0",
            "# HELP sequence_operator_sequence_behind How far the sequence is behind the highest value in its column; 0 when in sync.",
            "# TYPE sequence_operator_sequence_behind gauge",
            "sequence_operator_sequence_behind{column=\"id\",namespace=\"worcester\",policy=\"cityforge\",schema=\"public\","
                + "sequence=\"public.cards_id_seq\",table=\"cards\"} 12",
            "# HELP sequence_operator_sequence_capacity_used_ratio Share of the sequence's range already handed out (0..1).",
            "# TYPE sequence_operator_sequence_capacity_used_ratio gauge",
            "sequence_operator_sequence_capacity_used_ratio{column=\"id\",namespace=\"worcester\",policy=\"cityforge\",schema=\"public\","
                + "sequence=\"public.cards_id_seq\",table=\"cards\"} 0.5",
            "# HELP sequence_operator_sequences Sequences of the policy by state at the last check: in_sync, behind, repaired, error, "
                + "skipped.",
            "# TYPE sequence_operator_sequences gauge",
            "sequence_operator_sequences{namespace=\"worcester\",policy=\"cityforge\",state=\"behind\"} 1",
            "sequence_operator_sequences{namespace=\"worcester\",policy=\"cityforge\",state=\"error\"} 0",
            "sequence_operator_sequences{namespace=\"worcester\",policy=\"cityforge\",state=\"in_sync\"} 0",
            "sequence_operator_sequences{namespace=\"worcester\",policy=\"cityforge\",state=\"repaired\"} 0",
            "sequence_operator_sequences{namespace=\"worcester\",policy=\"cityforge\",state=\"skipped\"} 0",
            "# HELP sequence_operator_watch_restarts_total Watch streams restarted (ended, broke, or 410 Gone).",
            "# TYPE sequence_operator_watch_restarts_total counter",
            "sequence_operator_watch_restarts_total 0",
            string.Empty);
        var text = await host.ScrapeTextAsync();
        Assert.Equal(expected, text);
        PrometheusTextParser.Parse(text);
    }

    [Fact]
    public async Task Scrape_AfterSeveralChecks_HasTheRecordedValues()
    {
        await using var host = await MetricsHost.StartAsync();
        var start = host.Time.UtcNow;
        host.Metrics.RecordCheck(Worcester, new CheckOutcome
        {
            Succeeded = true,
            Duration = TimeSpan.FromSeconds(0.2),
            TablesListedExplicitly = true,
            RepairsSucceeded = 2,
            Sequences = [
                Seq("cards", SequenceStatus.Repaired),
                Seq("ak_animes", SequenceStatus.InSync, capacity: 0.25),
                Seq("users", SequenceStatus.Error, capacity: double.NaN),
            ],
        });
        host.Time.UtcNow = start.AddMinutes(5);
        host.Metrics.RecordCheck(Worcester, new CheckOutcome
        {
            Succeeded = false,
            Duration = TimeSpan.FromSeconds(7),
            TablesListedExplicitly = true,
            RepairsFailed = 1,
            Sequences = [
                Seq("cards", SequenceStatus.InSync),
                Seq("ak_animes", SequenceStatus.Behind, behindBy: 40, capacity: 0.5),
                Seq("users", SequenceStatus.Error, capacity: double.NaN),
            ],
        });
        host.Metrics.WatchRestarted();
        host.Metrics.WatchRestarted();
        host.Metrics.RecordInsights(Worcester,
        [
            new SequenceInsight
            {
                Column = new FedColumn("public", "ak_animes", "id"),
                Sequence = "public.ak_animes_id_seq",
                History = new DriftHistory { DriftCount = 1, ExplicitIdRows = 40 },
                Forecast = new ExhaustionForecast(1000, start.AddDays(30), 30_000, "int4", TimeSpan.FromDays(36525)),
            },
        ]);

        var m = await host.ScrapeAsync();
        string[] w = ["namespace=worcester", "policy=cityforge"];
        Assert.Equal(1, m.Value("sequence_operator_checks_total", [.. w, "result=success"]));
        Assert.Equal(1, m.Value("sequence_operator_checks_total", [.. w, "result=failure"]));
        Assert.Equal(2, m.Value("sequence_operator_repairs_total", [.. w, "result=success"]));
        Assert.Equal(1, m.Value("sequence_operator_repairs_total", [.. w, "result=failure"]));
        Assert.Equal(0, m.Value("sequence_operator_policy_ready", w));
        Assert.Equal(start.AddMinutes(5).ToUnixTimeSeconds(), m.Value("sequence_operator_last_check_timestamp_seconds", w));
        Assert.Equal(start.ToUnixTimeSeconds(), m.Value("sequence_operator_last_success_timestamp_seconds", w));
        Assert.Equal(
            40,
            m.Value(
                "sequence_operator_sequence_behind",
                [.. w, "table=ak_animes", "column=id", "schema=public", "sequence=public.ak_animes_id_seq"]));
        Assert.Equal(0, m.Value("sequence_operator_sequence_behind", [.. w, "table=cards"]));
        Assert.Equal(0.5, m.Value("sequence_operator_sequence_capacity_used_ratio", [.. w, "table=ak_animes"]));
        Assert.True(double.IsNaN(m.Value("sequence_operator_sequence_capacity_used_ratio", [.. w, "table=users"])));
        Assert.Equal(1, m.Value("sequence_operator_sequences", [.. w, "state=in_sync"]));
        Assert.Equal(1, m.Value("sequence_operator_sequences", [.. w, "state=behind"]));
        Assert.Equal(0, m.Value("sequence_operator_sequences", [.. w, "state=repaired"]));
        Assert.Equal(1, m.Value("sequence_operator_sequences", [.. w, "state=error"]));
        Assert.Equal(2, m.Value("sequence_operator_watch_restarts_total"));
        Assert.Equal(0, m.Value("sequence_operator_leader"));

        Assert.Equal(2, m.Value("sequence_operator_check_duration_seconds_count", w));
        Assert.Equal(7.2, m.Value("sequence_operator_check_duration_seconds_sum", w), 9);
        Assert.Equal(0, m.Value("sequence_operator_check_duration_seconds_bucket", [.. w, "le=0.1"]));
        Assert.Equal(1, m.Value("sequence_operator_check_duration_seconds_bucket", [.. w, "le=0.25"]));
        Assert.Equal(1, m.Value("sequence_operator_check_duration_seconds_bucket", [.. w, "le=5"]));
        Assert.Equal(2, m.Value("sequence_operator_check_duration_seconds_bucket", [.. w, "le=10"]));
        Assert.Equal(2, m.Value("sequence_operator_check_duration_seconds_bucket", [.. w, "le=+Inf"]));
        Assert.Equal(1, m.Value("sequence_operator_drift_detected_total", [.. w, "table=ak_animes"]));
        Assert.Equal(40, m.Value("sequence_operator_explicit_id_rows_total", [.. w, "table=ak_animes"]));
        Assert.Equal(
            start.AddDays(30).ToUnixTimeSeconds(),
            m.Value("sequence_operator_sequence_exhaustion_timestamp_seconds", [.. w, "table=ak_animes"]));

        // Every contract name is served under exactly that name.
        Assert.Equal(MetricNames.All.Order(StringComparer.Ordinal), m.Families.Select(f => f.Name));
    }

    [Fact]
    public async Task RemovePolicy_RemovesEverySeriesOfThatPolicyOnly()
    {
        await using var host = await MetricsHost.StartAsync();
        foreach (var policy in new[] { Worcester, Leeds })
        {
            host.Metrics.RecordCheck(policy, new CheckOutcome
            {
                Succeeded = true,
                Duration = TimeSpan.FromSeconds(1),
                TablesListedExplicitly = true,
                RepairsSucceeded = 1,
                Sequences = [Seq("cards", SequenceStatus.Behind, behindBy: 3)],
            });
        }

        var before = await host.ScrapeAsync();
        Assert.Contains(before.Families.SelectMany(f => f.Samples), s => s.Labels.GetValueOrDefault("namespace") == "worcester");

        host.Metrics.RemovePolicy(Worcester);
        var after = await host.ScrapeAsync();
        var remaining = after.Families.SelectMany(f => f.Samples).ToList();
        Assert.DoesNotContain(remaining, s => s.Labels.GetValueOrDefault("namespace") == "worcester");

        // Leeds keeps every family it had, with the same number of series.
        foreach (var family in before.Families)
        {
            var leedsBefore = family.Samples.Count(s => s.Labels.GetValueOrDefault("namespace") == "leeds");
            var leedsAfter = after.Family(family.Name)?.Samples.Count(s => s.Labels.GetValueOrDefault("namespace") == "leeds") ?? 0;
            Assert.Equal(leedsBefore, leedsAfter);
        }

        Assert.Equal(1, after.Value("sequence_operator_check_duration_seconds_count", "namespace=leeds"));
        Assert.False(host.Metrics.IsLive("worcester", "cityforge"));
    }

    [Fact]
    public async Task RemovedPolicy_CheckedAgain_StartsFreshCounters()
    {
        await using var host = await MetricsHost.StartAsync();
        host.Metrics.RecordCheck(Worcester, new CheckOutcome { Succeeded = true, Sequences = [] });
        host.Metrics.RecordCheck(Worcester, new CheckOutcome { Succeeded = true, Sequences = [] });
        host.Metrics.RemovePolicy(Worcester);
        host.Metrics.RecordCheck(Worcester, new CheckOutcome { Succeeded = false, Sequences = [] });
        var m = await host.ScrapeAsync();
        Assert.Equal(0, m.Value("sequence_operator_checks_total", "namespace=worcester", "result=success"));
        Assert.Equal(1, m.Value("sequence_operator_checks_total", "namespace=worcester", "result=failure"));
        Assert.Empty(m.Samples("sequence_operator_last_success_timestamp_seconds", "namespace=worcester"));
    }

    [Fact]
    public async Task Discovery_ExportsOnlyBehindRepairedErrorOrNearlyFullSequences()
    {
        await using var host = await MetricsHost.StartAsync();
        host.Metrics.RecordCheck(Worcester, new CheckOutcome
        {
            Succeeded = true,
            TablesListedExplicitly = false,
            Sequences =
            [
                Seq("quiet", SequenceStatus.InSync, capacity: 0.2),
                Seq("edge", SequenceStatus.InSync, capacity: 0.8),
                Seq("full", SequenceStatus.InSync, capacity: 0.81),
                Seq("behind", SequenceStatus.Behind, behindBy: 5),
                Seq("repaired", SequenceStatus.Repaired),
                Seq("broken", SequenceStatus.Error),
            ],
        });
        var m = await host.ScrapeAsync();
        Assert.Equal(
            ["behind", "broken", "full", "repaired"],
            m.Samples("sequence_operator_sequence_behind").Select(s => s.Labels["table"]).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["behind", "broken", "full", "repaired"],
            m.Samples("sequence_operator_sequence_capacity_used_ratio").Select(s => s.Labels["table"]).Order(StringComparer.Ordinal));
        Assert.Equal(3, m.Value("sequence_operator_sequences", "state=in_sync"));

        // The next check finds everything in sync: the discovered series go.
        host.Metrics.RecordCheck(Worcester, new CheckOutcome
        {
            Succeeded = true,
            Sequences = [Seq("quiet", SequenceStatus.InSync), Seq("behind", SequenceStatus.InSync)],
        });
        m = await host.ScrapeAsync();
        Assert.Empty(m.Samples("sequence_operator_sequence_behind"));
        Assert.Null(m.Family("sequence_operator_sequence_behind"));
        Assert.Equal(2, m.Value("sequence_operator_sequences", "state=in_sync"));
    }

    [Fact]
    public async Task SkippedSequences_AreCountedAsSkipped_NotAsInSync()
    {
        // A skipped sequence was not judged (its column does not hold its values): a dashboard that adds up in_sync
        // must not count it as healthy.
        await using var host = await MetricsHost.StartAsync();
        host.Metrics.RecordCheck(Worcester, new CheckOutcome
        {
            Succeeded = true,
            TablesListedExplicitly = false,
            Sequences =
            [
                Seq("quiet", SequenceStatus.InSync),
                Seq("legacy", SequenceStatus.Skipped),
                Seq("shared", SequenceStatus.Skipped),
            ],
        });
        var m = await host.ScrapeAsync();
        Assert.Equal(1, m.Value("sequence_operator_sequences", "state=in_sync"));
        Assert.Equal(2, m.Value("sequence_operator_sequences", "state=skipped"));
        Assert.Equal(0, m.Value("sequence_operator_sequences", "state=behind"));
        Assert.Empty(m.Samples("sequence_operator_sequence_behind"));
    }

    [Fact]
    public async Task FailedCheckWithoutObservations_KeepsTheLastKnownSequenceSeries()
    {
        await using var host = await MetricsHost.StartAsync();
        host.Metrics.RecordCheck(
            Worcester,
            new CheckOutcome { Succeeded = true, Sequences = [Seq("cards", SequenceStatus.Behind, behindBy: 9)] });
        host.Metrics.RecordCheck(Worcester, new CheckOutcome { Succeeded = false, Sequences = null });
        var m = await host.ScrapeAsync();
        Assert.Equal(9, m.Value("sequence_operator_sequence_behind", "table=cards"));
        Assert.Equal(1, m.Value("sequence_operator_sequences", "state=behind"));
        Assert.Equal(0, m.Value("sequence_operator_policy_ready", "namespace=worcester"));
    }

    [Fact]
    public async Task LabelValues_AreEscaped_AndReadBackUnchanged()
    {
        await using var host = await MetricsHost.StartAsync();
        const string table = "we\"ird\\ta\nble";
        host.Metrics.RecordCheck(new PolicyLabels("ns", "p\"1"), new CheckOutcome
        {
            Succeeded = true,
            TablesListedExplicitly = true,
            Sequences = [Seq(table, SequenceStatus.InSync, schema: "Sch ema")],
        });
        var text = await host.ScrapeTextAsync();
        Assert.Contains("table=\"we\\\"ird\\\\ta\\nble\"", text, StringComparison.Ordinal);
        var m = PrometheusTextParser.Parse(text);
        var sample = Assert.Single(m.Samples("sequence_operator_sequence_behind"));
        Assert.Equal(table, sample.Labels["table"]);
        Assert.Equal("p\"1", sample.Labels["policy"]);
        Assert.Equal("Sch ema." + table + "_id_seq", sample.Labels["sequence"]);
    }

    [Fact]
    public async Task Cardinality_500PoliciesWith20ListedTables_AreNotTruncated()
    {
        await using var host = await MetricsHost.StartAsync();
        for (var p = 0; p < 500; p++)
        {
            host.Metrics.RecordCheck(new PolicyLabels($"ns{p}", "policy"), new CheckOutcome
            {
                Succeeded = true,
                TablesListedExplicitly = true,
                Sequences = [.. Enumerable.Range(0, 20).Select(t => Seq($"t{t}", SequenceStatus.InSync, capacity: 0.1))],
            });
        }

        var m = await host.ScrapeAsync();
        Assert.Equal(10_000, m.Samples("sequence_operator_sequence_behind").Count);
        Assert.Equal(10_000, m.Samples("sequence_operator_sequence_capacity_used_ratio").Count);
        Assert.Equal(2_500, m.Samples("sequence_operator_sequences").Count);
        Assert.Equal(500, m.Samples("sequence_operator_check_duration_seconds_count").Count);
        Assert.DoesNotContain(m.Families.SelectMany(f => f.Samples), s => s.Labels.ContainsKey("otel_metric_overflow"));
    }

    [Fact]
    public async Task Cardinality_OverTheConfiguredLimit_ShowsTheOverflowSeries()
    {
        // The limit is real: with a small one the SDK folds the excess into one overflow series (so it must be raised).
        await using var host = await MetricsHost.StartAsync(new Dictionary<string, string?> { ["Metrics:SequenceSeriesLimit"] = "10" });
        host.Metrics.RecordCheck(Worcester, new CheckOutcome
        {
            Succeeded = true,
            TablesListedExplicitly = true,
            Sequences = [.. Enumerable.Range(0, 20).Select(t => Seq($"t{t}", SequenceStatus.InSync))],
        });
        var m = await host.ScrapeAsync();
        Assert.Contains(m.Samples("sequence_operator_sequence_behind"), s => s.Labels.GetValueOrDefault("otel_metric_overflow") == "true");
        Assert.True(m.Samples("sequence_operator_sequence_behind").Count < 20);
    }

    [Fact]
    public async Task TwoHosts_SideBySide_DoNotSeeEachOthersSeries()
    {
        await using var a = await MetricsHost.StartAsync();
        await using var b = await MetricsHost.StartAsync();
        a.Metrics.RecordCheck(Worcester, new CheckOutcome { Succeeded = true, Duration = TimeSpan.FromSeconds(1), Sequences = [] });
        b.Metrics.WatchRestarted();
        var ma = await a.ScrapeAsync();
        var mb = await b.ScrapeAsync();
        Assert.Equal(0, ma.Value("sequence_operator_watch_restarts_total"));
        Assert.Equal(1, mb.Value("sequence_operator_watch_restarts_total"));
        Assert.Empty(mb.Samples("sequence_operator_checks_total"));
        Assert.Empty(mb.Samples("sequence_operator_check_duration_seconds_count"));
        Assert.Equal(1, ma.Value("sequence_operator_check_duration_seconds_count"));
    }

    [Fact]
    public async Task ConcurrentScrapes_WhileRecording_AllParse()
    {
        await using var host = await MetricsHost.StartAsync();
        var scrapes = Enumerable.Range(0, 8).Select(_ => Task.Run(host.ScrapeTextAsync)).ToList();
        for (var i = 0; i < 50; i++)
        {
            host.Metrics.RecordCheck(new PolicyLabels("ns", $"p{i % 5}"), new CheckOutcome
            {
                Succeeded = i % 3 != 0,
                Duration = TimeSpan.FromMilliseconds(i),
                TablesListedExplicitly = true,
                Sequences = [Seq("cards", SequenceStatus.Behind, behindBy: i)],
            });
        }

        foreach (var text in await Task.WhenAll(scrapes))
        {
            PrometheusTextParser.Parse(text);
        }

        var m = await host.ScrapeAsync();
        Assert.Equal(50, m.Samples("sequence_operator_checks_total").Sum(s => s.Value));
        Assert.Equal(50, m.Samples("sequence_operator_check_duration_seconds_count").Sum(s => s.Value));
    }

    [Fact]
    public async Task SetPolicyReady_WithoutCheck_ExportsReadyOnly()
    {
        await using var host = await MetricsHost.StartAsync();
        host.Metrics.SetPolicyReady(Worcester, ready: false);
        var m = await host.ScrapeAsync();
        Assert.Equal(0, m.Value("sequence_operator_policy_ready", "namespace=worcester"));
        Assert.Empty(m.Samples("sequence_operator_checks_total"));
        host.Metrics.SetPolicyReady(Worcester, ready: true);
        Assert.Equal(1, (await host.ScrapeAsync()).Value("sequence_operator_policy_ready", "namespace=worcester"));
    }
}
