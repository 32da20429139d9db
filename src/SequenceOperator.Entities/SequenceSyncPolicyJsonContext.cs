using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using SequenceOperator.Entities.Meta;

namespace SequenceOperator.Entities;

/// <summary>
/// Source-generated JSON metadata for the custom resource: camelCase, nulls omitted, enums as their names, times as
/// RFC 3339 UTC with second precision (like <c>metav1.Time</c>). Public so that the Kubernetes client can take its
/// <c>JsonTypeInfo&lt;T&gt;</c>s, e.g. <c>SequenceSyncPolicyJsonContext.Default.V1Alpha1SequenceSyncPolicy</c>.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true,
    RespectNullableAnnotations = true,
    Converters = [typeof(Rfc3339TimeConverter)])]
[JsonSerializable(typeof(V1Alpha1SequenceSyncPolicy))]
[JsonSerializable(typeof(V1Alpha1SequenceSyncPolicyList))]
[JsonSerializable(typeof(SequenceSyncPolicySpec))]
[JsonSerializable(typeof(SequenceSyncPolicyStatus))]
[JsonSerializable(typeof(SequenceStatusEntry))]
[JsonSerializable(typeof(Condition))]
public sealed partial class SequenceSyncPolicyJsonContext : JsonSerializerContext;

/// <summary>Writes <see cref="DateTimeOffset"/> as Kubernetes does (<c>2025-01-02T03:04:05Z</c>); reads any ISO 8601 time.</summary>
public sealed class Rfc3339TimeConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TryGetDateTimeOffset(out var value))
        {
            return value;
        }

        var text = reader.GetString();
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value)
            ? value
            : throw new JsonException($"'{text}' is not an RFC 3339 time.");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture));
    }
}
