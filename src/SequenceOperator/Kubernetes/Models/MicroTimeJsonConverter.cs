using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SequenceOperator.Kubernetes.Models;

/// <summary>
/// <c>metav1.MicroTime</c>: RFC 3339 in UTC with exactly six fractional digits (<c>2006-01-02T15:04:05.000000Z</c>).
/// The API server parses these fields with that exact layout, so .NET's default seven-digit round-trip format
/// would be rejected. Reading accepts any RFC 3339 form.
/// </summary>
internal sealed class MicroTimeJsonConverter : JsonConverter<DateTimeOffset?>
{
    public const string Format = "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'ffffff'Z'";

    public override bool HandleNull => true;

    public static string ToMicroTime(DateTimeOffset value) =>
        value.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        var text = reader.GetString();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStringValue(ToMicroTime(value.Value));
    }
}
