using System.ComponentModel;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization.Metadata;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Entities.Schema;

namespace SequenceOperator.Crd;

/// <summary>
/// Turns a type's JSON schema (from <see cref="JsonSchemaExporter"/>, driven by the source-generated metadata) into a
/// Kubernetes structural schema: every node typed, no <c>$ref</c>/<c>additionalProperties</c>, <c>nullable: true</c>
/// instead of <c>type: [x, "null"]</c> (only for <see cref="Nullable{T}"/> fields), the <c>Schema*</c> attributes and
/// descriptions applied, <c>metadata</c> as a bare object, and keys in one fixed order so the output is byte-stable.
/// </summary>
internal static class StructuralSchemaBuilder
{
    // The order keys are written in; a key the exporter emits that is not here is a build-time error, not silently kept.
    private static readonly string[] KeyOrder =
    [
        "description", "type", "format", "enum", "default", "minimum", "maximum", "minLength", "maxLength", "pattern",
        "maxItems", "nullable", "items", "properties", "required", "x-kubernetes-list-type", "x-kubernetes-list-map-keys",
        "x-kubernetes-validations",
    ];

    // Emitted by the exporter but meaningless or not allowed in a structural schema.
    private static readonly HashSet<string> DroppedKeys = ["$schema", "additionalProperties"];

