using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Logging;

namespace SequenceOperator.Kubernetes.LeaderElection;

/// <summary>
/// Leader election on a Lease, as client-go's leaderelection package does it. Candidates try every
/// <see cref="LeaderElectionOptions.RetryPeriod"/> (with jitter) to take the Lease: it is free when it has no holder or
/// when its record has not changed for <see cref="LeaderElectionOptions.LeaseDuration"/> as measured on this
/// candidate's own clock (no trust in others' clocks). Writes use the Lease's resourceVersion, so of two racing
/// candidates only one wins (the other gets 409). The leader renews every retry period; if it cannot renew within
/// <see cref="LeaderElectionOptions.RenewDeadline"/>, or sees another holder, it stops leading at once: the work's
/// token is cancelled. On shutdown it releases the Lease (no holder) so another candidate takes over immediately.
/// </summary>
internal sealed partial class LeaderElector
{
    private readonly IKubernetesClient _client;
    private readonly LeaderElectionOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private Lease? _observed;
    private long _observedAt; // monotonic timestamp: immune to wall-clock jumps
    private volatile bool _isLeader;

    public LeaderElector(
        IKubernetesClient client,
        LeaderElectionOptions options,
        ILogger<LeaderElector>? logger = null,
        TimeProvider? timeProvider = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _logger = logger ?? NullLogger<LeaderElector>.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Raised with true when this candidate starts leading and false when it stops.</summary>
    public event EventHandler<bool>? LeadershipChanged;

    public bool IsLeader => _isLeader;

    public string Identity => _options.Identity;

    /// <summary>The holder of the Lease as last observed (null if none).</summary>
    public string? ObservedLeader => _observed?.Spec?.HolderIdentity;

    /// <summary>
    /// Campaigns until leading, runs <paramref name="onStartedLeading"/> with a token that is cancelled when leadership
    /// is lost (or <paramref name="cancellationToken"/> is cancelled), waits for it to finish, releases the Lease on
    /// shutdown, calls <paramref name="onStoppedLeading"/> (if it started leading) and returns. Cancellation makes it
    /// return (not throw); exceptions of <paramref name="onStartedLeading"/> are rethrown after the release. Call again
    /// to campaign again.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> onStartedLeading, Action onStoppedLeading, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onStartedLeading);
        ArgumentNullException.ThrowIfNull(onStoppedLeading);
        if (!await AcquireAsync(cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        SetLeader(true);
        Task work;
        try
        {
            work = Task.Run(() => onStartedLeading(leading.Token), CancellationToken.None);
            await RenewLoopAsync(work, leading.Token).ConfigureAwait(false);
        }
        finally
        {
            SetLeader(false);
            await leading.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await work.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
            // The work stopped because leadership ended.
        }
        finally
        {
            if (_options.ReleaseOnCancel && (cancellationToken.IsCancellationRequested || work.IsCompleted))
            {
                await ReleaseAsync().ConfigureAwait(false);
            }

            onStoppedLeading();
        }
    }

    /// <summary>Tries until the Lease is ours; false when cancelled first.</summary>
    private async Task<bool> AcquireAsync(CancellationToken cancellationToken)
    {
        LogCampaigning(_logger, _options.Identity, _options.LeaseNamespace, _options.LeaseName);
        while (!cancellationToken.IsCancellationRequested)
        {
            bool acquired;
            try
            {
                acquired = await TryAcquireOrRenewAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            if (acquired)
            {
                LogAcquired(_logger, _options.Identity, _options.LeaseNamespace, _options.LeaseName);
                return true;
            }

            if (!await DelayAsync(Jitter(_options.RetryPeriod), cancellationToken).ConfigureAwait(false))
            {
                break;
            }
        }

        return false;
    }

    /// <summary>Renews every retry period until the work ends, the token is cancelled, or renewal fails past the deadline.</summary>
    private async Task RenewLoopAsync(Task work, CancellationToken cancellationToken)
    {
        var lastRenewal = _time.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested && !work.IsCompleted)
        {
            var tick = Task.Delay(_options.RetryPeriod, _time, cancellationToken);
            await Task.WhenAny(tick, work).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested || work.IsCompleted)
            {
                return;
            }

            // One renewal may take no longer than what is left of the renew deadline (retries included).
            var left = _options.RenewDeadline - _time.GetElapsedTime(lastRenewal);
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            bool renewed;
            try
            {
                renewed = await TryAcquireOrRenewAsync(attempt.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    return;
                }

                renewed = false;
            }

            if (renewed)
            {
                lastRenewal = _time.GetTimestamp();
                continue;
            }

            if (_observed?.Spec?.HolderIdentity is { Length: > 0 } holder && holder != _options.Identity)
            {
                LogLost(_logger, _options.Identity, holder);
                return;
            }

            if (_time.GetElapsedTime(lastRenewal) >= _options.RenewDeadline)
            {
                LogRenewDeadline(_logger, _options.Identity, _options.RenewDeadline);
                return;
            }
        }
    }

    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        try
        {
            var lease = await _client.TryGetAsync(
                ResourceType.Leases,
                _options.LeaseNamespace,
                _options.LeaseName,
                KubernetesJsonContext.Default.Lease,
                cancellationToken)
                .ConfigureAwait(false);
            if (lease is null)
            {
                var created = await _client.CreateAsync(ResourceType.Leases, new Lease
                {
                    Metadata = new ObjectMeta { Name = _options.LeaseName, Namespace = _options.LeaseNamespace },
                    Spec = NewSpec(now, now, 0),
                }, KubernetesJsonContext.Default.Lease, cancellationToken).ConfigureAwait(false);
                Observe(created);
                return true;
            }

            if (_observed is null || !SameRecord(_observed.Spec, lease.Spec))
            {
                Observe(lease);
            }

            var spec = lease.Spec ?? new LeaseSpec();
            var holder = spec.HolderIdentity;
            var mine = holder == _options.Identity;
            if (!string.IsNullOrEmpty(holder) && !mine)
            {
                var duration = TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? (int)_options.LeaseDuration.TotalSeconds);
                if (_time.GetElapsedTime(_observedAt) < duration)
                {
                    return false;
                }
            }

            var updated = await _client.ReplaceAsync(ResourceType.Leases, lease with
            {
                Spec = mine
                    ? NewSpec(spec.AcquireTime ?? now, now, spec.LeaseTransitions ?? 0)
                    : NewSpec(now, now, (spec.LeaseTransitions ?? 0) + 1),
            }, KubernetesJsonContext.Default.Lease, cancellationToken).ConfigureAwait(false);
            Observe(updated);
            return true;
        }
        catch (Exception e) when (e is KubernetesApiException or HttpRequestException or Authentication.KubernetesAuthenticationException
            or Polly.Timeout.TimeoutRejectedException)
        {
            // 409 (someone else wrote first), 5xx, network: not ours this round.
            LogAttemptFailed(_logger, _options.Identity, e.GetType().Name);
            return false;
        }
    }

    private async Task ReleaseAsync()
    {
        if (_observed?.Spec?.HolderIdentity != _options.Identity)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(_options.RenewDeadline);
        try
        {
            var now = _time.GetUtcNow();
            var released = await _client.ReplaceAsync(ResourceType.Leases, _observed with
            {
                Spec = new LeaseSpec
                {
                    HolderIdentity = null,
                    LeaseDurationSeconds = 1,
                    AcquireTime = now,
                    RenewTime = now,
                    LeaseTransitions = _observed.Spec.LeaseTransitions,
                },
            }, KubernetesJsonContext.Default.Lease, timeout.Token).ConfigureAwait(false);
            Observe(released);
            LogReleased(_logger, _options.Identity);
        }
        catch (Exception e) when (e is KubernetesApiException or HttpRequestException or OperationCanceledException
            or Authentication.KubernetesAuthenticationException)
        {
            LogAttemptFailed(_logger, _options.Identity, e.GetType().Name);
        }
    }

    private LeaseSpec NewSpec(DateTimeOffset acquired, DateTimeOffset renewed, int transitions) => new()
    {
        HolderIdentity = _options.Identity,
        LeaseDurationSeconds = Math.Max(1, (int)Math.Ceiling(_options.LeaseDuration.TotalSeconds)),
        AcquireTime = acquired,
        RenewTime = renewed,
        LeaseTransitions = transitions,
    };

    private void Observe(Lease lease)
    {
        _observed = lease;
        _observedAt = _time.GetTimestamp();
    }

    private static bool SameRecord(LeaseSpec? a, LeaseSpec? b) => a == b;

    private void SetLeader(bool leading)
    {
        if (_isLeader == leading)
        {
            return;
        }

        _isLeader = leading;
        try
        {
            LeadershipChanged?.Invoke(this, leading);
        }
#pragma warning disable CA1031 // a subscriber's failure must not break the election
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogHandlerFailed(_logger, e);
        }
    }

    private static TimeSpan Jitter(TimeSpan period) => period * (1 + (Random.Shared.NextDouble() * 0.2));

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.LeaseCampaigning,
        Level = LogLevel.Information,
        Message = "{Identity} campaigns for the lease {Namespace}/{Name}")]
    private static partial void LogCampaigning(ILogger logger, string identity, string @namespace, string name);

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.LeaseAcquired,
        Level = LogLevel.Information,
        Message = "{Identity} acquired the lease {Namespace}/{Name} and leads")]
    private static partial void LogAcquired(ILogger logger, string identity, string @namespace, string name);

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.LeaseLost,
        Level = LogLevel.Warning,
        Message = "{Identity} lost the lease to {Holder}; it stops leading")]
    private static partial void LogLost(ILogger logger, string identity, string holder);

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.LeaseRenewDeadline,
        Level = LogLevel.Warning,
        Message = "{Identity} could not renew the lease within {Deadline}; it stops leading")]
    private static partial void LogRenewDeadline(ILogger logger, string identity, TimeSpan deadline);

    [LoggerMessage(EventId = LogEvents.Kubernetes.LeaseReleased, Level = LogLevel.Information, Message = "{Identity} released the lease")]
    private static partial void LogReleased(ILogger logger, string identity);

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.LeaseAttemptFailed,
        Level = LogLevel.Debug,
        Message = "{Identity}: lease attempt failed ({Error})")]
    private static partial void LogAttemptFailed(ILogger logger, string identity, string error);

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.LeadershipHandlerFailed,
        Level = LogLevel.Error,
        Message = "A LeadershipChanged handler failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);
}
