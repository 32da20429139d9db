using Microsoft.Extensions.DependencyInjection;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Events;
using SequenceOperator.Kubernetes.LeaderElection;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Testing.Kubernetes;

namespace SequenceOperator.Tests.Kubernetes;

public sealed class ServiceRegistrationTests
{
    [Fact]
    public async Task AddKubernetesClient_ResolvesAWorkingClientRecorderAndElector()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        var services = new ServiceCollection();
        services.AddKubernetesClient(env.Configuration);
        services.Configure<LeaderElectionOptions>(o => o.LeaseNamespace = "ops");
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IKubernetesClient>();
        Assert.Null(await client.TryGetAsync(ResourceType.Secrets, "ns", "x", KubernetesJsonContext.Default.Secret));

        var recorder = provider.GetRequiredService<IEventRecorder>();
        await recorder.RecordAsync(
            new Widget { Metadata = new ObjectMeta { Name = "w", Namespace = "ns" } },
            EventType.Normal,
            "Checked",
            "ok",
            "Check");
        Assert.Single(env.Server.Store.All(ApiResourceDefinition.Events, "ns"));

        Assert.False(provider.GetRequiredService<LeaderElector>().IsLeader);
    }
}
