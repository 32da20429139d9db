using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes.Authentication;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Logging;

namespace SequenceOperator.Kubernetes.Events;

/// <summary>
/// Writes <c>events.k8s.io/v1</c> Events as client-go's events recorder does. The first occurrence creates an Event
/// (named <c>&lt;object&gt;.&lt;hex time&gt;</c> in the object's namespace, or <c>default</c> for cluster-scoped
/// objects). Isomorphic repeats (same object, type, reason, action and note) within
/// <see cref="EventRecorderOptions.AggregationWindow"/> of the previous one are counted in memory; a background pass
/// merge-patches the Event's <c>series</c> (<c>count</c>, <c>lastObservedTime</c>) at most once per
/// <see cref="EventRecorderOptions.SeriesHeartbeat"/>, and once more when the series ends, paced to
/// <see cref="EventRecorderOptions.SeriesUpdatesPerMinute"/>. So a condition seen at every check costs one write when
/// it appears and a heartbeat's refresh after that, whatever the number of checks; what <c>kubectl get events</c>
/// shows catches up at each write. A new reason or note is a new Event at once. If the Event is gone (expired by the
/// server's TTL, deleted) a new one is created.
/// </summary>
internal sealed partial class EventRecorder : IEventRecorder, IDisposable
{
    private const int MaxNoteBytes = 1024;

    // How often the background pass looks for series to write.
    private static readonly TimeSpan SweepPeriod = TimeSpan.FromSeconds(5);

