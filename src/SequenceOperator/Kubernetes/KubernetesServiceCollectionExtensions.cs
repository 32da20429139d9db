using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SequenceOperator.Kubernetes.Configuration;
using SequenceOperator.Kubernetes.Events;
using SequenceOperator.Kubernetes.LeaderElection;

namespace SequenceOperator.Kubernetes;

/// <summary>Dependency-injection registration of the client and its companions.</summary>
internal static class KubernetesServiceCollectionExtensions
{
    /// <summary>
    /// Registers <paramref name="configuration"/>, a singleton <see cref="IKubernetesClient"/> (disposed with the
    /// container), an <see cref="IEventRecorder"/> and a <see cref="LeaderElector"/>, configured through
    /// <c>IOptions</c> of <see cref="KubernetesClientOptions"/>, <see cref="EventRecorderOptions"/> and
    /// <see cref="LeaderElectionOptions"/>, and <see cref="TimeProvider.System"/> unless another is registered.
    /// </summary>
    public static IServiceCollection AddKubernetesClient(this IServiceCollection services, KubernetesClientConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<KubernetesClientOptions>();
        services.AddOptions<EventRecorderOptions>();
        services.AddOptions<LeaderElectionOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LeaderElectionOptions>, LeaderElectionOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(configuration);
        services.AddSingleton<IKubernetesClient>(sp => KubernetesClient.Create(
            configuration,
            sp.GetRequiredService<IOptions<KubernetesClientOptions>>().Value,
            sp.GetService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IEventRecorder>(sp => new EventRecorder(
            sp.GetRequiredService<IKubernetesClient>(),
            sp.GetRequiredService<IOptions<EventRecorderOptions>>().Value,
            sp.GetService<ILogger<EventRecorder>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new LeaderElector(
            sp.GetRequiredService<IKubernetesClient>(),
            sp.GetRequiredService<IOptions<LeaderElectionOptions>>().Value,
            sp.GetService<ILogger<LeaderElector>>(),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
