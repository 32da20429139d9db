namespace SequenceOperator.Kubernetes;

/// <summary>
/// Describes one REST resource of the API server: its group, version, plural (the path segment), kind and scope.
/// One generic client serves every resource through this descriptor; custom resources build their own.
/// </summary>
internal sealed record ResourceType(string Group, string Version, string Plural, string Kind, bool Namespaced)
{
    /// <summary>Core <c>v1</c> Secrets.</summary>
    public static ResourceType Secrets { get; } = new(string.Empty, "v1", "secrets", "Secret", Namespaced: true);

    /// <summary><c>events.k8s.io/v1</c> Events.</summary>
    public static ResourceType Events { get; } = new("events.k8s.io", "v1", "events", "Event", Namespaced: true);

    /// <summary><c>coordination.k8s.io/v1</c> Leases.</summary>
    public static ResourceType Leases { get; } = new("coordination.k8s.io", "v1", "leases", "Lease", Namespaced: true);

    /// <summary><c>v1</c> for the core group, else <c>group/version</c>.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    /// <summary>The plural qualified with its group (<c>leases.coordination.k8s.io</c>), as the server names it in messages.</summary>
    public string QualifiedPlural => Group.Length == 0 ? Plural : Plural + "." + Group;

    /// <summary>
    /// The collection path: <c>/api/v1/namespaces/ns/secrets</c>, or without the namespace part for cluster-scoped
    /// resources and for lists and watches across every namespace (<paramref name="namespace"/> null).
    /// </summary>
    public string CollectionPath(string? @namespace)
    {
        var root = Group.Length == 0 ? "/api/" + Version : "/apis/" + Group + "/" + Version;
        if (!Namespaced || @namespace is null)
        {
            return root + "/" + Plural;
        }

        return root + "/namespaces/" + Uri.EscapeDataString(@namespace) + "/" + Plural;
    }

    /// <summary>The path of one object, optionally of one of its subresources (<c>status</c>).</summary>
    public string ItemPath(string? @namespace, string name, string? subresource = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (Namespaced && string.IsNullOrEmpty(@namespace))
        {
            throw new ArgumentException($"{QualifiedPlural} are namespaced: a namespace is required.", nameof(@namespace));
        }

        var path = CollectionPath(Namespaced ? @namespace : null) + "/" + Uri.EscapeDataString(name);
        return subresource is null ? path : path + "/" + subresource;
    }
}
