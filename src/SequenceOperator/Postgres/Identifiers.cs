using System.Globalization;
using System.Text;

namespace SequenceOperator.Postgres;

/// <summary>
/// PostgreSQL identifier handling. Every name the engine puts into SQL text comes from the catalog and goes
/// through <see cref="Quote(string)"/>; user input is only ever compared with catalog names or sent as a parameter.
/// </summary>
internal static class Identifiers
{
    /// <summary>PostgreSQL keeps the first NAMEDATALEN - 1 = 63 bytes of a name.</summary>
    public const int MaxNameBytes = 63;

    /// <summary>
    /// Quotes an identifier exactly as <c>quote_ident</c> would for a name that needs quoting: always quoted, inner quotes doubled.
    /// </summary>
    public static string Quote(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        if (identifier.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("An identifier cannot contain a NUL character.", nameof(identifier));
        }

        return "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    /// <summary><c>"schema"."name"</c>.</summary>
    public static string Quote(string schema, string name) => Quote(schema) + "." + Quote(name);

    /// <summary>How PostgreSQL folds an unquoted identifier: ASCII letters to lower case, nothing else.</summary>
    public static string FoldUnquoted(string identifier)
    {
        var sb = new StringBuilder(identifier.Length);
        foreach (var c in identifier)
        {
            sb.Append(c is >= 'A' and <= 'Z' ? (char)(c + 32) : c);
        }

        return sb.ToString();
    }

    /// <summary>
    /// The name PostgreSQL keeps for an identifier written this way: its first <see cref="MaxNameBytes"/> bytes in
    /// UTF-8, never cutting a character in two (as <c>pg_mbcliplen</c> does in a UTF-8 database).
    /// </summary>
    public static string Truncate(string identifier)
    {
        if (Encoding.UTF8.GetByteCount(identifier) <= MaxNameBytes)
        {
            return identifier;
        }

        var bytes = 0;
        var length = 0;
        foreach (var rune in identifier.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > MaxNameBytes)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            length += rune.Utf16SequenceLength;
        }

        return identifier[..length];
    }

    /// <summary>
    /// A name for messages: bare when it is a plain lower-case identifier, else quoted as in SQL. A name holding a
    /// control character (a newline, a tab, ...) is written in PostgreSQL's <c>U&amp;"..."</c> form, so a message
    /// or a row that shows it stays on its line.
    /// </summary>
    public static string Display(string identifier) =>
        IsPlain(identifier) ? identifier : DisplayQuoted(identifier);

    /// <summary><c>schema.name</c> for messages.</summary>
    public static string Display(string schema, string name) => Display(schema) + "." + Display(name);

    /// <summary>
    /// A name for messages, always quoted: <c>"Name"</c>, or <c>U&amp;"two\000Alines"</c> when it holds a control character.
    /// </summary>
    public static string DisplayQuoted(string identifier)
    {
        if (!identifier.Any(NeedsEscape))
        {
            return Quote(identifier);
        }

        var sb = new StringBuilder("U&\"", identifier.Length + 16);
        foreach (var c in identifier)
        {
            if (c is '"' or '\\')
            {
                sb.Append(c).Append(c); // "" and \\, as in U&"..."
            }
            else if (NeedsEscape(c))
            {
                sb.Append('\\').Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.Append('"').ToString();
    }

    /// <summary>
    /// The body of a <c>U&amp;"..."</c> identifier (quotes already undoubled) with its escapes resolved:
    /// <c>\XXXX</c>, <c>\+XXXXXX</c> and <c>\\</c>, as PostgreSQL reads them.
    /// </summary>
    /// <exception cref="FormatException">An escape is malformed.</exception>
    public static string UnescapeUnicode(string body)
    {
        var sb = new StringBuilder(body.Length);
        for (var i = 0; i < body.Length; i++)
        {
            if (body[i] != '\\')
            {
                sb.Append(body[i]);
                continue;
            }

            if (i + 1 < body.Length && body[i + 1] == '\\')
            {
                sb.Append('\\');
                i++;
                continue;
            }

            var six = i + 1 < body.Length && body[i + 1] == '+';
            var digits = six ? 6 : 4;
            var start = i + (six ? 2 : 1);
            if (start + digits > body.Length
                || !int.TryParse(body.AsSpan(start, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
                || code == 0 || code > 0x10FFFF)
            {
                throw new FormatException(
                    "invalid Unicode escape: write \\XXXX or \\+XXXXXX (hexadecimal, not 0), or \\\\ for a backslash");
            }

            sb.Append(code <= 0xFFFF ? ((char)code).ToString() : char.ConvertFromUtf32(code));
            i = start + digits - 1;
        }

        return sb.ToString();
    }

    /// <summary>
    /// A schema name as one <c>search_path</c> entry: bare when plain, else quoted (PostgreSQL would fold a bare one and split it at
    /// commas).
    /// </summary>
    public static string SearchPathEntry(string schema) => IsPlain(schema) ? schema : Quote(schema);

    /// <summary>
    /// Characters that would break a line or reorder what a terminal shows: control characters (newline, tab, ...),
    /// the Unicode line and paragraph separators, and bidirectional overrides.
    /// </summary>
    public static bool NeedsEscape(char c) =>
        char.IsControl(c)
            || c is '\u2028' or '\u2029' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    private static bool IsPlain(string identifier)
    {
        if (identifier.Length == 0 || !(identifier[0] is (>= 'a' and <= 'z') or '_'))
        {
            return false;
        }

        foreach (var c in identifier)
        {
            if (!(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '$'))
            {
                return false;
            }
        }

        return true;
    }
}
