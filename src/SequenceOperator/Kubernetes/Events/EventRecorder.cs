using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes.Authentication;
using SequenceOperator.Kubernetes.Models;

namespace SequenceOperator.Kubernetes.Events;

/// <summary>
/// Writes <c>events.k8s.io/v1</c> Events. The first occurrence creates an Event (named <c>&lt;object&gt;.&lt;hex time&gt;</c>
/// in the object's namespace, or <c>default</c> for cluster-scoped objects); a repeat within
/// <see cref="EventRecorderOptions.AggregationWindow"/> merge-patches that Event's <c>series</c>
/// (<c>count</c> 2, 3, … and <c>lastObservedTime</c>) instead, as client-go's events broadcaster does. If the Event
/// is gone (expired by the server's TTL) a new one is created.
/// </summary>
internal sealed partial class EventRecorder : IEventRecorder, IDisposable
{
    private const int MaxNoteBytes = 1024;
    private readonly IKubernetesClient _client;
    private readonly EventRecorderOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    // Records of one series run one at a time (so repeats aggregate into it); different series run in parallel.
    private const int Stripes = 64;
    private readonly SemaphoreSlim[] _stripes = [.. Enumerable.Range(0, Stripes).Select(_ => new SemaphoreSlim(1, 1))];
    private readonly Lock _seriesLock = new();
    private readonly Dictionary<SeriesKey, Series> _series = [];

    public EventRecorder(IKubernetesClient client, EventRecorderOptions? options = null, ILogger<EventRecorder>? logger = null, TimeProvider? timeProvider = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _options = options ?? new EventRecorderOptions();
        _logger = logger ?? NullLogger<EventRecorder>.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    public Task RecordAsync(IKubernetesObject regarding, EventType type, string reason, string note, string action, CancellationToken cancellationToken = default)
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

    public async Task RecordAsync(ObjectReference regarding, EventType type, string reason, string note, string action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(regarding);
        ArgumentException.ThrowIfNullOrEmpty(regarding.Name);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        ArgumentException.ThrowIfNullOrEmpty(action);
        note = Truncate(note ?? string.Empty);
        var typeName = type == EventType.Warning ? "Warning" : "Normal";
        var key = new SeriesKey(regarding.ApiVersion, regarding.Kind, regarding.Namespace, regarding.Name, regarding.Uid, typeName, reason, action, note);

        var gate = _stripes[(key.GetHashCode() & int.MaxValue) % Stripes];
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            Series? series;
            lock (_seriesLock)
            {
                _series.TryGetValue(key, out series);
            }

            if (series is not null && now - series.LastObserved <= _options.AggregationWindow)
            {
                if (await TryIncrementAsync(series, now, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }
            }

            await CreateAsync(key, regarding, typeName, reason, note, action, now, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KubernetesApiException or HttpRequestException or KubernetesAuthenticationException or Polly.Timeout.TimeoutRejectedException)
        {
            LogRecordFailed(_logger, reason, regarding.Kind ?? "object", regarding.Name, e.GetType().Name, e);
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose()
    {
        foreach (var stripe in _stripes)
        {
            stripe.Dispose();
        }
    }

    private async Task<bool> TryIncrementAsync(Series series, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var count = series.Count + 1;
        var patch = KubernetesPatch.Merge(new JsonObject
        {
            ["series"] = new JsonObject
            {
                ["count"] = count,
                ["lastObservedTime"] = MicroTimeJsonConverter.ToMicroTime(now),
            },
        });
        try
        {
            await _client.PatchAsync(ResourceType.Events, series.Namespace, series.Name, patch, KubernetesJsonContext.Default.KubernetesEvent, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            return false;
        }

        series.Count = count;
        series.LastObserved = now;
        return true;
    }

    private async Task CreateAsync(
        SeriesKey key, ObjectReference regarding, string type, string reason, string note, string action, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var @namespace = string.IsNullOrEmpty(regarding.Namespace) ? "default" : regarding.Namespace;
        var name = regarding.Name + "." + (now.ToUnixTimeMilliseconds() * 1_000_000 + Random.Shared.Next(1_000_000)).ToString("x", CultureInfo.InvariantCulture);
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
                foreach (var oldest in _series.OrderBy(e => e.Value.LastObserved).Take(Math.Max(1, _series.Count / 4)).Select(e => e.Key).ToList())
                {
                    _series.Remove(oldest);
                }
            }

            _series[key] = new Series(created.Metadata.Namespace ?? @namespace, created.Metadata.Name ?? name) { Count = 1, LastObserved = now };
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record the event {Reason} on {Kind} {Name} ({Error})")]
    private static partial void LogRecordFailed(ILogger logger, string reason, string kind, string name, string error, Exception exception);

    private sealed record SeriesKey(
        string? ApiVersion, string? Kind, string? Namespace, string Name, string? Uid, string Type, string Reason, string Action, string Note);

    private sealed class Series(string @namespace, string name)
    {
        public string Namespace { get; } = @namespace;

        public string Name { get; } = name;

        public int Count { get; set; }

        public DateTimeOffset LastObserved { get; set; }
    }
}
