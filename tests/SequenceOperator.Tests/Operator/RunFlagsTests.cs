using Microsoft.Extensions.DependencyInjection;
using SequenceOperator.Cli;
using SequenceOperator.Hosting;
using SequenceOperator.Reconciliation;

namespace SequenceOperator.Tests.Operator;

/// <summary>The run flags for the timeouts of checks and the Event heartbeat.</summary>
public sealed class RunFlagsTests
{
    private static Dictionary<string, string?> Parse(string[] args, Dictionary<string, string>? env = null) =>
        OperatorArguments.Parse(args, name => env?.GetValueOrDefault(name));

    [Fact]
    public void DurationFlags_TakeDurations_FromFlagsOrTheEnvironment()
    {
        var c = Parse(["--connect-timeout=5s", "--command-timeout", "1m30s"], new() { ["SEQUENCE_OPERATOR_EVENT_HEARTBEAT"] = "20m" });
        Assert.Equal(
            ("00:00:05", "00:01:30", "00:20:00"),
            (c["Operator:ConnectTimeout"], c["Operator:CommandTimeout"], c["Operator:EventHeartbeat"]));
        Assert.Contains("'5x'", Assert.Throws<UsageException>(() => Parse(["--connect-timeout=5x"])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_BoundsTheTimeoutsAndTheHeartbeat()
    {
        var fine = new OperatorOptionsValidator().Validate(null, new OperatorOptions());
        Assert.True(fine.Succeeded);
        var result = new OperatorOptionsValidator().Validate(null, new OperatorOptions
        {
            ConnectTimeout = TimeSpan.FromMilliseconds(1500),
            CommandTimeout = TimeSpan.FromHours(2),
            EventHeartbeat = TimeSpan.FromHours(1),
        });
        Assert.Contains(
            result.Failures!,
            f => f.StartsWith("--connect-timeout must be from 1s to 15m0s in whole seconds", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("--command-timeout", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("--event-heartbeat", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheHost_HandsTheTimeoutsToTheReconciler()
    {
        var kube = new SequenceOperator.Kubernetes.Configuration.KubernetesClientConfiguration { Server = new Uri(
            "https://127.0.0.1:6443") };
        await using var app = OperatorHost.Build(
            Parse(["--metrics-port", "18090", "--health-port", "18091", "--connect-timeout", "3s", "--command-timeout", "45s"]),
            kube);
        Assert.Equal(
            new CheckTimeouts { Connect = TimeSpan.FromSeconds(3), Command = TimeSpan.FromSeconds(45) },
            app.Services.GetRequiredService<CheckTimeouts>());
        Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => OperatorHost.Build(
            Parse(["--metrics-port", "18090", "--health-port", "18091", "--connect-timeout", "0s"]),
            kube));
    }
}
