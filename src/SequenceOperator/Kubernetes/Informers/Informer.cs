using System.Collections.Concurrent;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Logging;

namespace SequenceOperator.Kubernetes.Informers;

/// <summary>
/// Keeps a local cache of one resource type in sync: list, then watch from the list's resourceVersion; on every
/// event update the cache and tell subscribers; when a watch ends or breaks, watch again from the last version
/// seen (bookmarks included) after an exponential backoff with jitter; on 410 Gone list again and emit the
/// differences (objects deleted while disconnected come out as Deleted, once). One list+watch per namespace, or
/// one for the whole cluster. It never stops on errors — only when <see cref="RunAsync"/>'s token is cancelled. An
/// optional transform turns each object into what the cache keeps and subscribers see (e.g. without the fields
/// nothing reads), as client-go's SetTransform does.
/// </summary>
internal sealed partial class Informer<T>
    where T : class, IKubernetesObject
{
    private readonly IKubernetesClient _client;
    private readonly ResourceType _type;
    private readonly JsonTypeInfo<T> _typeInfo;
    private readonly InformerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<T, T>? _transform;
    private readonly ConcurrentDictionary<(string Namespace, string Name), T> _cache = new();
    private readonly Lock _subscribersLock = new();
    private readonly List<Channel<InformerEvent<T>>> _subscribers = [];
    private readonly Scope[] _scopes;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _restarts;

    public Informer(
        IKubernetesClient client,
        ResourceType type,
        JsonTypeInfo<T> typeInfo,
        InformerOptions? options = null,
        ILogger<Informer<T>>? logger = null,
        TimeProvider? timeProvider = null,
        Func<T, T>? transform = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _type = type ?? throw new ArgumentNullException(nameof(type));
        _typeInfo = typeInfo ?? throw new ArgumentNullException(nameof(typeInfo));
        _options = options ?? new InformerOptions();
        _logger = logger ?? NullLogger<Informer<T>>.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _transform = transform;
        var now = _time.GetUtcNow();
        _scopes = type.Namespaced && _options.Namespaces is { Count: > 0 } namespaces
            ? namespaces.Distinct(StringComparer.Ordinal).Select(ns => new Scope(ns, now)).ToArray()
            : [new Scope(null, now)];
    }

    /// <summary>Raised (on the informer's loop) each time a watch is opened again.</summary>
    public event EventHandler<WatchRestartedEventArgs>? WatchRestarted;

    /// <summary>True once every namespace's first list has been loaded into the cache.</summary>
    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>Watch restarts so far (ended, broke, 410, stalled).</summary>
    public long WatchRestarts => Interlocked.Read(ref _restarts);

    /// <summary>
    /// The oldest "last sign of life" over the namespaces: a list, an event, a bookmark, or a watch that ended
    /// normally. A healthy informer refreshes it at least every <see cref="StallThreshold"/>.
    /// </summary>
    public DateTimeOffset LastActivity => _scopes.Min(s => s.LastActivity);

    /// <summary>After this long without activity the informer is stuck (a health check can fail on it).</summary>
    public TimeSpan StallThreshold => (_options.WatchTimeout * 2) + _options.StallGrace + _options.MaxBackoff;

    /// <summary>The cached object, or null.</summary>
    public T? Get(string? @namespace, string name) =>
        _cache.TryGetValue((_type.Namespaced ? @namespace ?? string.Empty : string.Empty, name), out var value) ? value : null;

    /// <summary>The cached objects (of one namespace, or all).</summary>
    public IReadOnlyList<T> List(string? @namespace = null) =>
        _cache.Where(e => @namespace is null || e.Key.Namespace == @namespace).Select(e => e.Value).ToList();

    /// <summary>Completes once the cache is synced.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken = default) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// A new stream of every change from now on; with <paramref name="replayExisting"/>, first an Added event for each
    /// object already cached (so a late subscriber sees everything once). Subscribing before <see cref="RunAsync"/>
    /// also gets the initial Added events. Unbounded: the reader should keep up. Dispose to stop receiving.
    /// </summary>
    public InformerSubscription<T> Subscribe(bool replayExisting = false)
    {
        var channel = Channel.CreateUnbounded<InformerEvent<T>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        lock (_subscribersLock)
        {
            if (replayExisting)
            {
                foreach (var value in _cache.Values)
                {
                    channel.Writer.TryWrite(new InformerEvent<T>(InformerEventType.Added, value));
                }
            }

            _subscribers.Add(channel);
        }

        return new InformerSubscription<T>(channel.Reader, () =>
        {
            lock (_subscribersLock)
            {
                _subscribers.Remove(channel);
            }

            channel.Writer.TryComplete();
        });
    }

    /// <summary>Runs the list+watch loops until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_scopes.Select(scope => RunScopeAsync(scope, cancellationToken))).ConfigureAwait(false);
        }
        finally
        {
            lock (_subscribersLock)
            {
                foreach (var channel in _subscribers)
                {
                    channel.Writer.TryComplete();
                }
            }
        }
    }

    private async Task RunScopeAsync(Scope scope, CancellationToken cancellationToken)
    {
        var backoff = new Backoff(_options.InitialBackoff, _options.MaxBackoff);
        var relist = true;
        var consecutiveExpired = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            WatchRestartReason? restart = null;
            var delay = TimeSpan.Zero;
            try
            {
                if (relist)
                {
                    var list = await _client.ListAsync(_type, scope.Namespace, _typeInfo, new ListOptions
                    {
                        LabelSelector = _options.LabelSelector,
                        FieldSelector = _options.FieldSelector,
                        PageSize = _options.PageSize,
                    }, cancellationToken).ConfigureAwait(false);
                    Replace(scope, list.Items);
                    scope.ResourceVersion = list.ResourceVersion;
                    relist = false;
                    Touch(scope);
                    MarkSynced(scope);
                    LogListed(_logger, _type.QualifiedPlural, scope.Namespace ?? "*", list.Items.Count, list.ResourceVersion);
                }

                await WatchOnceAsync(scope, backoff, cancellationToken).ConfigureAwait(false);
                consecutiveExpired = 0;
                restart = WatchRestartReason.Closed;
                Touch(scope);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (WatchStalledException)
            {
                LogStalled(_logger, _type.QualifiedPlural, scope.Namespace ?? "*");
                restart = WatchRestartReason.Stalled;
            }
            catch (GoneException)
            {
                LogExpired(_logger, _type.QualifiedPlural, scope.Namespace ?? "*", scope.ResourceVersion);
                relist = true;
                restart = WatchRestartReason.Expired;
                delay = consecutiveExpired++ == 0 ? TimeSpan.Zero : backoff.Next();
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                delay = backoff.Next();
                restart = relist ? null : WatchRestartReason.Failed;
                LogFailed(_logger, _type.QualifiedPlural, scope.Namespace ?? "*", relist ? "list" : "watch", e.GetType().Name, delay, e);
            }

            if (restart is { } reason)
            {
                Interlocked.Increment(ref _restarts);
                try
                {
                    WatchRestarted?.Invoke(this, new WatchRestartedEventArgs(_type.QualifiedPlural, scope.Namespace, reason));
                }
#pragma warning disable CA1031 // a subscriber's failure must not stop the informer
                catch (Exception e)
#pragma warning restore CA1031
                {
                    LogHandlerFailed(_logger, e);
                }
            }

            if (delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
    }

    /// <summary>
    /// One watch from the scope's version. Every event moves the version on at once, so whatever ends the watch
    /// (the server, a broken connection, an error) the next one resumes right after the last event seen.
    /// </summary>
    private async Task WatchOnceAsync(Scope scope, Backoff backoff, CancellationToken cancellationToken)
    {
        var timeout = _options.WatchTimeout * (1 + Random.Shared.NextDouble());
        var timeoutSeconds = Math.Max(1, (int)timeout.TotalSeconds);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds) + _options.StallGrace);
        try
        {
            await foreach (var change in _client.WatchAsync(_type, scope.Namespace, _typeInfo, new WatchOptions
            {
                ResourceVersion = scope.ResourceVersion,
                AllowBookmarks = true,
                TimeoutSeconds = timeoutSeconds,
                LabelSelector = _options.LabelSelector,
                FieldSelector = _options.FieldSelector,
            }, deadline.Token).ConfigureAwait(false))
            {
                Touch(scope);
                switch (change.Type)
                {
                    case WatchEventType.Added or WatchEventType.Modified:
                        Upsert(change.Object!);
                        break;
                    case WatchEventType.Deleted:
                        Remove(change.Object!);
                        break;
                    case WatchEventType.Bookmark:
                        break;
                    case WatchEventType.Error:
                        throw ApiErrors.FromStatus(change.Status!);
                }

                if (!string.IsNullOrEmpty(change.ResourceVersion))
                {
                    scope.ResourceVersion = change.ResourceVersion;
                }

                backoff.Reset();
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new WatchStalledException();
        }
    }

    private void Replace(Scope scope, IReadOnlyList<T> items)
    {
        var seen = new HashSet<(string, string)>();
        foreach (var item in items)
        {
            seen.Add(Key(item));
            Upsert(item);
        }

        lock (_subscribersLock)
        {
            foreach (var (key, value) in _cache)
            {
                if ((scope.Namespace is null || key.Namespace == scope.Namespace) && !seen.Contains(key) && _cache.TryRemove(key, out _))
                {
                    Publish(new InformerEvent<T>(InformerEventType.Deleted, value));
                }
            }
        }
    }

    // Cache changes and their events happen under the subscribers' lock, so a replaying subscriber sees each object once.
    private void Upsert(T value)
    {
        var key = Key(value);
        lock (_subscribersLock)
        {
            if (_cache.TryGetValue(key, out var existing))
            {
                if (existing.Metadata.ResourceVersion == value.Metadata.ResourceVersion)
                {
                    return;
                }

                value = Transform(value);
                _cache[key] = value;
                Publish(new InformerEvent<T>(InformerEventType.Modified, value));
                return;
            }

            value = Transform(value);
            _cache[key] = value;
            Publish(new InformerEvent<T>(InformerEventType.Added, value));
        }
    }

    private void Remove(T value)
    {
        lock (_subscribersLock)
        {
            if (_cache.TryRemove(Key(value), out _))
            {
                Publish(new InformerEvent<T>(InformerEventType.Deleted, Transform(value)));
            }
        }
    }

    private void Publish(InformerEvent<T> change)
    {
        foreach (var channel in _subscribers)
        {
            channel.Writer.TryWrite(change);
        }
    }

    private T Transform(T value) => _transform is { } transform ? transform(value) : value;

    private (string Namespace, string Name) Key(T value) =>
        (_type.Namespaced ? value.Metadata.Namespace ?? string.Empty : string.Empty, value.Metadata.Name ?? string.Empty);

    private void Touch(Scope scope) => scope.LastActivity = _time.GetUtcNow();

    private void MarkSynced(Scope scope)
    {
        scope.Synced = true;
        if (_scopes.All(s => s.Synced))
        {
            _synced.TrySetResult();
        }
    }

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.WatchListed,
        Level = LogLevel.Debug,
        Message = "Listed {Resource} in {Namespace}: {Count} objects at resourceVersion {ResourceVersion}")]
    private static partial void LogListed(ILogger logger, string resource, string @namespace, int count, string resourceVersion);

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.WatchExpired,
        Level = LogLevel.Information,
        Message = "Watch of {Resource} in {Namespace} expired at resourceVersion {ResourceVersion} (410); listing again")]
    private static partial void LogExpired(ILogger logger, string resource, string @namespace, string? resourceVersion);

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.WatchStalled,
        Level = LogLevel.Warning,
        Message = "Watch of {Resource} in {Namespace} stayed silent past its deadline; reconnecting")]
    private static partial void LogStalled(ILogger logger, string resource, string @namespace);

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.WatchFailed,
        Level = LogLevel.Warning,
        Message = "The {Operation} of {Resource} in {Namespace} failed ({Error}); retrying in {Delay}")]
    private static partial void LogFailed(
        ILogger logger, string resource, string @namespace, string operation, string error, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = LogEvents.Kubernetes.WatchHandlerFailed, Level = LogLevel.Error, Message = "A WatchRestarted handler failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);

    private sealed class Scope(string? @namespace, DateTimeOffset started)
    {
        private long _lastActivityTicks = started.UtcTicks;

        public string? Namespace { get; } = @namespace;

        public bool Synced { get; set; }

        /// <summary>The last version seen (list, event or bookmark): where the next watch starts.</summary>
        public string? ResourceVersion { get; set; }

        public DateTimeOffset LastActivity
        {
            get => new(Interlocked.Read(ref _lastActivityTicks), TimeSpan.Zero);
            set => Interlocked.Exchange(ref _lastActivityTicks, value.UtcTicks);
        }
    }

    private sealed class WatchStalledException : Exception;
}

/// <summary>A subscriber's stream of informer changes; dispose to unsubscribe.</summary>
internal sealed class InformerSubscription<T>(ChannelReader<InformerEvent<T>> reader, Action unsubscribe) : IDisposable
    where T : class
{
    public ChannelReader<InformerEvent<T>> Reader { get; } = reader;

    public void Dispose() => unsubscribe();
}
