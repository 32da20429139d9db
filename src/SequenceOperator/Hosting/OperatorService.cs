using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SequenceOperator.Entities;
using SequenceOperator.Kubernetes.Informers;
using SequenceOperator.Kubernetes.LeaderElection;
using SequenceOperator.Logging;
using SequenceOperator.Metrics;
using SequenceOperator.Reconciliation;

namespace SequenceOperator.Hosting;

/// <summary>
/// The operator's main loop: keeps the policy cache in sync, and reconciles while this instance leads (or always,
/// without leader election). On shutdown it takes no new work, lets in-flight checks and repairs finish, then
/// releases the Lease. A lost Lease cancels in-flight work at once.
/// </summary>
internal sealed partial class OperatorService(
    Informer<V1Alpha1SequenceSyncPolicy> informer,
    PolicyController controller,
    SequenceOperatorMetrics metrics,
    IOptions<OperatorOptions> options,
    ILogger<OperatorService> logger,
    LeaderElector? elector = null) : BackgroundService
{
    private volatile Exception? _failure;

    /// <summary>Set when the loop died: the liveness check fails so that the kubelet restarts the pod.</summary>
    public Exception? Failure => _failure;

    public bool IsLeader => elector?.IsLeader ?? true;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogGarbageCollector(logger, GcSettings.Current());
        informer.WatchRestarted += (_, _) => metrics.WatchRestarted();
        using var informerStop = new CancellationTokenSource();
        var cache = informer.RunAsync(informerStop.Token);
        try
        {
            if (elector is null)
            {
                metrics.SetLeader(true);
                await controller.RunAsync(
                    options.Value.MaxConcurrentReconciles,
                    stoppingToken,
                    CancellationToken.None).ConfigureAwait(false);
                return;
            }

            elector.LeadershipChanged += (_, leading) =>
            {
                metrics.SetLeader(leading);
                LogLeadership(logger, elector.Identity, leading);
            };
            metrics.SetLeader(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                await elector.RunAsync(leading => LeadAsync(leading, stoppingToken), () => { }, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _failure = e;
            LogCrashed(logger, e);
            throw;
        }
        finally
        {
            await informerStop.CancelAsync().ConfigureAwait(false);
            await cache.ConfigureAwait(false);
        }
    }

    /// <summary>Reconciles while leading. Shutdown lets in-flight work finish; a lost lease aborts it.</summary>
    private async Task LeadAsync(CancellationToken leading, CancellationToken hostStopping)
    {
        using var abort = new CancellationTokenSource();
        await using var registration = leading.Register(() =>
        {
            if (!hostStopping.IsCancellationRequested)
            {
                abort.Cancel();
            }
        }).ConfigureAwait(false);
        await controller.RunAsync(options.Value.MaxConcurrentReconciles, leading, abort.Token).ConfigureAwait(false);
    }

    [LoggerMessage(
        EventId = LogEvents.Hosting.Leadership,
        Level = LogLevel.Information,
        Message = "Instance {Identity} leading: {Leading}")]
    private static partial void LogLeadership(ILogger logger, string identity, bool leading);

    [LoggerMessage(EventId = LogEvents.Hosting.GarbageCollector, Level = LogLevel.Information, Message = "Garbage collector: {Settings}")]
    private static partial void LogGarbageCollector(ILogger logger, GcSettings settings);

    [LoggerMessage(EventId = LogEvents.Hosting.Crashed, Level = LogLevel.Critical, Message = "The operator loop stopped unexpectedly")]
    private static partial void LogCrashed(ILogger logger, Exception exception);
}
