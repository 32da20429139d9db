namespace SequenceOperator.Kubernetes.Informers;

/// <summary>What an <see cref="Informer{T}"/> watches and how it recovers (options pattern).</summary>
internal sealed class InformerOptions
{
    /// <summary>One list+watch per namespace; null or empty watches the whole cluster with one list+watch.</summary>
    public IReadOnlyList<string>? Namespaces { get; set; }

    public string? LabelSelector { get; set; }

    public string? FieldSelector { get; set; }

    /// <summary>
    /// Each watch asks the server to end after a random time between this and twice this (as client-go does,
    /// spreading reconnects); the informer then resumes from its last version.
    /// </summary>
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long past its requested end a watch may stay open before the informer assumes the connection is dead
    /// (half-open TCP) and reconnects.
    /// </summary>
    public TimeSpan StallGrace { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>First delay after a failure; doubles up to <see cref="MaxBackoff"/>, with jitter.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Page size of the lists (null: the client's default).</summary>
    public int? PageSize { get; set; }
}
