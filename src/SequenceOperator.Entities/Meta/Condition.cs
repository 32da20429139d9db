namespace SequenceOperator.Entities.Meta;

/// <summary>
/// <c>metav1.Condition</c>: one aspect of an object's state, keyed by <see cref="Type"/>.
/// <see cref="Status"/> is "True", "False" or "Unknown"; <see cref="Reason"/> is CamelCase.
/// </summary>
public sealed record Condition
{
    public required string Type { get; init; }

    public required string Status { get; init; }

    public long? ObservedGeneration { get; init; }

    public DateTimeOffset LastTransitionTime { get; init; }

    public required string Reason { get; init; }

    public string Message { get; set; } = string.Empty;
}
