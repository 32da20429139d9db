using System.Text.Json;
using SequenceOperator.Metrics;

namespace SequenceOperator.Tests.Deployment;

public sealed class ChartMonitoringTests
{
    private static readonly string[] AlertNames =
    [
        "SequenceBehind", "SequenceRepairFailing", "SequenceChecksStale", "SequenceOperatorAbsent", "SequenceNearExhaustion",
        "SequenceDriftRecurring", "SequenceExhaustionForecast",
    ];

    private static List<Manifest> All => Chart.Render(Chart.EverythingOn);

    private static List<object?> PrometheusRules =>
        All.Single("PrometheusRule").Root.At("spec", "groups").List().SelectMany(g => g.At("rules").List()).ToList();

    private static Dictionary<string, object?> GrafanaProvisioning =>
        Yaml.Parse(All.Single("ConfigMap", $"{Chart.FullName}-grafana-alerts").Root.Str("data", "sequence-operator-alerts.yaml")).Map();

    private static List<object?> GrafanaRules =>
        GrafanaProvisioning.At("groups").List().SelectMany(g => g.At("rules").List()).ToList();

    private static JsonElement Dashboard =>
        JsonDocument.Parse(All.Single("ConfigMap", $"{Chart.FullName}-dashboard").Root.Str("data", "sequence-operator.json")).RootElement;

    [ToolFact]
    public void Monitoring_ByDefault_IsOff()
    {
        var kinds = Chart.Render().Select(m => m.Kind).ToList();

        Assert.DoesNotContain("ServiceMonitor", kinds);
        Assert.DoesNotContain("PrometheusRule", kinds);
        Assert.DoesNotContain("ConfigMap", kinds);
    }

    [ToolFact]
    public void ServiceMonitor_ScrapesTheMetricsServiceAndKeepsThePolicysNamespaceLabel()
    {
        var monitor = All.Single("ServiceMonitor");
        var service = All.Single("Service");

        Assert.Equal("kube-prometheus-stack", monitor.Root.Str("metadata", "labels", "release"));
        var endpoint = Assert.Single(monitor.Root.At("spec", "endpoints").List());
        Assert.Equal("true", endpoint.Str("honorLabels"));
        Assert.Equal("/metrics", endpoint.Str("path"));
        Assert.Contains(service.Root.At("spec", "ports").List(), p => p.Str("name") == endpoint.Str("port"));
        var serviceLabels = service.Root.At("metadata", "labels").Map();
        foreach (var (key, value) in monitor.Root.At("spec", "selector", "matchLabels").Map())
        {
            Assert.Equal(value, serviceLabels[key]);
        }

        Assert.Equal([Chart.Namespace], monitor.Root.Strings("spec", "namespaceSelector", "matchNames"));
    }

    [ToolFact]
    public void PrometheusRule_HasEveryAlertWithSummaryDescriptionAndRunbook()
    {
        var rules = PrometheusRules;
        var anchors = PromQl.MarkdownAnchors(RepoPaths.ReadText("docs", "runbook.md"));

        Assert.Equal(AlertNames.Order(StringComparer.Ordinal), rules.Select(r => r.Str("alert")).Distinct().Order(StringComparer.Ordinal));
        foreach (var rule in rules)
        {
            var name = rule.Str("alert");
            Assert.False(string.IsNullOrWhiteSpace(rule.Str("expr")));
            Assert.Matches("^[0-9]+[smh]$", rule.Str("for"));
            Assert.Contains(rule.Str("labels", "severity"), (string[])["critical", "warning"]);
            Assert.Equal("platform", rule.Str("labels", "team"));
            Assert.False(string.IsNullOrWhiteSpace(rule.Str("annotations", "summary")));
            Assert.False(string.IsNullOrWhiteSpace(rule.Str("annotations", "description")));
            var runbook = rule.Str("annotations", "runbook_url");
            Assert.StartsWith(
                "https://github.com/cityforge/sequence-operator/blob/main/docs/runbook.md#",
                runbook,
                StringComparison.Ordinal);
            var anchor = runbook[(runbook.IndexOf('#', StringComparison.Ordinal) + 1)..];
            Assert.Equal(name.ToLowerInvariant(), anchor);
            Assert.True(anchors.Contains(anchor), $"docs/runbook.md has no heading for #{anchor} ({name})");
        }
    }

