using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SequenceOperator.Tests.Entities;

/// <summary>
/// The apiextensions.k8s.io/v1 rules a CRD schema must meet (structural schema, pruning, defaulting), as far as the
/// API server checks them statically: every node typed with one type, no $ref or composition keywords,
/// no additionalProperties beside properties, arrays with items, metadata only <c>type: object</c>, defaults that
/// validate against their schema and would not be pruned, list-map keys required, patterns that compile.
/// </summary>
internal static class StructuralSchemaChecker
{
    private static readonly HashSet<string> Types = ["object", "array", "string", "integer", "number", "boolean"];

    private static readonly HashSet<string> Forbidden = [
        "$ref",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "definitions",
        "$schema",
        "patternProperties",
        "dependencies",
        "additionalItems",
        "uniqueItems",
    ];

    public static List<string> Check(JsonObject root)
    {
        var problems = new List<string>();
        if (root["type"]?.GetValue<string>() != "object")
        {
            problems.Add("$: the root must be type: object");
        }

        if (
            root["properties"]?["metadata"] is JsonObject metadata && !(
                metadata.Count == 1 && metadata["type"]?.GetValue<string>() == "object"))
        {
            problems.Add("$.metadata: must be exactly {type: object}");
        }

        Walk(root, "$", problems);
        return problems;
    }

    private static void Walk(JsonObject node, string path, List<string> problems)
    {
        foreach (var key in node.Select(p => p.Key).Where(Forbidden.Contains))
        {
            problems.Add($"{path}: {key} is not allowed");
        }

        var typeNode = node["type"];
        string? type = null;
        if (typeNode is null)
        {
            if (node["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() != true
                && node["x-kubernetes-int-or-string"]?.GetValue<bool>() != true)
            {
                problems.Add($"{path}: no type");
            }
        }
        else if (typeNode.GetValueKind() != JsonValueKind.String || !Types.Contains(typeNode.GetValue<string>()))
        {
            problems.Add($"{path}: type must be one of {string.Join("|", Types)}, not {typeNode.ToJsonString()} (use nullable: true)");
        }
        else
        {
            type = typeNode.GetValue<string>();
        }

        if (node["nullable"] is { } nullable && nullable.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
        {
            problems.Add($"{path}: nullable must be a boolean");
        }

        if (node.ContainsKey("additionalProperties") && node.ContainsKey("properties"))
        {
            problems.Add($"{path}: additionalProperties together with properties is not structural");
        }

        if (type == "array" && node["items"] is not JsonObject)
        {
            problems.Add($"{path}: an array needs items");
        }

        if (type != "object" && node.ContainsKey("properties"))
        {
            problems.Add($"{path}: properties on a non-object");
        }

        if (node["pattern"] is { } pattern)
        {
            try
            {
                _ = new Regex(pattern.GetValue<string>(), RegexOptions.ECMAScript);
            }
            catch (ArgumentException e)
            {
                problems.Add($"{path}: pattern does not compile: {e.Message}");
            }
        }

        if (node["x-kubernetes-list-type"]?.GetValue<string>() == "map")
        {
            var required = node["items"]?["required"]?.AsArray().Select(r => r!.GetValue<string>()).ToHashSet() ?? [];
            foreach (var key in node["x-kubernetes-list-map-keys"]?.AsArray() ?? [])
            {
                if (!required.Contains(key!.GetValue<string>()))
                {
                    problems.Add($"{path}: list-map key {key} must be required");
                }
            }
        }

        if (node["x-kubernetes-validations"] is JsonArray rules)
        {
            foreach (var rule in rules)
            {
                if (string.IsNullOrWhiteSpace(rule?["rule"]?.GetValue<string>()))
                {
                    problems.Add($"{path}: a validation without a rule");
                }
            }
        }

        if (node["default"] is { } @default)
        {
            foreach (var problem in Validate(node, @default, path + "(default)"))
            {
                problems.Add($"{path}: default: {problem}");
            }
        }

        if (node["items"] is JsonObject items)
        {
            Walk(items, path + "[]", problems);
        }

        if (node["properties"] is JsonObject properties)
        {
            foreach (var (name, child) in properties)
            {
                if (child is JsonObject childObject)
                {
                    Walk(childObject, $"{path}.{name}", problems);
                }
                else
                {
                    problems.Add($"{path}.{name}: not a schema object");
                }
            }
        }
    }

    private static double Number(JsonNode node) => double.Parse(node.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture);

    // A value against its schema, the way defaults are checked: unknown fields would be pruned, so they are errors.
    private static IEnumerable<string> Validate(JsonObject schema, JsonNode? value, string path)
    {
        if (value is null)
        {
            if (schema["nullable"]?.GetValue<bool>() != true)
            {
                yield return $"{path}: null but not nullable";
            }

            yield break;
        }

        var type = schema["type"]?.GetValue<string>();
        var kind = value.GetValueKind();
        var matches = type switch
        {
            "object" => kind == JsonValueKind.Object,
            "array" => kind == JsonValueKind.Array,
            "string" => kind == JsonValueKind.String,
            "boolean" => kind is JsonValueKind.True or JsonValueKind.False,
            "integer" => kind == JsonValueKind.Number && Number(value) % 1 == 0,
            "number" => kind == JsonValueKind.Number,
            _ => false,
        };
        if (!matches)
        {
            yield return $"{path}: {value.ToJsonString()} is not {type}";
            yield break;
        }

        if (schema["enum"] is JsonArray values && !values.Any(v => JsonNode.DeepEquals(v, value)))
        {
            yield return $"{path}: {value.ToJsonString()} is not in the enum";
        }

        if (schema["minimum"] is { } min && Number(value) < Number(min))
        {
            yield return $"{path}: below the minimum";
        }

        if (schema["maximum"] is { } max && Number(value) > Number(max))
        {
            yield return $"{path}: above the maximum";
        }

        if (schema["pattern"] is { } pattern && !Regex.IsMatch(
            value.GetValue<string>(),
            pattern.GetValue<string>(),
            RegexOptions.ECMAScript))
        {
            yield return $"{path}: does not match the pattern";
        }

        if (kind == JsonValueKind.Object)
        {
            var properties = schema["properties"] as JsonObject ?? [];
            foreach (var (name, child) in value.AsObject())
            {
                if (properties[name] is not JsonObject childSchema)
                {
                    yield return $"{path}.{name}: not in the schema (would be pruned)";
                    continue;
                }

                foreach (var problem in Validate(childSchema, child, $"{path}.{name}"))
                {
                    yield return problem;
                }
            }
        }
    }
}
