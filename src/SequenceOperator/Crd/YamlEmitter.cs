using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SequenceOperator.Crd;

/// <summary>
/// Writes a JSON tree as block-style YAML, deterministically: keys in the tree's order, 2-space indent, sequences
/// indented under their key, "\n" line ends, a trailing newline. Strings are quoted whenever a YAML 1.1 or 1.2 reader
/// could take them for anything but that string (numbers, booleans such as yes/no, null, special characters).
/// </summary>
internal static class YamlEmitter
{
    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
    };

    public static string Write(JsonNode root, string? headerComment = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        var builder = new StringBuilder();
        if (headerComment is not null)
        {
            foreach (var line in headerComment.Split('\n'))
            {
                builder.Append("# ").Append(line).Append('\n');
            }
        }

        switch (root)
        {
            case JsonObject obj:
                WriteMapping(builder, obj, 0);
                break;
            case JsonArray array:
                WriteSequence(builder, array, 0);
                break;
            default:
                builder.Append(Scalar(root)).Append('\n');
                break;
        }

        return builder.ToString();
    }

    private static void WriteMapping(StringBuilder builder, JsonObject obj, int indent, bool firstLineIndented = true)
    {
        var first = true;
        foreach (var (key, value) in obj)
        {
            if (!first || firstLineIndented)
            {
                builder.Append(' ', indent);
            }

            first = false;
            builder.Append(Key(key)).Append(':');
            WriteValue(builder, value, indent);
        }
    }

    private static void WriteSequence(StringBuilder builder, JsonArray array, int indent)
    {
        foreach (var item in array)
        {
            builder.Append(' ', indent).Append("- ");
            switch (item)
            {
                case JsonObject { Count: > 0 } obj:
                    WriteMapping(builder, obj, indent + 2, firstLineIndented: false);
                    break;
                case JsonArray { Count: > 0 } nested:
                    builder.Append('\n');
                    WriteSequence(builder, nested, indent + 2);
                    break;
                default:
                    builder.Append(Inline(item)).Append('\n');
                    break;
            }
        }
    }

    private static void WriteValue(StringBuilder builder, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 } obj:
                builder.Append('\n');
                WriteMapping(builder, obj, indent + 2);
                break;
            case JsonArray { Count: > 0 } array:
                builder.Append('\n');
                WriteSequence(builder, array, indent + 2);
                break;
            default:
                builder.Append(' ').Append(Inline(value)).Append('\n');
                break;
        }
    }

    private static string Inline(JsonNode? value) => value switch
    {
        JsonObject => "{}",
        JsonArray => "[]",
        _ => Scalar(value),
    };

    private static string Key(string key) => IsPlain(key) ? key : Quote(key);

    private static string Scalar(JsonNode? value)
    {
        if (value is null)
        {
            return "null";
        }

        var element = value.GetValueKind();
        return element switch
        {
            JsonValueKind.String => IsPlain(value.GetValue<string>()) ? value.GetValue<string>() : Quote(value.GetValue<string>()),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null => "null",
            JsonValueKind.Number => value.ToJsonString(),
            _ => throw new InvalidOperationException($"Cannot write {element} as a YAML scalar."),
        };
    }

    // Plain only for text that starts with a letter and holds nothing YAML gives a meaning to.
    private static bool IsPlain(string text)
    {
        if (text.Length == 0 || !char.IsAsciiLetter(text[0]) || text[^1] == ' ' || Reserved.Contains(text))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is ' ' or '.' or '_' or '/' or '(' or ')' or ',' or ';' or '%' or '+' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static string Quote(string text)
    {
        if (!text.Contains('\'', StringComparison.Ordinal) && text.All(c => c >= ' ' && c != '\u007f'))
        {
            return "'" + text + "'";
        }

        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            _ = c switch
            {
                '\\' => builder.Append(@"\\"),
                '"' => builder.Append("\\\""),
                '\n' => builder.Append(@"\n"),
                '\t' => builder.Append(@"\t"),
                '\r' => builder.Append(@"\r"),
                _ when c < ' ' || c == '\u007f' => builder.Append(@"\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)),
                _ => builder.Append(c),
            };
        }

        return builder.Append('"').ToString();
    }
}
