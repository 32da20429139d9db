using System.Text.Json;
using SequenceOperator.Entities.Meta;

namespace SequenceOperator.Kubernetes.Models;

/// <summary>A list response with its items left raw, so any item type (from any serializer context) can be read.</summary>
internal sealed record RawList
{
    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ListMeta? Metadata { get; init; }

    public IReadOnlyList<JsonElement>? Items { get; init; }
}

/// <summary>One line of a watch stream with its object left raw.</summary>
internal sealed record RawWatchEvent
{
    public string? Type { get; init; }

    public JsonElement Object { get; init; }
}

/// <summary>Just enough of any object to read its metadata (bookmarks, deleted objects).</summary>
internal sealed record MetadataOnly
{
    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    public ObjectMeta? Metadata { get; init; }
}

/// <summary><c>DeleteOptions</c> body.</summary>
internal sealed record DeleteOptionsBody
{
    public string? ApiVersion { get; init; } = "v1";

    public string? Kind { get; init; } = "DeleteOptions";

    public Preconditions? Preconditions { get; init; }

    public string? PropagationPolicy { get; init; }

    public long? GracePeriodSeconds { get; init; }
}

/// <summary><c>Preconditions</c> of a delete.</summary>
internal sealed record Preconditions
{
    public string? ResourceVersion { get; init; }

    public string? Uid { get; init; }
}
