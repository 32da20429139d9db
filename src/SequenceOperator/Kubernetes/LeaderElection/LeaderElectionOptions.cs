using Microsoft.Extensions.Options;

namespace SequenceOperator.Kubernetes.LeaderElection;

/// <summary>Leader election through a <c>coordination.k8s.io/v1</c> Lease (options pattern; client-go's defaults).</summary>
internal sealed class LeaderElectionOptions
{
    public string LeaseName { get; set; } = "sequence-operator";

    public string LeaseNamespace { get; set; } = "default";

    /// <summary>This candidate's identity (the pod name plus something unique per process).</summary>
    public string Identity { get; set; } = Environment.MachineName + "_" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>How long others wait, after the lease last changed, before taking it over.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How long the leader keeps retrying a failed renewal before it gives up leading (less than the lease duration).</summary>
    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often candidates try to acquire, and the leader renews.</summary>
    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>On shutdown, clear the holder so another candidate takes over at once.</summary>
    public bool ReleaseOnCancel { get; set; } = true;

}

/// <summary>
/// The one check of <see cref="LeaderElectionOptions"/>: registered with <c>ValidateOnStart</c> by
/// <see cref="KubernetesServiceCollectionExtensions.AddKubernetesClient"/>; the operator's own options validator asks
/// <see cref="TimingFailures"/> for the same rule, so it reads the same everywhere.
/// </summary>
internal sealed class LeaderElectionOptionsValidator : IValidateOptions<LeaderElectionOptions>
{
    public ValidateOptionsResult Validate(string? name, LeaderElectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = TimingFailures(options.LeaseDuration, options.RenewDeadline, options.RetryPeriod).ToList();
        if (string.IsNullOrWhiteSpace(options.Identity) || string.IsNullOrWhiteSpace(options.LeaseName))
        {
            failures.Add("leader election needs an identity and a lease name");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>client-go's rule: lease duration > renew deadline > retry period > 0.</summary>
    public static IEnumerable<string> TimingFailures(TimeSpan leaseDuration, TimeSpan renewDeadline, TimeSpan retryPeriod)
    {
        if (!(leaseDuration > renewDeadline && renewDeadline > retryPeriod && retryPeriod > TimeSpan.Zero))
        {
            yield return "leader election needs lease duration > renew deadline > retry period > 0";
        }
    }
}