    public static JsonObject Build(JsonTypeInfo rootType)
    {
        ArgumentNullException.ThrowIfNull(rootType);
        var options = new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = Transform,
        };
        var exported = rootType.GetJsonSchemaAsNode(options);
        var root = exported as JsonObject ?? throw new InvalidOperationException($"The schema of {rootType.Type} is not an object schema.");
        return Canonical(root, "$");
    }

    private static JsonNode Transform(JsonSchemaExporterContext context, JsonNode schema)
    {
        var type = context.TypeInfo.Type;
        var property = context.PropertyInfo;

        // Inside metadata (replaced as a whole below, since the children are transformed first): leave as is.
        if (context.Path.Length >= 2 && context.Path[0] == "properties" && context.Path[1] == "metadata" && context.Path.Length > 2)
        {
            return schema;
        }

        // Times use a custom converter (RFC 3339), which the exporter cannot see into.
        if ((Nullable.GetUnderlyingType(type) ?? type) == typeof(DateTimeOffset))
        {
            schema = new JsonObject { ["type"] = "string", ["format"] = "date-time" };
        }

        if (schema is not JsonObject node)
        {
            throw new InvalidOperationException(
                $"Schema at {string.Join('/', context.Path.ToArray())} is not an object ({schema.ToJsonString()}).");
        }

        if (node.ContainsKey("$ref"))
        {
            throw new InvalidOperationException(
                $"Schema at {string.Join('/', context.Path.ToArray())} uses $ref (a recursive type?); CRD schemas cannot.");
        }

        // Kubernetes owns metadata's schema: describing it is not allowed beyond type: object.
        if (type == typeof(ObjectMeta) || type == typeof(ListMeta))
        {
            return new JsonObject { ["type"] = "object" };
        }

        NormalizeType(node, context);

        if (type == typeof(Condition))
        {
            DescribeCondition(node);
        }

        var description = Attribute<DescriptionAttribute>(property?.AttributeProvider)?.Description
            ?? (property is null || IsComplex(type) ? type.GetCustomAttribute<DescriptionAttribute>()?.Description : null);
        if (description is not null)
        {
            node["description"] = description;
        }

        foreach (var validation in type.GetCustomAttributes<SchemaValidationAttribute>())
        {
            AddValidation(node, validation);
        }

        if (property?.AttributeProvider is { } attributes)
        {
            ApplyPropertyAttributes(node, attributes, context);
        }

        return node;
    }

    private static bool IsComplex(Type type) => type.IsClass && type != typeof(string);

    private static void NormalizeType(JsonObject node, JsonSchemaExporterContext context)
    {
        var isNullableValue = context.PropertyInfo is { } p && Nullable.GetUnderlyingType(p.PropertyType) is not null;
        var underlying = Nullable.GetUnderlyingType(context.TypeInfo.Type) ?? context.TypeInfo.Type;

        switch (node["type"])
        {
            case JsonArray types:
                var nonNull = types.Select(t => t!.GetValue<string>()).Where(t => t != "null").ToList();
                if (nonNull.Count != 1)
                {
                    throw new InvalidOperationException(
                        $"{context.TypeInfo.Type} has schema type [{string.Join(", ", nonNull)}]; a structural schema needs exactly one.");
                }

                node["type"] = nonNull[0];
                break;
            case null when node["enum"] is JsonArray values:
                node["type"] = "string";
                break;
            case null:
                throw new InvalidOperationException($"{context.TypeInfo.Type} has no schema type; a structural schema needs one.");
        }

        if (node["enum"] is JsonArray enumValues)
        {
            node["enum"] = new JsonArray([.. enumValues.Where(v => v is not null).Select(v => v!.DeepClone())]);
        }

        if (underlying == typeof(int))
        {
            node["format"] = "int32";
        }
        else if (underlying == typeof(long))
        {
            node["format"] = "int64";
        }
        else if (underlying == typeof(double))
        {
            node["format"] = "double";
        }

        // JSON's null for a Nullable<T> field is meaningful ("unknown"); an absent reference-typed field is just optional.
        if (isNullableValue)
        {
            node["nullable"] = true;
        }
        else
        {
            node.Remove("nullable");
        }
    }

    private static void ApplyPropertyAttributes(JsonObject node, ICustomAttributeProvider attributes, JsonSchemaExporterContext context)
    {
        var schemaType = node["type"]!.GetValue<string>();
        if (Attribute<SchemaDefaultAttribute>(attributes) is { } @default)
        {
            node["default"] = schemaType == "string" ? JsonValue.Create(@default.Value) : JsonNode.Parse(@default.Value);
        }

        if (Attribute<SchemaMinimumAttribute>(attributes) is { } minimum)
        {
            node["minimum"] = minimum.Value;
        }

        if (Attribute<SchemaMaximumAttribute>(attributes) is { } maximum)
        {
            node["maximum"] = maximum.Value;
        }

        if (Attribute<SchemaLengthAttribute>(attributes) is { } length)
        {
            if (length.MinLength >= 0)
            {
                node["minLength"] = length.MinLength;
            }

            if (length.MaxLength >= 0)
            {
                node["maxLength"] = length.MaxLength;
            }
        }

        if (Attribute<SchemaPatternAttribute>(attributes) is { } pattern)
        {
            node["pattern"] = pattern.Pattern;
        }

        if (Attribute<SchemaMaxItemsAttribute>(attributes) is { } maxItems)
        {
            node["maxItems"] = maxItems.MaxItems;
        }

        if (Attribute<SchemaListMapKeysAttribute>(attributes) is { } listMap)
        {
            node["x-kubernetes-list-type"] = "map";
            node["x-kubernetes-list-map-keys"] = new JsonArray([.. listMap.Keys.Select(k => JsonValue.Create(k))]);
        }

        foreach (var validation in attributes.GetCustomAttributes(
            typeof(SchemaValidationAttribute),
            inherit: true).Cast<SchemaValidationAttribute>())
        {
            AddValidation(node, validation);
        }

        _ = context;
    }

    private static void DescribeCondition(JsonObject node)
    {
        node["description"] = "One aspect of the policy's state (metav1.Condition).";
        var properties = (JsonObject)node["properties"]!;
        properties["type"]!["description"] = "The condition type: Ready or InSync.";
        properties["type"]!["maxLength"] = 316;
        properties["status"]!["description"] = "True, False or Unknown.";
        properties["status"]!["enum"] = new JsonArray("True", "False", "Unknown");
        properties["observedGeneration"]!["description"] = "The metadata.generation the condition was set for.";
        properties["observedGeneration"]!["minimum"] = 0;
        properties["lastTransitionTime"]!["description"] = "When the condition's status last changed.";
        properties["reason"]!["description"] = "Why, in CamelCase, such as CheckSucceeded or ConnectionFailed.";
        properties["reason"]!["minLength"] = 1;
        properties["reason"]!["maxLength"] = 1024;
        properties["reason"]!["pattern"] = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$";
        properties["message"]!["description"] = "What happened and what to do about it.";
        properties["message"]!["maxLength"] = 32768;
        node["required"] = new JsonArray("type", "status", "lastTransitionTime", "reason", "message");
    }

    private static void AddValidation(JsonObject node, SchemaValidationAttribute validation)
    {
        if (node["x-kubernetes-validations"] is not JsonArray rules)
        {
            rules = [];
            node["x-kubernetes-validations"] = rules;
        }

        var rule = new JsonObject { ["rule"] = validation.Rule, ["message"] = validation.Message };
        if (validation.FieldPath is { } fieldPath)
        {
            rule["fieldPath"] = fieldPath;
        }

        rules.Add((JsonNode)rule);
    }

    private static T? Attribute<T>(ICustomAttributeProvider? provider)
        where T : Attribute =>
        provider?.GetCustomAttributes(typeof(T), inherit: true).OfType<T>().FirstOrDefault();

    /// <summary>
    /// A copy with keys in <see cref="KeyOrder"/>, recursing into items and properties (which keep their declaration order).
    /// </summary>
    private static JsonObject Canonical(JsonObject node, string path)
    {
        var result = new JsonObject();
        foreach (var key in node.Select(p => p.Key))
        {
            if (!DroppedKeys.Contains(key) && !KeyOrder.Contains(key))
            {
                throw new InvalidOperationException($"Unexpected schema key '{key}' at {path}; add it to the CRD generator deliberately.");
            }
        }

        foreach (var key in KeyOrder)
        {
            if (!node.TryGetPropertyValue(key, out var value) || value is null)
            {
                continue;
            }

            result[key] = key switch
            {
                "items" => Canonical((JsonObject)value, path + "[]"),
                "properties" => new JsonObject(((JsonObject)value).Select(p =>
                    KeyValuePair.Create(p.Key, (JsonNode?)Canonical((JsonObject)p.Value!, path + "." + p.Key)))),
                _ => value.DeepClone(),
            };
        }

        return result;
    }
}
