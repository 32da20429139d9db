using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes.Models;

namespace SequenceOperator.Kubernetes.Events;

/// <summary>The <c>type</c> of an Event.</summary>
internal enum EventType
{
    Normal,
    Warning,
}

/// <summary>Records <c>events.k8s.io/v1</c> Events about objects; repeats are aggregated into one Event's series.</summary>
internal interface IEventRecorder
{
    /// <summary>
    /// Records that <paramref name="action"/> led to <paramref name="reason"/> on <paramref name="regarding"/>.
    /// Best effort: API failures are logged, never thrown (only cancellation is).
    /// </summary>
    Task RecordAsync(
        IKubernetesObject regarding,
        EventType type,
        string reason,
        string note,
        string action,
        CancellationToken cancellationToken = default);

    /// <summary>As above, for an object known only by reference (e.g. a list item without apiVersion/kind).</summary>
    Task RecordAsync(
        ObjectReference regarding,
        EventType type,
        string reason,
        string note,
        string action,
        CancellationToken cancellationToken = default);
}
