using System.Globalization;
using System.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SequenceOperator.Cli;
using SequenceOperator.Hosting;
using SequenceOperator.Tests.Kubernetes;

namespace SequenceOperator.Tests.Operator;

/// <summary>The garbage collector settings the operator logs at start: read from the GC, as it took them.</summary>
public sealed class GcSettingsTests
{
    [Fact]
    public void From_ReadsTheGcsOwnKeys()
    {
        var settings = GcSettings.From(new Dictionary<string, object>
        {
            ["ServerGC"] = true,
            ["ConcurrentGC"] = false,
            ["GCGen0MaxBudget"] = 2_097_152L,
            ["GCConserveMem"] = 9L,
            ["GCHeapHardLimit"] = 0L,
        });

        Assert.Equal(new GcSettings(Server: true, Concurrent: false, Gen0BudgetCapBytes: 2 << 20, ConserveMemory: 9), settings);
        Assert.Equal("server, non-concurrent, gen0 budget at most 2048 KB, conserve memory 9", settings.ToString());
    }

    [Fact]
    public void From_ReadsAMissingOrOddEntryAsTheDefault()
    {
        var settings = GcSettings.From(new Dictionary<string, object> { ["ConcurrentGC"] = "yes", ["GCConserveMem"] = 7L });

        Assert.Equal(new GcSettings(Server: false, Concurrent: false, Gen0BudgetCapBytes: 0, ConserveMemory: 7), settings);
        Assert.Equal("workstation, non-concurrent, gen0 budget sized by the runtime, conserve memory 7", settings.ToString());
    }

    [Fact]
    public void Current_IsThisProcesssGc_UnderTheKeysItReads()
    {
        // A renamed key would read as its default without a word: the GC must still name the ones From reads.
        var variables = GC.GetConfigurationVariables();
        foreach (var key in new[] { "ServerGC", "ConcurrentGC", "GCGen0MaxBudget", "GCConserveMem" })
        {
            Assert.True(variables.ContainsKey(key), $"the GC no longer reports {key}: {string.Join(", ", variables.Keys)}");
        }

        var current = GcSettings.Current();
        Assert.Equal(GCSettings.IsServerGC, current.Server);
        Assert.Equal(variables["GCGen0MaxBudget"], current.Gen0BudgetCapBytes);
    }

    [Fact]
    public async Task TheOperator_LogsItsGcSettings_WhenItStarts()
    {
        var kube = new SequenceOperator.Kubernetes.Configuration.KubernetesClientConfiguration
        {
            Server = new Uri("https://127.0.0.1:1"), // nothing listens: the informer retries, the log line comes first
        };
        var ports = SequenceOperator.Testing.LoopbackPorts.Free(2);
        using var logs = new CapturingLoggerProvider();
        await using var app = OperatorHost.Build(
            OperatorArguments.Parse(
                [
                    "--metrics-port", ports[0].ToString(CultureInfo.InvariantCulture),
                    "--health-port", ports[1].ToString(CultureInfo.InvariantCulture),
                ],
                _ => null),
            kube,
            services => services.AddSingleton<ILoggerProvider>(logs));
        await app.StartAsync();
        await app.StopAsync();

        var line = Assert.Single(logs.Entries, e => e.Text.StartsWith("Garbage collector: ", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Equal($"Garbage collector: {GcSettings.Current()}", line.Text);
    }
}
