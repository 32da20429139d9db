using System.Globalization;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace SequenceOperator.Postgres;

/// <summary>
/// Lists cross the wire in PostgreSQL's text form of a one-dimensional array (<c>{1,2}</c>,
/// <c>{cards,"a b","say \"hi\""}</c>): a list parameter is that text, sent untyped so that the server reads it as the
/// array type the statement needs (<c>$1::int8[]</c>, <c>relname = ANY($1)</c>), and a list result is the array cast
/// to text. So the engine's data sources need no array type mappings: Npgsql builds them per data source (about 600 KB
/// and 2 ms of CPU each; the operator makes one data source per check, and a CLI run pays it before its first row).
/// </summary>
internal static class ArrayText
{
    /// <summary>A parameter holding <paramref name="values"/>: <c>{1,2,3}</c>.</summary>
    public static NpgsqlParameter Parameter(IEnumerable<long> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Untyped("{" + string.Join(',', values.Select(v => v.ToString(CultureInfo.InvariantCulture))) + "}");
    }

    /// <summary>A parameter holding <paramref name="values"/>, each element quoted: <c>{"cards","a \"b\""}</c>.</summary>
    public static NpgsqlParameter Parameter(IEnumerable<string> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var text = new StringBuilder("{");
        foreach (var value in values)
        {
            if (value.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException("A PostgreSQL text value cannot contain a NUL character.", nameof(values));
            }

            text.Append(text.Length > 1 ? ",\"" : "\"")
                .Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal))
                .Append('"');
        }

        return Untyped(text.Append('}').ToString());
    }

    /// <summary>Reads an <c>int8[]</c> cast to text (<c>{16433,16500}</c>, <c>{}</c>).</summary>
    public static long[] ReadInt64s(string text) =>
        [.. ReadElements(text).Select(e => long.Parse(e, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture))];

    /// <summary>Reads a <c>text[]</c> (or <c>name[]</c>) without NULL elements, cast to text.</summary>
    public static string[] ReadStrings(string text) => [.. ReadElements(text)];

    private static NpgsqlParameter Untyped(string text) => new() { Value = text, NpgsqlDbType = NpgsqlDbType.Unknown };

    /// <summary>
    /// The elements of a one-dimensional array's text output, which has no NULL elements: unquoted elements end at a
    /// comma or the closing brace; quoted ones (empty, or holding a space, a quote, a backslash, a brace, a comma, or
    /// spelling NULL) end at the next unescaped quote, a backslash escaping the character after it.
    /// </summary>
    private static List<string> ReadElements(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length < 2 || text[0] != '{' || text[^1] != '}')
        {
            throw Malformed(text);
        }

        var elements = new List<string>();
        var end = text.Length - 1; // the closing brace
        var element = new StringBuilder();
        for (var i = 1; i < end; i++) // i: the first character of an element
        {
            element.Clear();
            var quoted = text[i] == '"';
            if (quoted)
            {
                for (i++; i < end && text[i] != '"'; i++)
                {
                    element.Append(text[i] == '\\' && i + 1 < end ? text[++i] : text[i]);
                }

                if (i == end)
                {
                    throw Malformed(text); // no closing quote
                }

                i++;
            }
            else
            {
                for (; i < end && text[i] != ','; i++)
                {
                    element.Append(text[i]);
                }
            }

            var value = element.ToString();
            if (!quoted && (value.Length == 0 || value.Equals("NULL", StringComparison.OrdinalIgnoreCase)
                            || value.AsSpan().IndexOfAny("{}\"\\") >= 0))
            {
                throw Malformed(text); // an empty, NULL or nested element
            }

            elements.Add(value);
            if (i < end && (text[i] != ',' || i + 1 == end))
            {
                throw Malformed(text); // not a comma after the element, or a comma before the closing brace
            }
        }

        return elements;
    }

    private static FormatException Malformed(string text) =>
        new("Not the text of a one-dimensional array without NULLs: " + (text.Length <= 80 ? text : text[..80] + "..."));
}
