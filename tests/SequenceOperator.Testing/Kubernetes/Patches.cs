using System.Globalization;
using System.Text.Json.Nodes;

namespace SequenceOperator.Testing.Kubernetes;

/// <summary>JSON merge patch (RFC 7386) and JSON patch (RFC 6902) on JsonNode documents.</summary>
public static class Patches
{
    /// <summary>RFC 7386: objects merge recursively, null removes a member, anything else (arrays included) replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? targetObject.DeepClone().AsObject() : new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                var merged = MergePatch(result[name], value);
                result.Remove(name);
                result[name] = merged;
            }
        }

        return result;
    }

    /// <summary>RFC 6902. Throws <see cref="ApiErrorException"/> 400 for a malformed patch, 422 when an operation fails.</summary>
    public static JsonNode? JsonPatch(JsonNode? document, JsonNode? patch)
    {
        if (patch is not JsonArray operations)
        {
            throw Statuses.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        }

        var result = document?.DeepClone();
        foreach (var item in operations)
        {
            if (item is not JsonObject operation
                || operation["op"]?.GetValue<string>() is not { } op
                || operation["path"]?.GetValue<string>() is not { } path)
            {
                throw Statuses.BadRequest("json patch operation needs \"op\" and \"path\"");
            }

            switch (op)
            {
                case "add":
                    result = Add(result, path, ValueOf(operation));
                    break;
                case "remove":
                    result = Remove(result, path, out _);
                    break;
                case "replace":
                    result = Remove(result, path, out _);
                    result = Add(result, path, ValueOf(operation));
                    break;
                case "move":
                    var from = operation["from"]?.GetValue<string>() ?? throw Statuses.BadRequest("json patch move needs \"from\"");
                    result = Remove(result, from, out var moved);
                    result = Add(result, path, moved);
                    break;
                case "copy":
                    var source = operation["from"]?.GetValue<string>() ?? throw Statuses.BadRequest("json patch copy needs \"from\"");
                    result = Add(result, path, Get(result, source)?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(result, path), operation["value"]))
                    {
                        throw Unprocessable($"testing value {path} failed: test failed");
                    }

                    break;
                default:
                    throw Statuses.BadRequest($"Unexpected kind: {op}");
            }
        }

        return result;
    }

    private static JsonNode? ValueOf(JsonObject operation) =>
        operation.ContainsKey("value")
            ? operation["value"]?.DeepClone()
            : throw Statuses.BadRequest("json patch operation needs \"value\"");

    private static ApiErrorException Unprocessable(string message) => new(
        422,
        "Invalid",
        "the server rejected our request due to an error in our request: " + message);

    private static string[] Pointer(string path)
    {
        if (path.Length == 0)
        {
            return [];
        }

        if (path[0] != '/')
        {
            throw Unprocessable($"invalid JSON pointer \"{path}\"");
        }

        return path[1..].Split('/').Select(s => s.Replace(
            "~1",
            "/",
            StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
    }

    private static JsonNode? Get(JsonNode? document, string path)
    {
        var node = document;
        foreach (var segment in Pointer(path))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(segment, out var child) => child,
                JsonArray a when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => throw Unprocessable($"path {path} does not exist"),
            };
        }

        return node;
    }

    private static JsonNode? Add(JsonNode? document, string path, JsonNode? value)
    {
        var segments = Pointer(path);
        if (segments.Length == 0)
        {
            return value;
        }

        var parent = Get(document, ParentPointer(segments));
        var last = segments[^1];
        switch (parent)
        {
            case JsonObject o:
                o.Remove(last);
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw Unprocessable($"add operation does not apply: doc is missing path: \"{path}\"");
        }

        return document;
    }

    private static JsonNode? Remove(JsonNode? document, string path, out JsonNode? removed)
    {
        var segments = Pointer(path);
        if (segments.Length == 0)
        {
            removed = document;
            return null;
        }

        var parent = Get(document, ParentPointer(segments));
        var last = segments[^1];
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out var child):
                o.Remove(last);
                removed = child;
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                break;
            default:
                throw Unprocessable($"remove operation does not apply: doc is missing path: \"{path}\"");
        }

        return document;
    }

    private static string ParentPointer(string[] segments) =>
        segments.Length == 1 ? string.Empty : "/" + string.Join('/', segments[..^1].Select(Escape));

    private static string Escape(string segment) =>
        segment.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
