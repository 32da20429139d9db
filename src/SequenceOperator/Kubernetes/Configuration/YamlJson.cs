using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SequenceOperator.Kubernetes.Configuration;

/// <summary>
/// Turns a YAML document into a JSON node, as Kubernetes tooling reads YAML (sigs.k8s.io/yaml converts YAML to JSON
/// and binds the JSON): mappings become objects, sequences arrays; plain (unquoted) <c>true</c>/<c>false</c> become
/// booleans and <c>null</c>, <c>~</c> or nothing become null; every other scalar, numbers included, stays a string,
/// which is what every kubeconfig field this client reads is. Uses YamlDotNet's parser only (no reflection).
/// </summary>
internal static class YamlJson
{
    /// <summary>The first document of <paramref name="yaml"/>, or null for an empty file.</summary>
    /// <exception cref="YamlException">The text is not YAML, or a mapping key is not a scalar.</exception>
    public static JsonNode? Parse(string yaml)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(yaml))
        {
            stream.Load(reader);
        }

        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode mapping => ConvertMapping(mapping),
        YamlSequenceNode sequence => new JsonArray([.. sequence.Children.Select(Convert)]),
        YamlScalarNode scalar => ConvertScalar(scalar),
        _ => throw new YamlException(node.Start, node.End, "unsupported YAML node"),
    };

    private static JsonObject ConvertMapping(YamlMappingNode mapping)
    {
        var result = new JsonObject();
        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode { Value: { } name })
            {
                throw new YamlException(key.Start, key.End, "a mapping key is not a scalar");
            }

            // A repeated key: the last one wins, as in sigs.k8s.io/yaml.
            result[name] = Convert(value);
        }

        return result;
    }

    private static JsonValue? ConvertScalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? string.Empty;
        if (scalar.Style is ScalarStyle.Plain or ScalarStyle.Any)
        {
            switch (text.ToLowerInvariant())
            {
                case "true":
                    return JsonValue.Create(true);
                case "false":
                    return JsonValue.Create(false);
                case "" or "~" or "null":
                    return null;
            }
        }

        return JsonValue.Create(text);
    }
}
