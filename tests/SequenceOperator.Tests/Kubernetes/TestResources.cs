using System.Text.Json.Serialization;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes;
using SequenceOperator.Testing.Kubernetes;

namespace SequenceOperator.Tests.Kubernetes;

/// <summary>A custom resource defined in the test assembly, with its own serializer context.</summary>
public sealed record Widget : IKubernetesObject
{
    public string? ApiVersion { get; init; } = "example.com/v1";

    public string? Kind { get; init; } = "Widget";

    public ObjectMeta Metadata { get; init; } = new();

    public WidgetSpec? Spec { get; init; }

    public WidgetStatus? Status { get; init; }
}

public sealed record WidgetSpec
{
    public int Size { get; init; }

    public string? Color { get; init; }
}

public sealed record WidgetStatus
{
    public string? Phase { get; init; }

    public long? ObservedGeneration { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Widget))]
internal sealed partial class TestJsonContext : JsonSerializerContext;

internal static class TestResources
{
    public static ResourceType Widgets { get; } = new("example.com", "v1", "widgets", "Widget", Namespaced: true);

    public static ResourceType ClusterWidgets { get; } = new("example.com", "v1", "clusterwidgets", "ClusterWidget", Namespaced: false);

    public static ApiResourceDefinition WidgetDefinition { get; } =
        ApiResourceDefinition.CustomResource("example.com", "v1", "widgets", "Widget", namespaced: true);

    public static ApiResourceDefinition ClusterWidgetDefinition { get; } =
        ApiResourceDefinition.CustomResource("example.com", "v1", "clusterwidgets", "ClusterWidget", namespaced: false);

    public static Widget NewWidget(string name, string? ns = "default", int size = 1) =>
        new() { Metadata = new ObjectMeta { Name = name, Namespace = ns }, Spec = new WidgetSpec { Size = size } };
}
