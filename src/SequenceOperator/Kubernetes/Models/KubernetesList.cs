namespace SequenceOperator.Kubernetes.Models;

/// <summary>The result of a (possibly multi-page) list: every item, and the list's resourceVersion to watch from.</summary>
internal sealed record KubernetesList<T>(IReadOnlyList<T> Items, string ResourceVersion)
    where T : class;
