using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
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
/// server's TTL, deleted) a new one is created. A series is remembered by a hash of what identifies it, with only what
/// its writes need (<see cref="Series"/>): no copy of the note.
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
    // Guards the map.
    private readonly Lock _seriesLock = new();
    private readonly Dictionary<SeriesId, Series> _series = [];
    private readonly long _seed = Random.Shared.NextInt64();
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
        var key = Identify(regarding, typeName, reason, action, note);
        var gate = Stripe(key);
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            bool known;
            bool repeat;
            Series series;
            lock (_seriesLock)
            {
                known = _series.TryGetValue(key, out series);
                repeat = known && now.UtcDateTime - series.LastObserved <= _options.AggregationWindow;
                if (repeat)
                {
                    _series[key] = series with { Count = series.Count + 1, LastObserved = now.UtcDateTime };
                }
            }

            if (repeat)
            {
                // Counted; the background pass writes it within the heartbeat, unless every repeat is to be written.
                if (_options.SeriesHeartbeat > TimeSpan.Zero || await TryWriteAsync(key, series, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }
            else if (known)
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
            foreach (var (key, series) in TakeDue(_time.GetUtcNow().UtcDateTime))
            {
                var gate = Stripe(key);
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await TryWriteAsync(key, series, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (IsApiFailure(e))
                {
                    LogSeriesWriteFailed(_logger, series.Namespace, series.Name, e.GetType().Name, e);
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

    private SemaphoreSlim Stripe(SeriesId key) => _stripes[(int)(key.Low % Stripes)];

    /// <summary>
    /// What tells a series apart: a 128-bit XXH3 hash of the object (apiVersion, kind, namespace, name, uid), type,
    /// reason, action and note, each field preceded by its length (-1 for null) so that no two different lists of
    /// fields hash the same bytes. Of n series remembered at once, two share a hash with a probability of about
    /// n²/2¹²⁹: below 10⁻²⁹ even at 65,536. XXH3 is no cryptographic hash, but its seed is drawn per recorder, so
    /// whoever can choose a note's text (a table's name) has no known seed to craft a collision for; and a collision
    /// would only count a condition's occurrences into another condition's Event.
    /// </summary>
    private SeriesId Identify(ObjectReference regarding, string type, string reason, string action, string note)
    {
        var hash = new XxHash128(_seed);
        ReadOnlySpan<string?> fields = [regarding.ApiVersion, regarding.Kind, regarding.Namespace, regarding.Name, regarding.Uid,
            type, reason, action, note];
        foreach (var field in fields)
        {
            var length = field?.Length ?? -1;
            hash.Append(MemoryMarshal.AsBytes(new ReadOnlySpan<int>(in length)));
            hash.Append(MemoryMarshal.AsBytes(field.AsSpan()));
        }

        var value = hash.GetCurrentHashAsUInt128();
        return new SeriesId((ulong)(value >> 64), (ulong)value);
    }

    private static bool IsApiFailure(Exception e) =>
        e is KubernetesApiException or HttpRequestException or KubernetesAuthenticationException or Polly.Timeout.TimeoutRejectedException;

    /// <summary>The series to write now, within the pace; drops series that ended fully written, or whose Event has expired.</summary>
    private List<(SeriesId Key, Series Series)> TakeDue(DateTime now)
    {
        lock (_seriesLock)
        {
            while (_recentWrites.TryPeek(out var written) && now - written >= TimeSpan.FromMinutes(1))
            {
                _recentWrites.Dequeue();
            }

            var due = new List<(SeriesId Key, Series Series)>();
            var forget = new List<SeriesId>();
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
    /// Merge-patches the series' count and last-observed time, if any occurrence is unwritten: the latest while the map
    /// still holds the series of <paramref name="seen"/>'s Event, else <paramref name="seen"/>'s own. False when the
    /// Event is gone: the series is forgotten then, and its next occurrence creates a new Event.
    /// </summary>
    private async Task<bool> TryWriteAsync(SeriesId key, Series seen, CancellationToken cancellationToken)
    {
        lock (_seriesLock)
        {
            if (IsCurrent(key, seen, out var current))
            {
                seen = current;
            }

            if (seen.Count <= seen.WrittenCount)
            {
                return true;
            }
        }

        var patch = KubernetesPatch.Merge(new JsonObject
        {
            ["series"] = new JsonObject
            {
                ["count"] = seen.Count,
                ["lastObservedTime"] = MicroTimeJsonConverter.ToMicroTime(seen.LastObserved),
            },
        });
        try
        {
            await _client.PatchAsync(
                ResourceType.Events,
                seen.Namespace,
                seen.Name,
                patch,
                KubernetesJsonContext.Default.KubernetesEvent,
                cancellationToken)
                .ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            lock (_seriesLock)
            {
                if (IsCurrent(key, seen, out _))
                {
                    _series.Remove(key);
                }
            }

            return false;
        }

        lock (_seriesLock)
        {
            if (IsCurrent(key, seen, out var current))
            {
                var now = _time.GetUtcNow().UtcDateTime;
                var written = current with { WrittenCount = Math.Max(current.WrittenCount, seen.Count), LastWritten = now };
                if (now - written.LastObserved > _options.AggregationWindow && written.Count == written.WrittenCount)
                {
                    _series.Remove(key); // ended, and its final count is written
                }
                else
                {
                    _series[key] = written;
                }
            }
        }

        return true;
    }

    /// <summary>The map's series under <paramref name="key"/>, if it is still <paramref name="series"/>'s Event (same suffix).</summary>
    private bool IsCurrent(SeriesId key, Series series, out Series current) =>
        _series.TryGetValue(key, out current) && current.Suffix == series.Suffix;

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
        SeriesId key,
        ObjectReference regarding,
        string type,
        string reason,
        string note,
        string action,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var @namespace = string.IsNullOrEmpty(regarding.Namespace) ? "default" : regarding.Namespace;
        var series = new Series(
            @namespace,
            regarding.Name!, // RecordAsync checked it
            now.ToUnixTimeMilliseconds() * 1_000_000 + Random.Shared.Next(1_000_000),
            Count: 1,
            WrittenCount: 1,
            now.UtcDateTime,
            now.UtcDateTime);
        await _client.CreateAsync(ResourceType.Events, new KubernetesEvent
        {
            Metadata = new ObjectMeta { Name = series.Name, Namespace = @namespace },
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

            _series[key] = series;
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

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.EventSeriesWriteFailed,
        Level = LogLevel.Warning,
        Message = "Could not write the series of the Event {Namespace}/{Name} ({Error})")]
    private static partial void LogSeriesWriteFailed(ILogger logger, string @namespace, string name, string error, Exception exception);

    /// <summary>
    /// <see cref="Identify"/>'s hash, in two halves: a dictionary entry keyed by a <see cref="UInt128"/> (16-byte
    /// aligned) would take 8 bytes more.
    /// </summary>
    private readonly record struct SeriesId(ulong High, ulong Low);

    /// <summary>
    /// One Event's series, 48 bytes: its Event is <see cref="Name"/> in <paramref name="Namespace"/>, both strings the
    /// regarding object's own (or <c>default</c>), shared by its series, not copies. The server keeps the name it is
    /// given, so the <paramref name="Suffix"/> is all a series needs of it, and tells this series' Event from a later one's.
    /// </summary>
    /// <param name="Namespace">The Event's namespace.</param>
    /// <param name="RegardingName">The regarding object's name, the first part of the Event's.</param>
    /// <param name="Suffix">The Event's creation time in Unix milliseconds times a million, plus a random number below that.</param>
    /// <param name="Count">Occurrences observed.</param>
    /// <param name="WrittenCount">Occurrences the stored Event shows.</param>
    /// <param name="LastObserved">UTC.</param>
    /// <param name="LastWritten">UTC.</param>
    private readonly record struct Series(
        string Namespace,
        string RegardingName,
        long Suffix,
        int Count,
        int WrittenCount,
        DateTime LastObserved,
        DateTime LastWritten)
    {
        /// <summary><c>&lt;object&gt;.&lt;hex suffix&gt;</c>.</summary>
        public string Name => RegardingName + "." + Suffix.ToString("x", CultureInfo.InvariantCulture);
    }
}