    [ToolFact]
    public void PrometheusRule_FiresOnTheDocumentedThresholds()
    {
        var rules = PrometheusRules;
        string Expr(string alert, string severity = "") => rules.Single(r => r.Str("alert") == alert
            && (severity.Length == 0 || r.Str("labels", "severity") == severity)).Str("expr");

        Assert.EndsWith("(sequence_operator_sequence_behind)) > 0", Expr("SequenceBehind"), StringComparison.Ordinal);
        Assert.Equal("5m", rules.Single(r => r.Str("alert") == "SequenceBehind").Str("for"));
        Assert.Contains("sequence_operator_repairs_total{result=\"failure\"}", Expr("SequenceRepairFailing"), StringComparison.Ordinal);
        Assert.EndsWith("(sequence_operator_last_success_timestamp_seconds)) > 900", Expr("SequenceChecksStale"), StringComparison.Ordinal);
        Assert.Equal("(sum(sequence_operator_leader) or vector(0)) < 1", Expr("SequenceOperatorAbsent"));
        Assert.EndsWith(
            "(sequence_operator_sequence_capacity_used_ratio)) > 0.8",
            Expr("SequenceNearExhaustion", "warning"),
            StringComparison.Ordinal);
        Assert.EndsWith(
            "(sequence_operator_sequence_capacity_used_ratio)) > 0.95",
            Expr("SequenceNearExhaustion", "critical"),
            StringComparison.Ordinal);
        Assert.Equal(
            "(round(sum by (namespace, policy, schema, table, column) (increase(sequence_operator_drift_detected_total[24h])))) > 1",
            Expr("SequenceDriftRecurring")); // at least 2 transitions in 24 h
        Assert.Equal(
            "(min by (namespace, policy, schema, table, column, sequence) (sequence_operator_sequence_exhaustion_timestamp_seconds) - "
                + "time()) < 2592000",
            Expr("SequenceExhaustionForecast")); // runs out within 30 days
        Assert.Contains("{{ $value | humanizeDuration }}",
            rules.Single(r => r.Str("alert") == "SequenceExhaustionForecast").Str("annotations", "description"), StringComparison.Ordinal);
    }

    [ToolTheory]
    [InlineData("90m", 5400)]
    [InlineData("12h", 43200)]
    [InlineData("2w", 1209600)]
    public void ExhaustionForecast_Within_IsTheChartValueInSeconds(string within, int seconds)
    {
        var rules = Chart.Render($"prometheusRule: {{enabled: true}}\nalerts: {{exhaustionForecast: {{within: {within}}}}}\n")
            .Single("PrometheusRule").Root.At("spec", "groups").List().SelectMany(g => g.At("rules").List());

        Assert.EndsWith(
            $"- time()) < {seconds}",
            rules.Single(r => r.Str("alert") == "SequenceExhaustionForecast").Str("expr"),
            StringComparison.Ordinal);
    }

    [ToolFact]
    public void AlertsAndDashboard_UseOnlyMetricsTheOperatorExports()
    {
        var expressions = new List<(string Source, string Expression)>();
        expressions.AddRange(PrometheusRules.Select(r => ($"PrometheusRule {r.Str("alert")}", r.Str("expr"))));
        expressions.AddRange(GrafanaRules.SelectMany(r => r.At("data").List()
            .Where(d => d.At("model", "expr") is not null)
            .Select(d => ($"Grafana rule {r.Str("title")}", d.Str("model", "expr")))));
        expressions.AddRange(DashboardExpressions(Dashboard));

        var used = expressions.SelectMany(e => PromQl.MetricsIn(e.Expression).Select(m => (e.Source, Metric: m))).ToList();
        var unknown = used.Where(u => PromQl.ExportedMetric(u.Metric) is null).Select(u => $"{u.Source}: {u.Metric}").ToList();
        Assert.True(unknown.Count == 0, "metrics the operator does not export:\n" + string.Join('\n', unknown));

        // Every source names metrics (the extraction found something), and the dashboard covers its panels' subjects.
        Assert.Contains(used, u => u.Source.StartsWith("PrometheusRule", StringComparison.Ordinal));
        Assert.Contains(used, u => u.Source.StartsWith("Grafana rule", StringComparison.Ordinal));
        var dashboardMetrics = used.Where(u => u.Source.StartsWith("dashboard", StringComparison.Ordinal))
            .Select(u => PromQl.ExportedMetric(u.Metric)).ToHashSet();
        Assert.Superset(
            new HashSet<string?>([MetricNames.SequenceBehind, MetricNames.RepairsTotal, MetricNames.CheckDurationSeconds,
                MetricNames.SequenceCapacityUsedRatio, MetricNames.PolicyReady, MetricNames.DriftDetectedTotal,
                MetricNames.ExplicitIdRowsTotal, MetricNames.SequenceExhaustionTimestampSeconds]),
            dashboardMetrics);
    }

