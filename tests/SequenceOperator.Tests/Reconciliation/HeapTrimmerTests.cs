using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SequenceOperator.Cli;
using SequenceOperator.Hosting;
using SequenceOperator.Reconciliation;
using SequenceOperator.Tests.Kubernetes;

namespace SequenceOperator.Tests.Reconciliation;

/// <summary>When the operator compacts its heap after a reconcile, and the flag that bounds it.</summary>
public sealed class HeapTrimmerTests
{
    private const long MB = 1 << 20;

    private static (HeapTrimmer Trimmer, ManualClock Clock, List<int> Compacted) Rig(long slack, Func<(long, long)> memory)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero));
        var compacted = new List<int>();
        var trimmer = new HeapTrimmer(slack, clock, NullLogger<HeapTrimmer>.Instance, memory, () => compacted.Add(compacted.Count));
        return (trimmer, clock, compacted);
    }

    [Fact]
    public void Compacts_OnlyWhenTheSpareMemoryExceedsTheSlack()
    {
        var memory = (Committed: 20 * MB, Live: 15 * MB);
        var (trimmer, clock, compacted) = Rig(8 * MB, () => memory);

        trimmer.AfterReconcile(); // 5 MB spare
        memory = (23 * MB, 15 * MB);
        clock.Advance(TimeSpan.FromMinutes(1));
        trimmer.AfterReconcile(); // exactly 8 MB: not more than the slack
        Assert.Empty(compacted);

        memory = (24 * MB, 15 * MB);
        trimmer.AfterReconcile();
        Assert.Single(compacted);
        Assert.Equal((3, 1), (trimmer.Calls, trimmer.Compactions));
    }

    [Fact]
    public void Compacts_AtMostOncePerSpacing_AndAgainAfterIt()
    {
        var (trimmer, clock, compacted) = Rig(8 * MB, () => (40 * MB, 15 * MB));

        trimmer.AfterReconcile();
        clock.Advance(HeapTrimmer.MinimumSpacing - TimeSpan.FromMilliseconds(1));
        trimmer.AfterReconcile();
        Assert.Single(compacted);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        trimmer.AfterReconcile();
        Assert.Equal(2, compacted.Count);
    }

    [Fact]
    public void AClockSetBack_DoesNotStopTheCompactions()
    {
        var (trimmer, clock, compacted) = Rig(8 * MB, () => (40 * MB, 15 * MB));
        trimmer.AfterReconcile();

        clock.Advance(TimeSpan.FromHours(-1)); // the time since the last compaction is now negative
        trimmer.AfterReconcile();
        Assert.Equal(2, compacted.Count);
    }

    [Fact]
    public void ASlackOfZero_NeverCompactsNorReadsTheMemory()
    {
        var (trimmer, _, compacted) = Rig(0, () => throw new InvalidOperationException("read the memory"));
        trimmer.AfterReconcile();
        Assert.Empty(compacted);
        Assert.Equal(1, trimmer.Calls);
    }

    [Fact]
    public void TheRealCompaction_IsAFullCollection()
    {
        var trimmer = new HeapTrimmer(1, TimeProvider.System, NullLogger<HeapTrimmer>.Instance);
        var garbage = new List<byte[]>();
        for (var i = 0; i < 256; i++)
        {
            garbage.Add(new byte[16 * 1024]);
        }

        garbage.Clear();
        GC.Collect(0); // the last collection's figures now count the released arrays' regions as committed
        var before = GC.CollectionCount(2);
        trimmer.AfterReconcile();

        Assert.Equal(1, trimmer.Compactions);
        Assert.True(GC.CollectionCount(2) > before);
    }

    [Fact]
    public async Task TheHost_GivesTheControllerATrimmerWithTheFlagsSlack()
    {
        var kube = new SequenceOperator.Kubernetes.Configuration.KubernetesClientConfiguration
        {
            Server = new Uri("https://127.0.0.1:6443"),
        };
        string[] ports = ["--metrics-port", "18092", "--health-port", "18093"];
        await using (var app = OperatorHost.Build(OperatorArguments.Parse([.. ports, "--heap-slack", "3"], _ => null), kube))
        {
            Assert.Equal(3 * MB, app.Services.GetRequiredService<HeapTrimmer>().SlackBytes);
        }

        await using var defaults = OperatorHost.Build(OperatorArguments.Parse(ports, _ => null), kube);
        Assert.Equal(OperatorOptions.DefaultHeapSlack * MB, defaults.Services.GetRequiredService<HeapTrimmer>().SlackBytes);
    }

    [Fact]
    public void TheFlag_TakesWholeMegabytes_AndTheValidatorBoundsThem()
    {
        var c = OperatorArguments.Parse(["--heap-slack", "0"], _ => null);
        Assert.Equal("0", c["Operator:HeapSlack"]);
        Assert.Equal("12", OperatorArguments.Parse([], n => n == "SEQUENCE_OPERATOR_HEAP_SLACK" ? "12" : null)["Operator:HeapSlack"]);
        Assert.Throws<UsageException>(() => OperatorArguments.Parse(["--heap-slack=8MB"], _ => null));

        var validator = new OperatorOptionsValidator();
        Assert.True(validator.Validate(null, new OperatorOptions { HeapSlack = 0 }).Succeeded);
        Assert.Equal(OperatorOptions.DefaultHeapSlack, new OperatorOptions().HeapSlack);
        foreach (var bad in new[] { -1, OperatorOptions.MaxHeapSlack + 1 })
        {
            var result = validator.Validate(null, new OperatorOptions { HeapSlack = bad });
            Assert.Contains(result.Failures!, f => f.StartsWith("--heap-slack must be from 0 to 1024", StringComparison.Ordinal));
        }
    }
}
