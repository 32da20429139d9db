using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SequenceOperator.Testing.Kubernetes;

/// <summary>The parts of the real server's validation of built-in types that a client can get wrong.</summary>
internal static partial class BuiltInValidation
{
    /// <summary>metav1.MicroTime is parsed with the exact layout <c>2006-01-02T15:04:05.000000Z07:00</c>.</summary>
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex MicroTime();

    public static IReadOnlyList<(string Field, string Message)> Event(JsonObject value)
    {
        var causes = new List<(string, string)>();
        Required(value, "eventTime", causes);
        MicroTimeField(value, "eventTime", causes);
        Required(value, "reportingController", causes);
        Required(value, "reportingInstance", causes);
        Required(value, "action", causes);
        Required(value, "reason", causes);
        if (value["regarding"] is not JsonObject)
        {
            causes.Add(("regarding", "Required value"));
        }

        var type = value["type"]?.GetValue<string>();
        if (type is not ("Normal" or "Warning"))
        {
            causes.Add(("type", $"Unsupported value: \"{type}\": supported values: \"Normal\", \"Warning\""));
        }

        if (value["note"]?.GetValue<string>() is { } note && System.Text.Encoding.UTF8.GetByteCount(note) > 1024)
        {
            causes.Add(("note", "Too long: may not be more than 1024 bytes"));
        }

        if (value["series"] is JsonObject series)
        {
            if (Int(series["count"]) is not (>= 2))
            {
                causes.Add(("series.count", "Invalid value: should be at least 2"));
            }

            if (series["lastObservedTime"] is null)
            {
                causes.Add(("series.lastObservedTime", "Required value"));
            }

            MicroTimeField(series, "lastObservedTime", causes, "series.");
        }

        return causes;
    }

    public static IReadOnlyList<(string Field, string Message)> Lease(JsonObject value)
    {
        var causes = new List<(string, string)>();
        if (value["spec"] is JsonObject spec)
        {
            MicroTimeField(spec, "acquireTime", causes, "spec.");
            MicroTimeField(spec, "renewTime", causes, "spec.");
            if (Int(spec["leaseDurationSeconds"]) is <= 0)
            {
                causes.Add(("spec.leaseDurationSeconds", "Invalid value: must be greater than 0"));
            }

            if (Int(spec["leaseTransitions"]) is < 0)
            {
                causes.Add(("spec.leaseTransitions", "Invalid value: must be greater than or equal to 0"));
            }
        }

        return causes;
    }

    /// <summary>True when the text has the MicroTime layout (decoding errors are 400s, not validation causes).</summary>
    public static bool IsMicroTime(string text) => MicroTime().IsMatch(text);

    private static long? Int(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var l) ? l
        : node is JsonValue w && w.TryGetValue<int>(out var i) ? i
        : null;

    private static void Required(JsonObject value, string field, List<(string, string)> causes)
    {
        if (value[field] is not JsonValue v || (v.TryGetValue<string>(out var s) && s.Length == 0))
        {
            causes.Add((field, "Required value"));
        }
    }

    private static void MicroTimeField(JsonObject value, string field, List<(string, string)> causes, string prefix = "")
    {
        if (value[field] is JsonValue v && (!v.TryGetValue<string>(out var s) || !IsMicroTime(s)))
        {
            causes.Add((prefix + field, "Invalid value: not a MicroTime (RFC 3339 with six fractional digits)"));
        }
    }
}
