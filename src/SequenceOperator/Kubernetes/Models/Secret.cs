using SequenceOperator.Entities.Meta;

namespace SequenceOperator.Kubernetes.Models;

/// <summary>
/// Core <c>v1</c> Secret. <see cref="Data"/> values travel base64-encoded on the wire and are bytes here;
/// <see cref="StringData"/> is write-only (the server merges it into <see cref="Data"/>).
/// The record's generated <c>ToString</c> prints collection type names, never values.
/// </summary>
internal sealed record Secret : IKubernetesObject
{
    public string? ApiVersion { get; init; } = "v1";

    public string? Kind { get; init; } = "Secret";

    public ObjectMeta Metadata { get; init; } = new();

    public IDictionary<string, byte[]>? Data { get; init; }

    public IDictionary<string, string>? StringData { get; init; }

    public string? Type { get; init; }

    public bool? Immutable { get; init; }
}
