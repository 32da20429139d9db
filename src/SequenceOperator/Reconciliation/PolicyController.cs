using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SequenceOperator.Entities;
using SequenceOperator.Kubernetes.Informers;
using SequenceOperator.Logging;
using SequenceOperator.Metrics;

namespace SequenceOperator.Reconciliation;

/// <summary>
/// Feeds the reconciler: the informer's changes become keys in a work queue, served by a bounded number of workers.
/// A policy is reconciled when it first appears, when its spec changes (generation), when the
/// <c>sequences.cityforge.io/check-now</c> annotation changes, and every <c>spec.interval</c>. Its own status writes
/// wake nothing. A failure retries with the key's backoff (1 s doubling up to 5 min, and never longer than the
/// policy's interval). Workers are permits: a key takes one to be reconciled, and lends it back while it waits for
/// its database server, which runs at most half the workers' checks at once, and one at a time while it does not
/// answer (<see cref="DatabaseServerGate"/>); so a slow or hung server delays only the policies on it, and never
/// holds more than half of the workers.
/// </summary>
internal sealed partial class PolicyController(
    Informer<V1Alpha1SequenceSyncPolicy> informer,
    PolicyReconciler reconciler,
    HeapTrimmer trimmer,
    TimeProvider time,
    ILogger<PolicyController> logger)
{
    private readonly record struct Trigger(string? Uid, long? Generation, string? CheckNow);

    /// <summary>Keys handled since start, for tests and diagnostics.</summary>
    public long Reconciles => Interlocked.Read(ref _reconciles);

    private long _reconciles;

    /// <summary>
    /// Runs until <paramref name="stop"/> is cancelled: then takes no new work and returns once in-flight reconciles
    /// finish. <paramref name="abort"/> cancels in-flight work too (a lost lease).
    /// </summary>
    public async Task RunAsync(int workers, CancellationToken stop, CancellationToken abort)
    {
        using var queue = new WorkQueue<PolicyKey>(time);
        using var permits = new SemaphoreSlim(workers, workers);
        var servers = new DatabaseServerGate(slots: Math.Max(1, workers / 2));
        var seen = new ConcurrentDictionary<PolicyKey, Trigger>();
        using var subscription = informer.Subscribe();
        await informer.WaitForSyncAsync(stop).ConfigureAwait(false);
        foreach (var policy in informer.List())
        {
            Offer(queue, seen, policy);
        }

        LogStarted(logger, workers, informer.List().Count);
        var pump = PumpAsync(subscription.Reader, queue, seen, stop);
        var running = new HashSet<Task>();
        while (await TakeAsync(queue, permits, stop).ConfigureAwait(false) is { } key)
        {
            var permit = new WorkerPermit(permits);
            var work = WorkAsync(queue, new ServerTurns(servers, permit, stop), seen, key, permit, stop, abort);
            lock (running)
            {
                running.Add(work);
            }

            _ = work.ContinueWith(done =>
            {
                lock (running)
                {
                    running.Remove(done);
                }
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        Task[] inFlight;
        lock (running)
        {
            inFlight = [.. running];
        }

        await Task.WhenAll(inFlight).ConfigureAwait(false); // in-flight checks finish; reconciles still waiting for a server stop waiting
        queue.ShutDown();
        await pump.ConfigureAwait(false);
        LogStopped(logger);
    }

    private async Task PumpAsync(
        ChannelReader<InformerEvent<V1Alpha1SequenceSyncPolicy>> reader,
        WorkQueue<PolicyKey> queue,
        ConcurrentDictionary<PolicyKey, Trigger> seen,
        CancellationToken stop)
    {
        try
        {
            await foreach (var change in reader.ReadAllAsync(stop).ConfigureAwait(false))
            {
                if (change.Type == InformerEventType.Deleted)
                {
                    var key = Key(change.Object);
                    seen.TryRemove(key, out _);
                    queue.Add(key); // the worker finds it gone from the cache and cleans up, in order with any in-flight reconcile
                }
                else
                {
                    Offer(queue, seen, change.Object);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Queues the policy when something that should trigger a check changed (not for status-only updates).</summary>
    private static void Offer(WorkQueue<PolicyKey> queue, ConcurrentDictionary<PolicyKey, Trigger> seen, V1Alpha1SequenceSyncPolicy policy)
    {
        var key = Key(policy);
        var trigger = new Trigger(policy.Metadata.Uid, policy.Metadata.Generation,
            policy.Metadata.Annotations?.TryGetValue(PolicyReconciler.CheckNowAnnotation, out var value) == true ? value : null);
        if (seen.TryGetValue(key, out var previous) && previous == trigger)
        {
            return;
        }

        seen[key] = trigger;
        queue.Add(key);
    }

    /// <summary>The next key, once a worker is free; null when stopping.</summary>
    private static async Task<PolicyKey?> TakeAsync(WorkQueue<PolicyKey> queue, SemaphoreSlim permits, CancellationToken stop)
    {
        try
        {
            await permits.WaitAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        try
        {
            return await queue.TakeAsync(stop).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
        {
            permits.Release();
            return null;
        }
    }

    private async Task WorkAsync(
        WorkQueue<PolicyKey> queue,
        ServerTurns servers,
        ConcurrentDictionary<PolicyKey, Trigger> seen,
        PolicyKey key,
        WorkerPermit permit,
        CancellationToken stop,
        CancellationToken abort)
    {
        await Task.Yield(); // the dispatcher goes on taking keys
        try
        {
            await ProcessAsync(queue, servers, seen, key, abort).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping while it waited for its database server: nothing was done; the next leader checks it.
            LogStoppedWaiting(logger, key.Namespace, key.Name);
        }
#pragma warning disable CA1031 // one policy's failure must never stop the workers
        catch (Exception e)
#pragma warning restore CA1031
        {
            var delay = queue.AddRateLimited(key, IntervalOf(key));
            LogReconcileError(logger, key.Namespace, key.Name, e.GetType().Name, delay, e);
        }
        finally
        {
            permit.Dispose();
            queue.Done(key);
            trimmer.AfterReconcile();
        }
    }

    private async Task ProcessAsync(
        WorkQueue<PolicyKey> queue,
        ServerTurns servers,
        ConcurrentDictionary<PolicyKey, Trigger> seen,
        PolicyKey key,
        CancellationToken abort)
    {
        Interlocked.Increment(ref _reconciles);
        using var scope = PolicyScope(logger, key.Namespace, key.Name);
        var policy = informer.Get(key.Namespace, key.Name);
        if (policy is null)
        {
            queue.Remove(key);
            seen.TryRemove(key, out _);
            reconciler.Deleted(key);
            return;
        }

        var result = await reconciler.ReconcileAsync(policy, servers, abort).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case ReconcileOutcome.Requeue:
                // Scheduled first, the backoff cleared after: a failure in between is retried with backoff, not from scratch.
                queue.AddAfter(key, result.Interval);
                queue.Forget(key);
                break;
            case ReconcileOutcome.Retry:
                LogRetry(logger, key.Namespace, key.Name, queue.AddRateLimited(key, result.Interval));
                break;
            default:
                queue.Forget(key);
                queue.Remove(key);
                break;
        }
    }

    /// <summary>The policy's interval as the cache has it (the longest its backoff may wait), or null.</summary>
    private TimeSpan? IntervalOf(PolicyKey key) =>
        KubernetesDuration.TryParse(informer.Get(key.Namespace, key.Name)?.Spec.Interval, out var interval) ? interval : null;

    // Text logs show "=> worcester/cityforge"; JSON logs carry namespace and policy as properties of the scope.
    private static readonly Func<ILogger, string, string, IDisposable?> PolicyScope =
        LoggerMessage.DefineScope<string, string>("{namespace}/{policy}");

    private static PolicyKey Key(V1Alpha1SequenceSyncPolicy policy) =>
        new(policy.Metadata.Namespace ?? string.Empty, policy.Metadata.Name ?? string.Empty);

    [LoggerMessage(
        EventId = LogEvents.Reconciliation.ControllerStarted,
        Level = LogLevel.Information,
        Message = "Controller started with {Workers} workers and {Policies} policies")]
    private static partial void LogStarted(ILogger logger, int workers, int policies);

    [LoggerMessage(EventId = LogEvents.Reconciliation.ControllerStopped, Level = LogLevel.Information, Message = "Controller stopped")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(
        EventId = LogEvents.Reconciliation.ReconcileError,
        Level = LogLevel.Error,
        Message = "Reconcile of {Namespace}/{Name} failed ({Error}); retrying in {Delay}")]
    private static partial void LogReconcileError(
        ILogger logger, string @namespace, string name, string error, TimeSpan delay, Exception exception);

    [LoggerMessage(
        EventId = LogEvents.Reconciliation.ReconcileRetry,
        Level = LogLevel.Debug,
        Message = "Policy {Namespace}/{Name} not ready; retrying in {Delay}")]
    private static partial void LogRetry(ILogger logger, string @namespace, string name, TimeSpan delay);

    [LoggerMessage(
        EventId = LogEvents.Reconciliation.StoppedWaiting,
        Level = LogLevel.Debug,
        Message = "Policy {Namespace}/{Name} stopped waiting for its database server: the controller stops")]
    private static partial void LogStoppedWaiting(ILogger logger, string @namespace, string name);
}
