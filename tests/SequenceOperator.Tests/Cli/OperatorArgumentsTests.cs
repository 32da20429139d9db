using SequenceOperator.Cli;
using SequenceOperator.Hosting;

namespace SequenceOperator.Tests.Cli;

public sealed class OperatorArgumentsTests
{
    private static Dictionary<string, string?> Parse(string[] args, Dictionary<string, string>? env = null) =>
        OperatorArguments.Parse(args, name => env?.GetValueOrDefault(name));

    [Fact]
    public void Flags_AsTheChartPassesThem()
    {
        var c = Parse(["--leader-elect", "--leader-election-id=seq-op", "--leader-election-namespace=ops",
            "--watch-namespaces=worcester,shrewsbuddy", "--max-concurrent-reconciles=8", "--metrics-port=9090", "--health-port", "9091",
            "--log-format=json"]);
        Assert.Equal("true", c["Operator:LeaderElect"]);
        Assert.Equal("seq-op", c["Operator:LeaderElectionId"]);
        Assert.Equal(("worcester", "shrewsbuddy"), (c["Operator:WatchNamespaces:0"], c["Operator:WatchNamespaces:1"]));
        Assert.Equal(
            ("8", "9090", "9091", "json"),
            (c["Operator:MaxConcurrentReconciles"], c["Operator:MetricsPort"], c["Operator:HealthPort"], c["Operator:LogFormat"]));
    }

    [Fact]
    public void EnvironmentVariables_AndFlagsWin()
    {
        var c = Parse(["--watch-namespaces", "a"], new()
        {
            ["SEQUENCE_OPERATOR_WATCH_NAMESPACES"] = "x,y,z",
            ["SEQUENCE_OPERATOR_METRICS_PORT"] = "7000",
            ["POD_NAME"] = "sequence-operator-abc",
            ["POD_NAMESPACE"] = "ops",
        });
        Assert.Equal("a", c["Operator:WatchNamespaces:0"]);
        Assert.False(c.ContainsKey("Operator:WatchNamespaces:1"));
        Assert.Equal("7000", c["Operator:MetricsPort"]);
        Assert.Equal("sequence-operator-abc", c["Operator:Identity"]);
        Assert.Equal("ops", c["Operator:LeaderElectionNamespace"]);
    }

    [Theory]
    [InlineData("--frobnicate")]
    [InlineData("--metrics-port")]
    [InlineData("--metrics-port=abc")]
    [InlineData("--health-port=80.5")]
    [InlineData("--max-concurrent-reconciles=four")]
    [InlineData("--leader-elect=maybe")]
    public void BadFlags_AreUsageErrors(string arg) => Assert.Throws<UsageException>(() => Parse([arg]));

    [Theory]
    [InlineData("SEQUENCE_OPERATOR_METRICS_PORT", "abc", "not a whole number")]
    [InlineData("SEQUENCE_OPERATOR_LEADER_ELECT", "maybe", "not true or false")]
    public void BadVariables_AreUsageErrors_NamingWhatTheyTake(string variable, string value, string expected)
    {
        // Found in review: these reached the options binder, which failed with a stack trace.
        var ex = Assert.Throws<UsageException>(() => Parse([], new() { [variable] = value }));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WellFormedValues_StillPassToTheValidator()
    {
        // A whole number out of range is the options validator's to refuse, with its range in the message.
        var c = Parse(["--metrics-port=-1", "--leader-elect=FALSE", "--max-concurrent-reconciles", " 8 "]);
        Assert.Equal(("-1", "false", "8"), (c["Operator:MetricsPort"], c["Operator:LeaderElect"], c["Operator:MaxConcurrentReconciles"]));
    }

    [Fact]
    public void RuntimeMetrics_FromTheFlagOrItsVariable_IsTheMetricsSetting()
    {
        Assert.Equal("true", Parse(["--runtime-metrics=true"])["Metrics:RuntimeMetrics"]);
        Assert.Equal("false", Parse(["--runtime-metrics", "False"])["Metrics:RuntimeMetrics"]);
        Assert.Equal("true", Parse([], new() { ["SEQUENCE_OPERATOR_RUNTIME_METRICS"] = "TRUE" })["Metrics:RuntimeMetrics"]);
        Assert.False(Parse([]).ContainsKey("Metrics:RuntimeMetrics"));
        var bad = Assert.Throws<UsageException>(() => Parse(["--runtime-metrics=sometimes"]));
        Assert.Contains("not true or false", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_RejectsContradictions()
    {
        var result = new OperatorOptionsValidator().Validate(
            null,
            new OperatorOptions { MetricsPort = 8080, HealthPort = 8080, MaxConcurrentReconciles = 0, WatchNamespaces = ["Bad_NS"] });
        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("must differ", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("--max-concurrent-reconciles", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("'Bad_NS'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenTelemetryVariables_ReachTheHostUnderTheirFullNames_SoOtlpIsWired()
    {
        var settings = Parse(["--metrics-port", "18080", "--health-port", "18081"]);
        OperatorArguments.AddOpenTelemetry(settings, new System.Collections.Hashtable
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318",
            ["PATH"] = "/usr/bin",
        });
        Assert.Equal("http://127.0.0.1:4318", settings["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        Assert.False(settings.ContainsKey("PATH"));

        var kube = new SequenceOperator.Kubernetes.Configuration.KubernetesClientConfiguration { Server = new Uri(
            "https://127.0.0.1:6443") };
        await using var app = OperatorHost.Build(settings, kube);
        var pipeline = (SequenceOperator.Metrics.MetricsPipeline)app.Services.GetService(typeof(SequenceOperator.Metrics.MetricsPipeline))!;
        Assert.True(pipeline.OtlpEnabled);

        await using var without = OperatorHost.Build(Parse(["--metrics-port", "18080", "--health-port", "18081"]), kube);
        Assert.False(
            (
                (
                    SequenceOperator.Metrics.MetricsPipeline)without.Services.GetService(
                        typeof(SequenceOperator.Metrics.MetricsPipeline))!).OtlpEnabled);
    }
}