    [ToolFact]
    public void AlertsAndDashboard_AreValidPromQl()
    {
        var expressions = PrometheusRules.Select(r => r.Str("expr"))
            .Concat(GrafanaRules.SelectMany(r => r.At("data").List()).Select(d => d.At("model", "expr") as string).OfType<string>())
            .Concat(DashboardExpressions(Dashboard).Select(e => e.Expression))
            .Select(PromQl.ForParsing)
            .ToList();

        Assert.True(expressions.Count > 20, $"only {expressions.Count} expressions found");
        Assert.Empty(PromQl.SyntaxErrors(expressions));
    }

    [ToolFact]
    public void PromQlCheck_FindsSyntaxErrors()
    {
        var errors = PromQl.SyntaxErrors([
            "sum by (namespace (sequence_operator_leader)",
            "rate(sequence_operator_checks_total[5m]",
            "up == 1",
        ]);

        Assert.Equal(["sum by (namespace (sequence_operator_leader)", "rate(sequence_operator_checks_total[5m]"], errors);
    }

    [Theory]
    [InlineData("sum(rate(sequence_operator_check_duration_seconds_bucket[5m]))", true)]
    [InlineData("sequence_operator_check_duration_seconds_count", true)]
    [InlineData("max(sequence_operator_sequence_behind)", true)]
    [InlineData("rate(sequence_operator_made_up_total[5m])", false)]
    [InlineData("sequence_operator_sequences_count", false)]
    [InlineData("sequence_operator_sequence_behind_bucket", false)]
    public void MetricCheck_TellsExportedFromUnknownSeries(string expression, bool exported)
    {
        var metrics = PromQl.MetricsIn(expression);

        Assert.Single(metrics);
        Assert.Equal(exported, PromQl.ExportedMetric(metrics.Single()) is not null);
    }

    [ToolFact]
    public void GrafanaAlerts_AreAProvisioningFileLabelledForTheSidecar()
    {
        var configMap = All.Single("ConfigMap", $"{Chart.FullName}-grafana-alerts");
        Assert.Equal("1", configMap.Root.Str("metadata", "labels", "grafana_alert"));
        Assert.Equal("monitoring", configMap.Namespace);

        var file = GrafanaProvisioning;
        Assert.Equal("1", file.Str("apiVersion"));
        var group = Assert.Single(file.At("groups").List());
        Assert.Equal("SequenceOperator", group.Str("folder"));
        Assert.Equal("sequence-operator", group.Str("name"));
        Assert.Equal("1m", group.Str("interval"));
        Assert.Equal("1", group.Str("orgId"));

        var rules = group.At("rules").List();
        Assert.Equal(rules.Count, rules.Select(r => r.Str("uid")).Distinct().Count());
        Assert.Equal(rules.Count, rules.Select(r => r.Str("title")).Distinct().Count());
        foreach (var rule in rules)
        {
            Assert.Matches("^[a-zA-Z0-9_-]{1,40}$", rule.Str("uid"));
            var data = rule.At("data").List();
            var refIds = data.Select(d => d.Str("refId")).ToList();
            Assert.Contains(rule.Str("condition"), refIds);
            var query = data.Single(d => d.Str("refId") == "A");
            Assert.Equal("prom-main", query.Str("datasourceUid"));
            Assert.Equal("true", query.Str("model", "instant"));
            Assert.NotNull(query.At("relativeTimeRange", "from"));
            var threshold = data.Single(d => d.Str("refId") == rule.Str("condition"));
            Assert.Equal("__expr__", threshold.Str("datasourceUid"));
            Assert.Equal("threshold", threshold.Str("model", "type"));
            Assert.Equal("A", threshold.Str("model", "expression"));
            Assert.Contains(rule.Str("noDataState"), (string[])["OK", "NoData", "Alerting", "KeepLast"]);
            Assert.Contains(rule.Str("execErrState"), (string[])["OK", "Error", "Alerting", "KeepLast"]);
            Assert.Matches("^[0-9]+[smh]$", rule.Str("for"));
            Assert.Equal("platform", rule.Str("labels", "team"));
            foreach (var annotation in (string[])["summary", "description", "runbook_url"])
            {
                Assert.False(string.IsNullOrWhiteSpace(rule.Str("annotations", annotation)));
            }

            Assert.DoesNotContain("@VALUE@", rule.Str("annotations", "description"), StringComparison.Ordinal);
        }
    }

