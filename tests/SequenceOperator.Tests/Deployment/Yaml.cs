using YamlDotNet.RepresentationModel;

namespace SequenceOperator.Tests.Deployment;

/// <summary>One Kubernetes object from a rendered manifest stream.</summary>
internal sealed record Manifest(Dictionary<string, object?> Root)
{
    public string ApiVersion => Root.Str("apiVersion");

    public string Kind => Root.Str("kind");

    public string Name => Root.Str("metadata", "name");

    public string? Namespace => Root.At("metadata", "namespace") as string;

    public override string ToString() => $"{Kind} {Namespace}/{Name}";
}

/// <summary>
/// YAML parsed with YamlDotNet into plain objects: mappings become Dictionary&lt;string, object?&gt;, sequences
/// List&lt;object?&gt;, scalars strings (null for a plain null or ~).
/// </summary>
internal static class Yaml
{
    public static List<object?> ParseAll(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => Convert(d.RootNode)).Where(d => d is not null).ToList();
    }

    public static object? Parse(string text)
    {
        var documents = ParseAll(text);
        return documents.Count == 1
            ? documents[0]
            : throw new InvalidOperationException($"Expected one YAML document, found {documents.Count}");
    }

    public static List<Manifest> Manifests(string text) =>
        ParseAll(text).Select(d => new Manifest(d.Map())).ToList();

    private static object? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => map.Children.ToDictionary(
            kv => ((YamlScalarNode)kv.Key).Value ?? string.Empty, kv => Convert(kv.Value), StringComparer.Ordinal),
        YamlSequenceNode seq => seq.Children.Select(Convert).ToList(),
        YamlScalarNode scalar when scalar.Style == YamlDotNet.Core.ScalarStyle.Plain
            && (scalar.Value is null or "" or "~" or "null") => null,
        YamlScalarNode scalar => scalar.Value,
        _ => throw new InvalidOperationException($"Unexpected YAML node {node.NodeType}"),
    };

    public static Dictionary<string, object?> Map(this object? node) =>
        node as Dictionary<string, object?> ?? throw new InvalidOperationException($"Expected a mapping, got {Describe(node)}");

    public static List<object?> List(this object? node) =>
        node as List<object?> ?? throw new InvalidOperationException($"Expected a sequence, got {Describe(node)}");

    /// <summary>The node at a path of mapping keys, or null when any step is missing.</summary>
    public static object? At(this object? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not Dictionary<string, object?> map || !map.TryGetValue(key, out node))
            {
                return null;
            }
        }

        return node;
    }

    /// <summary>The string at a path; fails when it is missing or not a scalar.</summary>
    public static string Str(this object? node, params string[] path) =>
        node.At(path) as string ?? throw new InvalidOperationException($"No string at {string.Join('.', path)}");

    public static List<string> Strings(this object? node, params string[] path) =>
        (node.At(path) as List<object?> ?? []).Select(o => o as string ?? throw new InvalidOperationException(
            $"Non-string item at {string.Join('.', path)}")).ToList();

    private static string Describe(object? node) => node is null ? "nothing" : node.GetType().Name;
}