    private readonly IKubernetesClient _client;
    private readonly EventRecorderOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    // Records of one series run one at a time (so repeats aggregate into it); different series run in parallel.
    private const int Stripes = 64;
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1))];
    // Guards the map and every Series' fields.
    private readonly Lock _seriesLock = new();
    private readonly Dictionary<SeriesKey, Series> _series = [];
    private readonly SemaphoreSlim _sweeping = new(1, 1);
    private readonly CancellationTokenSource _disposed = new();
    private readonly ITimer _sweeper;
    // When the background pass wrote in the last minute (the pace), guarded by the series lock.
    private readonly Queue<DateTimeOffset> _recentWrites = new();

    public EventRecorder(
        IKubernetesClient client,
        EventRecorderOptions? options = null,
        ILogger<EventRecorder>? logger = null,
        TimeProvider? timeProvider = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _options = options ?? new EventRecorderOptions();
        _logger = logger ?? NullLogger<EventRecorder>.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _sweeper = _time.CreateTimer(_ => _ = SweepInBackgroundAsync(), null, SweepPeriod, SweepPeriod);
    }

    /// <summary>Series remembered now.</summary>
    public int TrackedSeries
    {
        get
        {
            lock (_seriesLock)
            {
                return _series.Count;
            }
        }
    }

    public Task RecordAsync(
        IKubernetesObject regarding,
        EventType type,
        string reason,
        string note,
        string action,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(regarding);
        return RecordAsync(new ObjectReference
        {
            ApiVersion = regarding.ApiVersion,
            Kind = regarding.Kind,
            Namespace = regarding.Metadata.Namespace,
            Name = regarding.Metadata.Name,
            Uid = regarding.Metadata.Uid,
            ResourceVersion = regarding.Metadata.ResourceVersion,
        }, type, reason, note, action, cancellationToken);
    }

    public async Task RecordAsync(
        ObjectReference regarding,
        EventType type,
        string reason,
        string note,
        string action,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(regarding);
        ArgumentException.ThrowIfNullOrEmpty(regarding.Name);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        ArgumentException.ThrowIfNullOrEmpty(action);
        note = Truncate(note ?? string.Empty);
        var typeName = type == EventType.Warning ? "Warning" : "Normal";
        var key = new SeriesKey(
            regarding.ApiVersion,
            regarding.Kind,
            regarding.Namespace,
            regarding.Name,
            regarding.Uid,
            typeName,
            reason,
            action,
            note);

        var gate = Stripe(key);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            Series? series;
            bool repeat;
            lock (_seriesLock)
            {
                repeat = _series.TryGetValue(key, out series) && now - series.LastObserved <= _options.AggregationWindow;
                if (repeat)
                {
                    series!.Count++;
                    series.LastObserved = now;
                }
            }

            if (repeat)
            {
                // Counted; the background pass writes it within the heartbeat, unless every repeat is to be written.
                if (_options.SeriesHeartbeat > TimeSpan.Zero || await TryWriteAsync(key, series!, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            else if (series is not null)
            {
                // The series ended and now starts again: its Event gets its final count, a new Event the new series.
                await TryWriteAsync(key, series, cancellationToken).ConfigureAwait(false);
            }

            await CreateAsync(key, regarding, typeName, reason, note, action, now, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsApiFailure(e))
        {
            LogRecordFailed(_logger, reason, regarding.Kind ?? "object", regarding.Name, e.GetType().Name, e);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// One background pass: writes the series whose heartbeat has come (or that ended) with counts not yet written,
    /// the longest unwritten first, as many as the pace allows; forgets ended and expired series.
    /// </summary>
    internal async Task SweepAsync(CancellationToken cancellationToken)
    {
        await _sweeping.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var (key, series) in TakeDue(_time.GetUtcNow()))
            {
                var gate = Stripe(key);
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await TryWriteAsync(key, series, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (IsApiFailure(e))
                {
                    LogRecordFailed(_logger, key.Reason, key.Kind ?? "object", key.Name, e.GetType().Name, e);
                }
                finally
                {
                    gate.Release();
                }
            }
        }
        finally
        {
            _sweeping.Release();
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _sweeper.Dispose();
        _disposed.Dispose();
        _sweeping.Dispose();
        foreach (var stripe in _stripes)
        {
            stripe.Dispose();
        }
    }

    private SemaphoreSlim Stripe(SeriesKey key) => _stripes[(key.GetHashCode() & int.MaxValue) % Stripes];

    private static bool IsApiFailure(Exception e) =>
        e is KubernetesApiException or HttpRequestException or KubernetesAuthenticationException or Polly.Timeout.TimeoutRejectedException;

    /// <summary>The series to write now, within the pace; drops series that ended fully written, or whose Event has expired.</summary>
    private List<(SeriesKey Key, Series Series)> TakeDue(DateTimeOffset now)
    {
        lock (_seriesLock)
        {
            while (_recentWrites.TryPeek(out var written) && now - written >= TimeSpan.FromMinutes(1))
            {
                _recentWrites.Dequeue();
            }

            var due = new List<(SeriesKey Key, Series Series)>();
            var forget = new List<SeriesKey>();
            foreach (var (key, series) in _series)
            {
                var unwritten = series.Count > series.WrittenCount;
                var ended = now - series.LastObserved > _options.AggregationWindow;
                if (now - series.LastWritten > _options.EventTimeToLive || (ended && !unwritten))
                {
                    forget.Add(key); // its Event has expired, or the series is over and fully written
                }
                else if (unwritten && (ended || now - series.LastWritten >= _options.SeriesHeartbeat))
                {
                    due.Add((key, series));
                }
            }

            forget.ForEach(key => _series.Remove(key));

            // The pace: SeriesUpdatesPerMinute in any minute, spread over the passes of the minute; more only as needed
            // to write every due series, the longest unwritten first, before its Event's TTL runs out.
            due.Sort((a, b) => a.Series.LastWritten.CompareTo(b.Series.LastWritten));
            var refreshBy = _options.EventTimeToLive * 11 / 12;
            var needed = 0.0;
            for (var k = 0; k < due.Count; k++)
            {
                var left = due[k].Series.LastWritten + refreshBy - now;
                needed = Math.Max(needed, (k + 1) / (left > SweepPeriod ? left : SweepPeriod).TotalMinutes);
            }

            var perMinute = Math.Max(_options.SeriesUpdatesPerMinute, (int)Math.Ceiling(needed));
            var perPass = (int)Math.Ceiling(perMinute * SweepPeriod.TotalMinutes);
            var write = due.Take(Math.Max(0, Math.Min(perPass, perMinute - _recentWrites.Count))).ToList();
            write.ForEach(_ => _recentWrites.Enqueue(now));
            return write;
        }
    }

    /// <summary>
    /// Merge-patches the series' count and last-observed time, if any occurrence is unwritten. False when the Event is
    /// gone: the series is forgotten then, and its next occurrence creates a new Event.
    /// </summary>
    private async Task<bool> TryWriteAsync(SeriesKey key, Series series, CancellationToken cancellationToken)
    {
        int count;
        DateTimeOffset observed;
        lock (_seriesLock)
        {
            if (series.Count <= series.WrittenCount)
            {
                return true;
            }

            (count, observed) = (series.Count, series.LastObserved);
        }

        var patch = KubernetesPatch.Merge(new JsonObject
        {
            ["series"] = new JsonObject
            {
                ["count"] = count,
                ["lastObservedTime"] = MicroTimeJsonConverter.ToMicroTime(observed),
            },
        });
        try
        {
            await _client.PatchAsync(
                ResourceType.Events,
                series.Namespace,
                series.Name,
                patch,
                KubernetesJsonContext.Default.KubernetesEvent,
                cancellationToken)
                .ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            lock (_seriesLock)
            {
                if (_series.TryGetValue(key, out var current) && ReferenceEquals(current, series))
                {
                    _series.Remove(key);
                }
            }

            return false;
        }

        lock (_seriesLock)
        {
            series.WrittenCount = Math.Max(series.WrittenCount, count);
            series.LastWritten = _time.GetUtcNow();
            if (_time.GetUtcNow() - series.LastObserved > _options.AggregationWindow && series.Count == series.WrittenCount
                && _series.TryGetValue(key, out var current) && ReferenceEquals(current, series))
            {
                _series.Remove(key); // ended, and its final count is written
            }
        }

        return true;
    }

    private async Task SweepInBackgroundAsync()
    {
        try
        {
            await SweepAsync(_disposed.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            // Disposed.
        }
#pragma warning disable CA1031 // a background pass must never take the process down
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogSweepFailed(_logger, e.GetType().Name, e);
        }
    }

    private async Task CreateAsync(
        SeriesKey key,
        ObjectReference regarding,
        string type,
        string reason,
        string note,
        string action,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var @namespace = string.IsNullOrEmpty(regarding.Namespace) ? "default" : regarding.Namespace;
        var name = regarding.Name + "." + (now.ToUnixTimeMilliseconds() * 1_000_000 + Random.Shared.Next(1_000_000)).ToString(
            "x",
            CultureInfo.InvariantCulture);
        var created = await _client.CreateAsync(ResourceType.Events, new KubernetesEvent
        {
            Metadata = new ObjectMeta { Name = name, Namespace = @namespace },
            EventTime = now,
            ReportingController = Limit(_options.ReportingController, 128),
            ReportingInstance = Limit(_options.ReportingInstance, 128),
            Action = Limit(action, 128),
            Reason = Limit(reason, 128),
            Regarding = regarding,
            Note = note,
            Type = type,
        }, KubernetesJsonContext.Default.KubernetesEvent, cancellationToken).ConfigureAwait(false);

        lock (_seriesLock)
        {
            if (_series.Count >= _options.MaxTrackedSeries)
            {
                foreach (var oldest in _series.OrderBy(e => e.Value.LastObserved).Take(Math.Max(
                    1,
                    _series.Count / 4)).Select(e => e.Key).ToList())
                {
                    _series.Remove(oldest);
                }
            }

            _series[key] = new Series(created.Metadata.Namespace ?? @namespace, created.Metadata.Name ?? name)
            {
                Count = 1,
                WrittenCount = 1,
                LastObserved = now,
                LastWritten = now,
            };
        }
    }

    private static string Truncate(string note)
    {
        if (Encoding.UTF8.GetByteCount(note) <= MaxNoteBytes)
        {
            return note;
        }

        var length = Math.Min(note.Length, MaxNoteBytes);
        while (length > 0 && Encoding.UTF8.GetByteCount(note.AsSpan(0, length)) > MaxNoteBytes - 3)
        {
            length--;
        }

        if (length > 0 && char.IsHighSurrogate(note[length - 1]))
        {
            length--;
        }

        return note[..length] + "…";
    }

    private static string Limit(string value, int max) => value.Length <= max ? value : value[..max];

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.EventRecordFailed,
        Level = LogLevel.Warning,
        Message = "Could not record the event {Reason} on {Kind} {Name} ({Error})")]
    private static partial void LogRecordFailed(ILogger logger, string reason, string kind, string name, string error, Exception exception);

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.EventSweepFailed,
        Level = LogLevel.Error,
        Message = "The background pass over Event series failed ({Error})")]
    private static partial void LogSweepFailed(ILogger logger, string error, Exception exception);

    private sealed record SeriesKey(
        string? ApiVersion,
        string? Kind,
        string? Namespace,
        string Name,
        string? Uid,
        string Type,
        string Reason,
        string Action,
        string Note);

    /// <summary>One Event's series; its counters and times change only under the recorder's series lock.</summary>
    private sealed class Series(string @namespace, string name)
    {
        public string Namespace { get; } = @namespace;

        public string Name { get; } = name;

        /// <summary>Occurrences observed.</summary>
        public int Count { get; set; }

        /// <summary>Occurrences the stored Event shows.</summary>
        public int WrittenCount { get; set; }

        public DateTimeOffset LastObserved { get; set; }

        public DateTimeOffset LastWritten { get; set; }
    }
}
