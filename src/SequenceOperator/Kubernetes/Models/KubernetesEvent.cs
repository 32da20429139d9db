using System.Text.Json.Serialization;
using SequenceOperator.Entities.Meta;

namespace SequenceOperator.Kubernetes.Models;

/// <summary><c>events.k8s.io/v1</c> Event (named so to stay clear of C# events).</summary>
internal sealed record KubernetesEvent : IKubernetesObject
{
    public string? ApiVersion { get; init; } = "events.k8s.io/v1";

    public string? Kind { get; init; } = "Event";

    public ObjectMeta Metadata { get; init; } = new();

    /// <summary>When the event was first observed (required, MicroTime).</summary>
    [JsonConverter(typeof(MicroTimeJsonConverter))]
    public DateTimeOffset? EventTime { get; init; }

    public EventSeries? Series { get; init; }

    public string? ReportingController { get; init; }

    public string? ReportingInstance { get; init; }

    public string? Action { get; init; }

    public string? Reason { get; init; }

    public ObjectReference? Regarding { get; init; }

    public ObjectReference? Related { get; init; }

    /// <summary>Human-readable, at most 1 kB.</summary>
    public string? Note { get; init; }

    /// <summary><c>Normal</c> or <c>Warning</c>.</summary>
    public string? Type { get; init; }
}

/// <summary><c>EventSeries</c>: how often an event repeated. The server requires <see cref="Count"/> to be at least 2.</summary>
internal sealed record EventSeries
{
    public int Count { get; init; }

    [JsonConverter(typeof(MicroTimeJsonConverter))]
    public DateTimeOffset? LastObservedTime { get; init; }
}
