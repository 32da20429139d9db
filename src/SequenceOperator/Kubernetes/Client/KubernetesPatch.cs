using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace SequenceOperator.Kubernetes;

/// <summary>How a patch body is to be read by the server.</summary>
internal enum PatchType
{
    /// <summary>JSON merge patch (RFC 7386, <c>application/merge-patch+json</c>): null deletes, objects merge, arrays replace.</summary>
    Merge,

    /// <summary>JSON patch (RFC 6902, <c>application/json-patch+json</c>): a list of operations, <c>test</c> included.</summary>
    Json,
}

/// <summary>A patch body with its type.</summary>
internal sealed record KubernetesPatch(PatchType Type, string Body)
{
    public string ContentType => Type == PatchType.Merge ? "application/merge-patch+json" : "application/json-patch+json";

    /// <summary>A merge patch from a JSON object.</summary>
    public static KubernetesPatch Merge(JsonNode patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        return new KubernetesPatch(PatchType.Merge, patch.ToJsonString());
    }

    /// <summary>A merge patch from a typed value (serialized with its own options: nulls omitted means "leave as is").</summary>
    public static KubernetesPatch Merge<TPatch>(TPatch patch, JsonTypeInfo<TPatch> typeInfo) =>
        new(PatchType.Merge, System.Text.Json.JsonSerializer.Serialize(patch, typeInfo));

    /// <summary>A JSON patch from operations.</summary>
    public static KubernetesPatch Json(params IEnumerable<JsonPatchOperation> operations)
    {
        ArgumentNullException.ThrowIfNull(operations);
        var array = new JsonArray();
        foreach (var operation in operations)
        {
            var node = new JsonObject { ["op"] = operation.Op, ["path"] = operation.Path };
            if (operation.From is not null)
            {
                node["from"] = operation.From;
            }

            if (operation.Op is "add" or "replace" or "test")
            {
                node["value"] = operation.Value?.DeepClone();
            }

            array.Add((JsonNode)node);
        }

        return new KubernetesPatch(PatchType.Json, array.ToJsonString());
    }
}

/// <summary>One RFC 6902 operation. <see cref="Path"/> is a JSON pointer (escape <c>~</c> as <c>~0</c>, <c>/</c> as <c>~1</c>).</summary>
internal sealed record JsonPatchOperation(string Op, string Path, JsonNode? Value = null, string? From = null)
{
    public static JsonPatchOperation Add(string path, JsonNode? value) => new("add", path, value);

    public static JsonPatchOperation Replace(string path, JsonNode? value) => new("replace", path, value);

    public static JsonPatchOperation Remove(string path) => new("remove", path);

    public static JsonPatchOperation Test(string path, JsonNode? value) => new("test", path, value);

    /// <summary>Escapes one path segment (a map key such as a label or annotation name).</summary>
    public static string Escape(string segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        return segment.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
    }
}
