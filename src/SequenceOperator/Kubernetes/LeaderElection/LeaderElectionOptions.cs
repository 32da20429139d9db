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

    public void Validate()
    {
        if (LeaseDuration <= RenewDeadline)
        {
            throw new ArgumentException("LeaseDuration must be greater than RenewDeadline.");
        }

        if (RenewDeadline <= RetryPeriod)
        {
            throw new ArgumentException("RenewDeadline must be greater than RetryPeriod.");
        }

        if (RetryPeriod <= TimeSpan.Zero || string.IsNullOrWhiteSpace(Identity) || string.IsNullOrWhiteSpace(LeaseName))
        {
            throw new ArgumentException("RetryPeriod must be positive; Identity and LeaseName must be set.");
        }
    }
}
