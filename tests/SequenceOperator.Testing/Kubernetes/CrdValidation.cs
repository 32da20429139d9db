using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SequenceOperator.Entities;

namespace SequenceOperator.Testing.Kubernetes;

/// <summary>
/// What the real API server checks when a custom resource is created or updated (status included): the CRD's
/// structural <c>openAPIV3Schema</c> (types, <c>nullable</c>, <c>enum</c>, <c>required</c>, <c>minimum</c>/<c>maximum</c>,
/// <c>minLength</c>/<c>maxLength</c>, <c>pattern</c>, <c>maxItems</c>, unique keys of <c>x-kubernetes-list-type: map</c>)
/// and its <c>x-kubernetes-validations</c> CEL rules, with causes worded as the server words them. Unknown fields are
/// kept (the server would prune them) and <c>format</c> is not checked.
/// <para>CEL: only the rules this project's CRD uses are evaluated, comparisons of durations
/// (<c>duration(self) &gt;= duration('10s')</c>, <c>!has(self.x) || duration(self.x) &lt;= duration('1h')</c>), with
/// <c>duration()</c> failing as Go's <c>time.ParseDuration</c> does beyond about 2562047h. Any other rule throws
/// <see cref="NotSupportedException"/>, which the double answers with a 500 and records as an unhandled error: a new
/// rule must be taught to the double deliberately, never silently passed.</para>
/// </summary>
internal static partial class CrdValidation
{
    // Go's time.Duration is an int64 count of nanoseconds.
    private static readonly TimeSpan GoMaxDuration = TimeSpan.FromTicks(long.MaxValue / 100);

    /// <summary>
    /// A validator for the objects of the CRD's first version; <paramref name="evaluateRules"/> false is an API server older than 1.25,
    /// which ignores CEL rules.
    /// </summary>
    public static Func<JsonObject, IReadOnlyList<(string Field, string Message)>> For(JsonObject crd, bool evaluateRules = true)
    {
        ArgumentNullException.ThrowIfNull(crd);
        var schema = (JsonObject)(crd["spec"]?["versions"]?[0]?["schema"]?["openAPIV3Schema"]
            ?? throw new ArgumentException("the CRD has no spec.versions[0].schema.openAPIV3Schema", nameof(crd)));
        return value =>
        {
            var causes = new List<(string, string)>();
            foreach (var part in new[] { "spec", "status" })
            {
                if (value.ContainsKey(part) && schema["properties"]?[part] is JsonObject partSchema)
                {
                    Check(value[part], partSchema, part, evaluateRules, causes);
                }
            }

            return causes;
        };
    }

    private static void Check(JsonNode? value, JsonObject schema, string path, bool evaluateRules, List<(string, string)> causes)
    {
        var type = schema["type"]?.GetValue<string>();
        if (value is null)
        {
            if (schema["nullable"]?.GetValue<bool>() != true)
            {
                causes.Add((path, $"Invalid value: \"null\": {path} in body must be of type {type}: \"null\""));
            }

            return;
        }

        var actual = TypeOf(value);
        if (type is not null && actual != type && !(type == "number" && actual == "integer"))
        {
            causes.Add((path, $"Invalid value: \"{actual}\": {path} in body must be of type {type}: \"{actual}\""));
            return;
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            causes.Add((path, $"Unsupported value: {Show(value)}: supported values: {string.Join(", ", allowed.Select(Show))}"));
        }

        switch (value)
        {
            case JsonObject map:
                CheckObject(map, schema, path, evaluateRules, causes);
                break;
            case JsonArray list:
                CheckArray(list, schema, path, evaluateRules, causes);
                break;
            case JsonValue scalar when actual == "string":
                CheckString(scalar.GetValue<string>(), schema, path, causes);
                break;
            case JsonValue scalar when actual is "integer" or "number":
                CheckNumber(scalar, schema, path, causes);
                break;
        }

        if (evaluateRules && schema["x-kubernetes-validations"] is JsonArray rules)
        {
            foreach (var rule in rules.OfType<JsonObject>())
            {
                Evaluate(rule, value, actual, path, causes);
            }
        }
    }

