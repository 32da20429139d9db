using System.Text.Json.Serialization;
using SequenceOperator.Entities.Meta;

namespace SequenceOperator.Kubernetes.Models;

/// <summary><c>coordination.k8s.io/v1</c> Lease.</summary>
internal sealed record Lease : IKubernetesObject
{
    public string? ApiVersion { get; init; } = "coordination.k8s.io/v1";

    public string? Kind { get; init; } = "Lease";

    public ObjectMeta Metadata { get; init; } = new();

    public LeaseSpec? Spec { get; init; }
}

/// <summary><c>LeaseSpec</c>. The times are <c>MicroTime</c> (RFC 3339 with exactly six fractional digits).</summary>
internal sealed record LeaseSpec
{
    public string? HolderIdentity { get; init; }

    public int? LeaseDurationSeconds { get; init; }

    [JsonConverter(typeof(MicroTimeJsonConverter))]
    public DateTimeOffset? AcquireTime { get; init; }

    [JsonConverter(typeof(MicroTimeJsonConverter))]
    public DateTimeOffset? RenewTime { get; init; }

    public int? LeaseTransitions { get; init; }
}
