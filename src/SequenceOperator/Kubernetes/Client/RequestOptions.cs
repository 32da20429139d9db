namespace SequenceOperator.Kubernetes;

/// <summary>Options of a list.</summary>
internal sealed record ListOptions
{
    public string? LabelSelector { get; init; }

    public string? FieldSelector { get; init; }

    /// <summary>Page size; null uses <see cref="KubernetesClientOptions.ListPageSize"/>, 0 asks for everything at once.</summary>
    public int? PageSize { get; init; }

    /// <summary>Unset: the most recent data (a consistent read). "0": any cached version.</summary>
    public string? ResourceVersion { get; init; }

    /// <summary><c>NotOlderThan</c> or <c>Exact</c>, with <see cref="ResourceVersion"/>.</summary>
    public string? ResourceVersionMatch { get; init; }
}

/// <summary>Options of a watch.</summary>
internal sealed record WatchOptions
{
    /// <summary>Events after this version; unset (or "0") starts with synthetic ADDED events for every existing object.</summary>
    public string? ResourceVersion { get; init; }

    public bool AllowBookmarks { get; init; } = true;

    /// <summary>The server ends the watch after this long (it may end it earlier).</summary>
    public int? TimeoutSeconds { get; init; }

    public string? LabelSelector { get; init; }

    public string? FieldSelector { get; init; }
}

/// <summary>Options of a delete.</summary>
internal sealed record DeleteOptions
{
    /// <summary>Delete only if the object still has this resourceVersion (else 409 Conflict).</summary>
    public string? ResourceVersion { get; init; }

    /// <summary>Delete only if the object still has this uid (else 409 Conflict).</summary>
    public string? Uid { get; init; }

    /// <summary><c>Orphan</c>, <c>Background</c> or <c>Foreground</c>.</summary>
    public string? PropagationPolicy { get; init; }

    public long? GracePeriodSeconds { get; init; }
}
