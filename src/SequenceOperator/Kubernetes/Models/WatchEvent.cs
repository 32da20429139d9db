namespace SequenceOperator.Kubernetes.Models;

/// <summary>The <c>type</c> of a watch event.</summary>
internal enum WatchEventType
{
    Added,
    Modified,
    Deleted,

    /// <summary>Carries only <c>metadata.resourceVersion</c>: everything up to it was delivered.</summary>
    Bookmark,

    /// <summary>Carries a <see cref="Status"/>; code 410 means the requested version is gone.</summary>
    Error,
}

/// <summary>
/// One typed watch event. <see cref="Object"/> is set for ADDED, MODIFIED and DELETED; <see cref="ResourceVersion"/>
/// for every event but ERROR (for BOOKMARK it is the only data); <see cref="Status"/> only for ERROR.
/// </summary>
internal sealed record WatchEvent<T>(WatchEventType Type, T? Object, string? ResourceVersion, Status? Status)
    where T : class;
