using System.Text.Json.Serialization.Metadata;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes.Models;

namespace SequenceOperator.Kubernetes;

/// <summary>
/// A typed client for any resource (<see cref="ResourceType"/>): the caller passes the <see cref="JsonTypeInfo{T}"/>
/// of its own source-generated context. <c>namespace</c> is ignored for cluster-scoped resources; for lists and
/// watches of namespaced resources null means every namespace. Failures throw <see cref="KubernetesApiException"/>
/// subclasses; transient ones are retried first.
/// </summary>
internal interface IKubernetesClient
{
    /// <summary>The configuration's default namespace.</summary>
    string DefaultNamespace { get; }

    Task<T> GetAsync<T>(
        ResourceType type,
        string? @namespace,
        string name,
        JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject;

    /// <summary>As <see cref="GetAsync{T}"/>, but null when the object does not exist.</summary>
    Task<T?> TryGetAsync<T>(
        ResourceType type,
        string? @namespace,
        string name,
        JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject;

    /// <summary>Lists every item, following <c>continue</c> pages (a full list if a continue token expired).</summary>
    Task<KubernetesList<T>> ListAsync<T>(
        ResourceType type,
        string? @namespace,
        JsonTypeInfo<T> typeInfo,
        ListOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject;

    /// <summary>Creates the object in its <c>metadata.namespace</c>.</summary>
    Task<T> CreateAsync<T>(ResourceType type, T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject;

    /// <summary>PUT: replaces the object; with <c>metadata.resourceVersion</c> set, a stale version answers 409 Conflict.</summary>
    Task<T> ReplaceAsync<T>(ResourceType type, T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject;

    /// <summary>PUT on the <c>status</c> subresource: only the status is taken.</summary>
    Task<T> ReplaceStatusAsync<T>(ResourceType type, T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject;

    /// <summary>PATCH the object (changes to status are ignored when the resource has a status subresource).</summary>
    Task<T> PatchAsync<T>(
        ResourceType type,
        string? @namespace,
        string name,
        KubernetesPatch patch,
        JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject;

    /// <summary>PATCH the <c>status</c> subresource (only status changes apply).</summary>
    Task<T> PatchStatusAsync<T>(
        ResourceType type,
        string? @namespace,
        string name,
        KubernetesPatch patch,
        JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject;

    Task DeleteAsync(
        ResourceType type,
        string? @namespace,
        string name,
        DeleteOptions? options = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// One watch stream, read as it arrives. Ends when the server ends it (timeout) or the connection breaks
    /// (an exception). An ERROR event (e.g. 410 for a compacted version) is yielded, not thrown. Not retried.
    /// </summary>
    IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(
        ResourceType type,
        string? @namespace,
        JsonTypeInfo<T> typeInfo,
        WatchOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject;
}
