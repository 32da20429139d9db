namespace SequenceOperator.Kubernetes.Informers;

/// <summary>What happened to a cached object.</summary>
internal enum InformerEventType
{
    Added,
    Modified,
    Deleted,
}

/// <summary>
/// One change of the informer's cache. For <see cref="InformerEventType.Deleted"/>, <see cref="Object"/> is the
/// last known state (the server's final state, or the cached one when the deletion was found by a relist).
/// </summary>
internal sealed record InformerEvent<T>(InformerEventType Type, T Object)
    where T : class;

/// <summary>Why a watch was opened again.</summary>
internal enum WatchRestartReason
{
    /// <summary>The server ended the stream (its timeout): resumed from the last version.</summary>
    Closed,

    /// <summary>The connection broke or the server failed: resumed from the last version after a backoff.</summary>
    Failed,

    /// <summary>The last version was compacted (410 Gone): listed again and emitted the differences.</summary>
    Expired,

    /// <summary>The stream stayed silent past its deadline (a dead connection): reconnected.</summary>
    Stalled,
}

/// <summary>Raised on every watch restart (the metrics layer counts <c>sequence_operator_watch_restarts_total</c>).</summary>
internal sealed class WatchRestartedEventArgs(string resource, string? @namespace, WatchRestartReason reason) : EventArgs
{
    /// <summary>The resource's qualified plural, e.g. <c>sequencepolicies.example.com</c>.</summary>
    public string Resource { get; } = resource;

    /// <summary>The watched namespace, or null for a cluster-wide watch.</summary>
    public string? Namespace { get; } = @namespace;

    public WatchRestartReason Reason { get; } = reason;
}
