using System.Text;

namespace SequenceOperator.Postgres;

/// <summary>One part of a table entry: the text and whether it was written in double quotes (then matched exactly).</summary>
public sealed record NamePart(string Value, bool Quoted)
{
    public override string ToString() =>
        Quoted || Value.Any(Identifiers.NeedsEscape) ? Identifiers.DisplayQuoted(Value) : Value;
}

/// <summary>
/// A table entry as users write it: <c>table</c>, <c>schema.table</c>, optionally <c>:column</c>
/// (<c>ak_animes:id_anime</c>). Parts may be double-quoted as in SQL (<c>"My Schema"."Odd.Name":"Id"</c>), which
/// matches the name exactly, also with Unicode escapes (<c>U&amp;"two\000Alines"</c>, the form messages print a name
/// with a control character in); an unquoted part matches the name as written, or else as PostgreSQL folds it (lower
/// case). Names are compared as PostgreSQL stores them, cut to 63 bytes. The text is never put into SQL: it is only
/// compared with names read from the catalog.
/// </summary>
public sealed record TableSelector(NamePart? Schema, NamePart Table, NamePart? Column)
{
    /// <summary>The entry as the user wrote it (normalised), for messages and reports.</summary>
    public string Display =>
        (Schema is null ? string.Empty : Schema + ".") + Table + (Column is null ? string.Empty : ":" + Column);

    public override string ToString() => Display;

    /// <summary>Parses <c>[schema.]table[:column]</c>.</summary>
    /// <exception cref="FormatException">The entry is empty or malformed; the message says why.</exception>
    public static TableSelector Parse(string entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var (tablePart, columnPart) = SplitOnce(entry, ':', entry);
        var column = columnPart is null ? null : ParseSingle(columnPart, entry, "column");
        return WithTable(tablePart, entry, column);
    }

    /// <summary>
    /// Builds a selector from a table entry (<c>[schema.]table</c>) and a separate column name, as the policy spec holds them.
    /// </summary>
    public static TableSelector Parse(string table, string? column)
    {
        ArgumentNullException.ThrowIfNull(table);
        var columnPart = string.IsNullOrEmpty(column) ? null : ParseSingle(column, column, "column");
        return WithTable(table, table, columnPart);
    }

    private static TableSelector WithTable(string text, string entry, NamePart? column)
    {
        var parts = SplitAll(text, '.', entry);
        return parts.Count switch
        {
            1 => new TableSelector(null, Require(parts[0], entry, "table"), column),
            2 => new TableSelector(Require(parts[0], entry, "schema"), Require(parts[1], entry, "table"), column),
            _ => throw new FormatException(
                $"Invalid table entry '{entry}': expected [schema.]table[:column]; quote a name that contains a dot, e.g. \"my.table\"."),
        };
    }

    private static NamePart ParseSingle(string text, string entry, string what)
    {
        var parts = SplitAll(text, '\0', entry);
        return Require(parts[0], entry, what);
    }

    private static NamePart Require(NamePart part, string entry, string what) =>
        part.Value.Length == 0 ? throw new FormatException($"Invalid table entry '{entry}': the {what} name is empty.") : part;

    private static (string Before, string? After) SplitOnce(string text, char separator, string entry)
    {
        var inQuotes = false;
        var index = -1;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                inQuotes = !inQuotes;
            }
            else if (text[i] == separator && !inQuotes)
            {
                if (index >= 0)
                {
                    throw new FormatException(
                        $"Invalid table entry '{entry}': more than one '{separator}'; quote a name that contains one.");
                }

                index = i;
            }
        }

        return index < 0 ? (text, null) : (text[..index], text[(index + 1)..]);
    }

    private static List<NamePart> SplitAll(string text, char separator, string entry)
    {
        var parts = new List<NamePart>();
        var current = new StringBuilder();
        var quoted = false;
        var i = 0;
        while (i <= text.Length)
        {
            if (i == text.Length || text[i] == separator)
            {
                parts.Add(new NamePart(current.ToString(), quoted));
                current.Clear();
                quoted = false;
                i++;
                continue;
            }

            var unicode = current.Length == 0 && !quoted && i + 2 < text.Length && text[i] is 'U' or 'u' && text[i + 1] == '&'
                && text[i + 2] == '"';
            if (unicode)
            {
                i += 2;
            }

            if (text[i] == '"')
            {
                if (current.Length > 0 || quoted)
                {
                    throw new FormatException($"Invalid table entry '{entry}': a quoted name must be quoted as a whole.");
                }

                i++;
                var closed = false;
                while (i < text.Length)
                {
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            current.Append('"');
                            i += 2;
                            continue;
                        }

                        closed = true;
                        i++;
                        break;
                    }

                    current.Append(text[i]);
                    i++;
                }

                if (!closed)
                {
                    throw new FormatException($"Invalid table entry '{entry}': unterminated quoted name.");
                }

                quoted = true;
                if (unicode)
                {
                    try
                    {
                        var unescaped = Identifiers.UnescapeUnicode(current.ToString());
                        current.Clear().Append(unescaped);
                    }
                    catch (FormatException ex)
                    {
                        throw new FormatException($"Invalid table entry '{entry}': {ex.Message}.");
                    }
                }

                if (i < text.Length && text[i] != separator)
                {
                    throw new FormatException($"Invalid table entry '{entry}': unexpected text after a quoted name.");
                }

                continue;
            }

            current.Append(text[i]);
            i++;
        }

        return parts;
    }
}
