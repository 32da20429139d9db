namespace SequenceOperator.Entities.Meta;

/// <summary>
/// The subset of Kubernetes <c>metav1.ObjectMeta</c> this project reads and writes. Serialized camelCase with nulls
/// omitted (every JSON context in the project uses those options).
/// </summary>
public sealed record ObjectMeta
{
    public string? Name { get; init; }

    public string? GenerateName { get; init; }

    public string? Namespace { get; init; }

    public string? Uid { get; init; }

    public string? ResourceVersion { get; init; }

    public long? Generation { get; init; }

    public DateTimeOffset? CreationTimestamp { get; init; }

    public DateTimeOffset? DeletionTimestamp { get; init; }

    public IDictionary<string, string>? Labels { get; init; }

    public IDictionary<string, string>? Annotations { get; init; }

    public IList<OwnerReference>? OwnerReferences { get; init; }

    public IList<string>? Finalizers { get; init; }
}

/// <summary><c>metav1.OwnerReference</c>.</summary>
public sealed record OwnerReference
{
    public required string ApiVersion { get; init; }

    public required string Kind { get; init; }

    public required string Name { get; init; }

    public required string Uid { get; init; }

    public bool? Controller { get; init; }

    public bool? BlockOwnerDeletion { get; init; }
}

/// <summary><c>metav1.ListMeta</c>.</summary>
public sealed record ListMeta
{
    public string? ResourceVersion { get; init; }

    public string? Continue { get; init; }

    public long? RemainingItemCount { get; init; }
}
