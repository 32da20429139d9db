using System.Text.Json.Nodes;

namespace SequenceOperator.Testing.Kubernetes;

/// <summary>
/// A resource the double serves, with the REST strategy flags the real server's registry has for it.
/// Custom resources: generation tracked, status subresource (when declared), no unconditional update, no create on
/// update, list items keep apiVersion/kind. Built-in types follow their registry strategies.
/// </summary>
public sealed record ApiResourceDefinition(string Group, string Version, string Plural, string Kind, bool Namespaced)
{
    /// <summary>The <c>status</c> subresource exists: the main endpoint ignores status, <c>/status</c> ignores the rest.</summary>
    public bool HasStatusSubresource { get; init; }

    /// <summary><c>metadata.generation</c> is set to 1 on create and increases on changes outside metadata and status.</summary>
    public bool TracksGeneration { get; init; }

    /// <summary>PUT without <c>metadata.resourceVersion</c> is allowed (else 422).</summary>
    public bool AllowUnconditionalUpdate { get; init; }

    /// <summary>PUT of a missing object creates it (else 404).</summary>
    public bool AllowCreateOnUpdate { get; init; }

    /// <summary>Custom resources keep apiVersion/kind on list items; built-in types' list items carry neither.</summary>
    public bool IsCustomResource { get; init; }

    /// <summary>Validation of a created or updated object: a list of (field, message) causes, empty when valid.</summary>
    public Func<JsonObject, IReadOnlyList<(string Field, string Message)>>? Validate { get; init; }

    public string ApiVersion => Group.Length == 0 ? Version : Group + "/" + Version;

    /// <summary>The plural qualified with its group, as the real server names it in messages.</summary>
    public string QualifiedPlural => Group.Length == 0 ? Plural : Plural + "." + Group;

    /// <summary>Core v1 Secrets (unconditional update allowed, no create on update; <c>stringData</c> folded into <c>data</c>).</summary>
    public static ApiResourceDefinition Secrets { get; } = new(string.Empty, "v1", "secrets", "Secret", true)
    {
        AllowUnconditionalUpdate = true,
    };

    /// <summary>events.k8s.io/v1 Events, validated as the real server does for the fields this project writes.</summary>
    public static ApiResourceDefinition Events { get; } = new("events.k8s.io", "v1", "events", "Event", true)
    {
        AllowUnconditionalUpdate = true,
        AllowCreateOnUpdate = true,
        Validate = BuiltInValidation.Event,
    };

    /// <summary>coordination.k8s.io/v1 Leases (create on update allowed, no unconditional update).</summary>
    public static ApiResourceDefinition Leases { get; } = new("coordination.k8s.io", "v1", "leases", "Lease", true)
    {
        AllowCreateOnUpdate = true,
        Validate = BuiltInValidation.Lease,
    };

    /// <summary>A custom resource as a CRD declares it.</summary>
    public static ApiResourceDefinition CustomResource(
        string group,
        string version,
        string plural,
        string kind,
        bool namespaced,
        bool statusSubresource = true) =>
        new(group, version, plural, kind, namespaced)
        {
            HasStatusSubresource = statusSubresource,
            TracksGeneration = true,
            IsCustomResource = true,
        };
}