    [ToolFact]
    public void GrafanaAlerts_AreTheSameAlertsAsThePrometheusRule()
    {
        var prometheus = PrometheusRules.Select(r => (
            r.Str("alert"), r.Str("expr"), r.Str("for"), r.Str("labels", "severity"), r.Str("annotations", "runbook_url"),
            r.Str("annotations", "summary"))).OrderBy(r => r.Item2, StringComparer.Ordinal).ToList();
        var grafana = GrafanaRules.Select(r =>
        {
            var query = r.At("data").List().Single(d => d.Str("refId") == "A").Str("model", "expr");
            var evaluator = r.At("data").List().Single(d => d.Str("refId") == r.Str("condition")).At(
                "model",
                "conditions").List()[0].At("evaluator");
            var op = evaluator.Str("type") switch { "gt" => ">", "lt" => "<", var other => other };
            var title = r.Str("title");
            var alert = AlertNames.Single(a => title.StartsWith(a, StringComparison.Ordinal));
            return (alert, $"({query}) {op} {evaluator.Strings("params")[0]}", r.Str("for"), r.Str("labels", "severity"),
                r.Str("annotations", "runbook_url"), r.Str("annotations", "summary"));
        }).OrderBy(r => r.Item2, StringComparer.Ordinal).ToList();

        Assert.Equal(prometheus, grafana);
    }

    [ToolFact]
    public void Dashboard_IsLabelledForTheSidecarAndTemplatedOnNamespaceAndPolicy()
    {
        var configMap = All.Single("ConfigMap", $"{Chart.FullName}-dashboard");
        Assert.Equal("1", configMap.Root.Str("metadata", "labels", "grafana_dashboard"));
        Assert.Equal("monitoring", configMap.Namespace);
        Assert.Equal(RepoPaths.ReadText("charts", "sequence-operator", "dashboards", "sequence-operator.json").TrimEnd(),
            configMap.Root.Str("data", "sequence-operator.json").TrimEnd());

        var dashboard = Dashboard;
        Assert.Equal("sequence-operator", dashboard.GetProperty("uid").GetString());
        var variables = dashboard.GetProperty("templating").GetProperty("list").EnumerateArray()
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v.GetProperty("type").GetString());
        Assert.Equal("datasource", variables["datasource"]);
        Assert.Equal("query", variables["namespace"]);
        Assert.Equal("query", variables["policy"]);

        var panels = AllPanels(dashboard).ToList();
        Assert.Equal(panels.Count, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
        foreach (var (
            source,
            expression) in DashboardExpressions(dashboard).Where(e => e.Source.StartsWith("dashboard panel", StringComparison.Ordinal)))
        {
            if (PromQl.MetricsIn(expression).Select(PromQl.ExportedMetric).Any(m => PromQl.PolicyMetrics.Contains(m)))
            {
                Assert.True(expression.Contains("namespace=~\"$namespace\"", StringComparison.Ordinal)
                    && expression.Contains("policy=~\"$policy\"", StringComparison.Ordinal),
                    $"{source} does not filter on $namespace and $policy: {expression}");
            }
        }

        var titles = panels.Select(p => p.GetProperty("title").GetString()).ToList();
        Assert.Contains("Drift per namespace and table", titles);
        Assert.Contains("Repairs over time", titles);
        Assert.Contains("Check duration", titles);
        Assert.Contains("Capacity used", titles);
        Assert.Contains("Policy readiness", titles);
        Assert.Contains("Recurring drift by table", titles);
        Assert.Contains("Forecast exhaustion (soonest first)", titles);
    }

    private static IEnumerable<JsonElement> AllPanels(JsonElement dashboard) =>
        dashboard.GetProperty("panels").EnumerateArray().SelectMany(p =>
            p.TryGetProperty("panels", out var nested) ? nested.EnumerateArray().Prepend(p) : [p]);

    private static IEnumerable<(string Source, string Expression)> DashboardExpressions(JsonElement dashboard)
    {
        foreach (var panel in AllPanels(dashboard))
        {
            if (panel.TryGetProperty("targets", out var targets))
            {
                foreach (var target in targets.EnumerateArray())
                {
                    yield return ($"dashboard panel {panel.GetProperty("title").GetString()}", target.GetProperty("expr").GetString()!);
                }
            }
        }

        foreach (var variable in dashboard.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.TryGetProperty("query", out var query))
            {
                var text = query.ValueKind == JsonValueKind.Object ? query.GetProperty("query").GetString() : query.GetString();
                yield return ($"dashboard variable {variable.GetProperty("name").GetString()}", text ?? string.Empty);
            }
        }
    }
}
