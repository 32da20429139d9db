using System.Text;

namespace SequenceOperator.Postgres;

/// <summary>
/// PostgreSQL identifier handling. Every name the engine puts into SQL text comes from the catalog and goes
/// through <see cref="Quote(string)"/>; user input is only ever compared with catalog names or sent as a parameter.
/// </summary>
internal static class Identifiers
{
    /// <summary>Quotes an identifier exactly as <c>quote_ident</c> would for a name that needs quoting: always quoted, inner quotes doubled.</summary>
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

    /// <summary>A name for messages: bare when it is a plain lower-case identifier, else quoted.</summary>
    public static string Display(string identifier) =>
        IsPlain(identifier) ? identifier : Quote(identifier);

    /// <summary><c>schema.name</c> for messages.</summary>
    public static string Display(string schema, string name) => Display(schema) + "." + Display(name);

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
