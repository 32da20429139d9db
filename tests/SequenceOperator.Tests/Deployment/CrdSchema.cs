using System.Globalization;

namespace SequenceOperator.Tests.Deployment;

/// <summary>
/// Checks an object against a CRD's structural openAPIV3Schema (the parts the API server enforces first: known
/// fields, types, enums, required fields, numeric bounds). Fields under x-kubernetes-preserve-unknown-fields pass.
/// </summary>
internal static class CrdSchema
{
    public static List<string> Validate(object? value, object? schema, string path = "")
    {
        var errors = new List<string>();
        Check(value, schema, path, errors);
        return errors;
    }

    private static void Check(object? value, object? schema, string path, List<string> errors)
    {
        if (schema is null || value is null)
        {
            return;
        }

        var preserveUnknown = schema.At("x-kubernetes-preserve-unknown-fields") as string == "true";
        if (schema.At("x-kubernetes-int-or-string") as string == "true")
        {
            return;
        }

        if (schema.At("enum") is List<object?> allowed && !allowed.Contains(value as string))
        {
            errors.Add($"{path}: '{value}' is not one of {string.Join(", ", allowed)}");
        }

        switch (schema.At("type") as string)
        {
            case "object":
                if (value is not Dictionary<string, object?> map)
                {
                    errors.Add($"{path}: expected an object");
                    return;
                }

                var properties = schema.At("properties") as Dictionary<string, object?>;
                foreach (var (key, child) in map)
                {
                    if (properties is not null && properties.TryGetValue(key, out var childSchema))
                    {
                        Check(child, childSchema, $"{path}.{key}", errors);
                    }
                    else if (schema.At("additionalProperties") is Dictionary<string, object?> additional)
                    {
                        Check(child, additional, $"{path}.{key}", errors);
                    }
                    else if (!preserveUnknown)
                    {
                        errors.Add($"{path}.{key}: unknown field");
                    }
                }

                foreach (var required in schema.Strings("required"))
                {
                    if (!map.ContainsKey(required))
                    {
                        errors.Add($"{path}.{required}: required");
                    }
                }

                break;
            case "array":
                if (value is not List<object?> list)
                {
                    errors.Add($"{path}: expected an array");
                    return;
                }

                for (var i = 0; i < list.Count; i++)
                {
                    Check(list[i], schema.At("items"), $"{path}[{i}]", errors);
                }

                break;
            case "integer" or "number":
                if (!double.TryParse(value as string, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                {
                    errors.Add($"{path}: expected a number, got '{value}'");
                }
                else if ((schema.At("minimum") is string min && number < double.Parse(min, CultureInfo.InvariantCulture))
                    || (schema.At("maximum") is string max && number > double.Parse(max, CultureInfo.InvariantCulture)))
                {
                    errors.Add($"{path}: {number} is out of range");
                }

                break;
            case "boolean":
                if (value as string is not ("true" or "false"))
                {
                    errors.Add($"{path}: expected true or false, got '{value}'");
                }

                break;
            case "string":
                if (value is not string)
                {
                    errors.Add($"{path}: expected a string");
                }

                break;
        }
    }
}
