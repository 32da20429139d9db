using System.Text.Json.Serialization;
using SequenceOperator.Kubernetes.Authentication;

namespace SequenceOperator.Kubernetes.Models;

/// <summary>Source-generated serialization for the client's own types (camelCase, nulls omitted).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Secret))]
[JsonSerializable(typeof(Lease))]
[JsonSerializable(typeof(KubernetesEvent))]
[JsonSerializable(typeof(Status))]
[JsonSerializable(typeof(RawList))]
[JsonSerializable(typeof(RawWatchEvent))]
[JsonSerializable(typeof(MetadataOnly))]
[JsonSerializable(typeof(DeleteOptionsBody))]
[JsonSerializable(typeof(ExecCredential))]
internal sealed partial class KubernetesJsonContext : JsonSerializerContext;