    private static void CheckObject(JsonObject map, JsonObject schema, string path, bool evaluateRules, List<(string, string)> causes)
    {
        var properties = schema["properties"] as JsonObject;
        foreach (var (key, child) in map)
        {
            if (properties?[key] is JsonObject childSchema)
            {
                Check(child, childSchema, path + "." + key, evaluateRules, causes);
            }
        }

        foreach (var required in (schema["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()))
        {
            if (!map.ContainsKey(required))
            {
                causes.Add((path + "." + required, "Required value"));
            }
        }
    }

    private static void CheckArray(JsonArray list, JsonObject schema, string path, bool evaluateRules, List<(string, string)> causes)
    {
        if (schema["maxItems"] is JsonValue max && list.Count > Long(max))
        {
            causes.Add((path, string.Create(CultureInfo.InvariantCulture, $"Too many: {list.Count}: must have at most {Long(max)} items")));
        }

        if (schema["items"] is JsonObject itemSchema)
        {
            for (var i = 0; i < list.Count; i++)
            {
                Check(list[i], itemSchema, string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), evaluateRules, causes);
            }
        }

        if (schema["x-kubernetes-list-type"]?.GetValue<string>() == "map" && schema["x-kubernetes-list-map-keys"] is JsonArray keys)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < list.Count; i++)
            {
                var key = new JsonObject([.. keys.Select(k => KeyValuePair.Create(
                    k!.GetValue<string>(),
                    list[i]?[k.GetValue<string>()]?.DeepClone()))]);
                if (!seen.Add(key.ToJsonString()))
                {
                    causes.Add((string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"), $"Duplicate value: {key.ToJsonString()}"));
                }
            }
        }
    }

    private static void CheckString(string text, JsonObject schema, string path, List<(string, string)> causes)
    {
        var length = text.EnumerateRunes().Count();
        if (schema["minLength"] is JsonValue min && length < Long(min))
        {
            causes.Add((
                path,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Invalid value: {Show(text)}: {path} in body should be at least {Long(min)} chars long")));
        }

        if (schema["maxLength"] is JsonValue max && length > Long(max))
        {
            causes.Add((
                path,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Invalid value: {Show(text)}: {path} in body should be at most {Long(max)} chars long")));
        }

        if (schema["pattern"]?.GetValue<string>() is { } pattern && !Regex.IsMatch(
            text,
            pattern,
            RegexOptions.CultureInvariant,
            TimeSpan.FromSeconds(1)))
        {
            causes.Add((path, $"Invalid value: {Show(text)}: {path} in body should match '{pattern}'"));
        }
    }

    private static void CheckNumber(JsonValue scalar, JsonObject schema, string path, List<(string, string)> causes)
    {
        var number = Number(scalar);
        if (schema["minimum"] is JsonValue min && number < Number(min))
        {
            causes.Add((
                path,
                $"Invalid value: {scalar.ToJsonString()}: {path} in body should be greater than or equal to {min.ToJsonString()}"));
        }

        if (schema["maximum"] is JsonValue max && number > Number(max))
        {
            causes.Add((
                path,
                $"Invalid value: {scalar.ToJsonString()}: {path} in body should be less than or equal to {max.ToJsonString()}"));
        }
    }

    /// <summary>One CEL rule of the supported shapes; a failed rule is reported at its <c>fieldPath</c> when it has one.</summary>
    private static void Evaluate(JsonObject rule, JsonNode self, string selfType, string path, List<(string, string)> causes)
    {
        var text = rule["rule"]!.GetValue<string>();
        var message = rule["message"]?.GetValue<string>() ?? $"failed rule: {text}";
        var field = path + (rule["fieldPath"]?.GetValue<string>() ?? string.Empty);
        var match = DurationRule().Match(text);
        if (!match.Success || (match.Groups["guard"].Success && match.Groups["guard"].Value != match.Groups["field"].Value))
        {
            throw new NotSupportedException(
                $"The API-server double cannot evaluate the CEL rule \"{text}\" at {path}; teach CrdValidation that rule's shape.");
        }

        var operand = match.Groups["field"].Success ? (self as JsonObject)?[match.Groups["field"].Value] : self;
        if (match.Groups["field"].Success && operand is null)
        {
            if (!match.Groups["guard"].Success)
            {
                causes.Add((field, $"Invalid value: \"{selfType}\": {message}: no such key: {match.Groups["field"].Value}"));
            }

            return;
        }

        if (!TryGoDuration(operand, out var left) || !TryGoDuration(JsonValue.Create(match.Groups["literal"].Value), out var right))
        {
            causes.Add((field, $"Invalid value: \"{selfType}\": {message}: evaluation error: invalid duration"));
            return;
        }

        var holds = match.Groups["op"].Value switch
        {
            ">=" => left >= right,
            ">" => left > right,
            "<=" => left <= right,
            "<" => left < right,
            "==" => left == right,
            _ => left != right,
        };
        if (!holds)
        {
            causes.Add((field, $"Invalid value: \"{selfType}\": {message}"));
        }
    }

    private static bool TryGoDuration(JsonNode? node, out TimeSpan value)
    {
        value = default;
        return node is JsonValue v && v.TryGetValue<string>(out var text) && KubernetesDuration.TryParse(
            text,
            out value) && value <= GoMaxDuration;
    }

    private static string TypeOf(JsonNode value) => value.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.Object => "object",
        System.Text.Json.JsonValueKind.Array => "array",
        System.Text.Json.JsonValueKind.String => "string",
        System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False => "boolean",
        _ => value.ToJsonString().AsSpan().IndexOfAny(".eE") < 0 ? "integer" : "number",
    };

    private static long Long(JsonValue value) => long.Parse(value.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static double Number(JsonValue value) => double.Parse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture);

    private static string Show(JsonNode? value) => value?.ToJsonString() ?? "null";

    private static string Show(string text) => JsonValue.Create(text).ToJsonString();

    [GeneratedRegex(
        @"^(?:!has\(self\.(?<guard>[A-Za-z_][A-Za-z0-9_]*)\) \|\| )?duration\(self(?:\.(?<field>[A-Za-z_][A-Za-z0-9_]*))?\) "
        + @"(?<op>>=|<=|==|!=|>|<) duration\('(?<literal>[^']*)'\)$")]
    private static partial Regex DurationRule();
}
