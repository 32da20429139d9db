using System.Globalization;
using System.Text;

namespace SequenceOperator.Postgres;

/// <summary>A value in a <see cref="NodeTree"/>: a node, a list, or one token.</summary>
internal abstract record NodeValue;

/// <summary>One token, backslash escapes removed; <c>&lt;&gt;</c> (an empty or NULL field) reads as an empty token.</summary>
internal sealed record NodeToken(string Text) : NodeValue;

/// <summary><c>( ... )</c>: a list of nodes, or of numbers (then its first token is i, o, b or x).</summary>
internal sealed record NodeList(IReadOnlyList<NodeValue> Items) : NodeValue;

/// <summary><c>{TYPE :field value ...}</c>. A field's value is every item up to the next field (a datum is several tokens).</summary>
internal sealed record Node(string Type, IReadOnlyDictionary<string, IReadOnlyList<NodeValue>> Fields) : NodeValue
{
    /// <summary>The field as a number; null when missing or not a number.</summary>
    public long? Number(string field) =>
        Fields.TryGetValue(
            field,
            out var v) && v is [NodeToken t] && long.TryParse(
                t.Text,
                NumberStyles.AllowLeadingSign,
                CultureInfo.InvariantCulture,
                out var n) ? n : null;

    public bool Flag(string field) => Fields.TryGetValue(field, out var v) && v is [NodeToken { Text: "true" }];

    /// <summary>The field's node (<c>:arg {...}</c>); null when missing or empty.</summary>
    public Node? Child(string field) => Fields.TryGetValue(field, out var v) && v is [Node n] ? n : null;

    /// <summary>The field's list of nodes (<c>:args ({...} {...})</c>); empty when missing.</summary>
    public IReadOnlyList<Node> Children(string field) =>
        Fields.TryGetValue(field, out var v) && v is [NodeList list] ? list.Items.OfType<Node>().ToList() : [];

    /// <summary>
    /// A datum as written by PostgreSQL's outDatum: <c>length [ b0 b1 ... ]</c>, each byte as a signed decimal. A
    /// pass-by-value datum prints all 8 bytes of the Datum word; a varlena prints its header and its bytes.
    /// </summary>
    public (int Length, byte[] Bytes)? Datum(string field)
    {
        if (!Fields.TryGetValue(field, out var v) || v.Count < 3 || v[0] is not NodeToken length || v[1] is not NodeToken { Text: "[" }
            || v[^1] is not NodeToken { Text: "]" } || !int.TryParse(
                length.Text,
                NumberStyles.None,
                CultureInfo.InvariantCulture,
                out var n))
        {
            return null;
        }

        var bytes = new byte[v.Count - 3];
        for (var i = 0; i < bytes.Length; i++)
        {
            if (v[i + 2] is not NodeToken b || !sbyte.TryParse(
                b.Text,
                NumberStyles.AllowLeadingSign,
                CultureInfo.InvariantCulture,
                out var s))
            {
                return null;
            }

            bytes[i] = unchecked((byte)s);
        }

        return (n, bytes);
    }
}

/// <summary>
/// Reads PostgreSQL's <c>pg_node_tree</c> text, the form in which the catalog stores expressions
/// (<c>pg_attrdef.adbin::text</c>), so a column default can be judged without <c>pg_get_expr</c>, which opens (and
/// so locks) the table. The grammar is PostgreSQL's own (<c>read.c</c>): tokens split at whitespace and at the
/// brackets <c>( ) { }</c>; a backslash escapes the next character; <c>&lt;&gt;</c> is the empty token.
/// </summary>
internal static class NodeTree
{
    /// <summary>The expression, or null when the text is not a well-formed node tree.</summary>
    public static Node? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var position = 0;
        try
        {
            var value = ReadValue(text, ref position);
            return Next(text, ref position) is null ? value as Node : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static NodeValue ReadValue(string text, ref int position)
    {
        var token = Next(text, ref position) ?? throw new FormatException("unexpected end of the node tree");
        return token switch
        {
            { Bracket: '{' } => ReadNode(text, ref position),
            { Bracket: '(' } => ReadList(text, ref position),
            { Bracket: not null } => throw new FormatException($"unexpected '{token.Bracket}'"),
            _ => new NodeToken(token.Text),
        };
    }

    private static Node ReadNode(string text, ref int position)
    {
        var type = Next(text, ref position);
        if (type is null || type.Bracket is not null)
        {
            throw new FormatException("a node has no type");
        }

        var fields = new Dictionary<string, IReadOnlyList<NodeValue>>(StringComparer.Ordinal);
        List<NodeValue>? current = null;
        while (true)
        {
            var saved = position;
            var token = Next(text, ref position) ?? throw new FormatException("unterminated node");
            if (token.Bracket == '}')
            {
                return new Node(type.Text, fields);
            }

            if (token is { Bracket: null, Field: true })
            {
                current = [];
                fields[token.Text[1..]] = current;
                continue;
            }

            if (current is null)
            {
                throw new FormatException("a value before the first field");
            }

            position = saved;
            current.Add(ReadValue(text, ref position));
        }
    }

    private static NodeList ReadList(string text, ref int position)
    {
        var items = new List<NodeValue>();
        while (true)
        {
            var saved = position;
            var token = Next(text, ref position) ?? throw new FormatException("unterminated list");
            if (token.Bracket == ')')
            {
                return new NodeList(items);
            }

            position = saved;
            items.Add(ReadValue(text, ref position));
        }
    }

    private sealed record Token(string Text, char? Bracket, bool Field);

    private static Token? Next(string text, ref int position)
    {
        while (position < text.Length && text[position] is ' ' or '\n' or '\t' or '\r')
        {
            position++;
        }

        if (position >= text.Length)
        {
            return null;
        }

        var c = text[position];
        if (c is '(' or ')' or '{' or '}')
        {
            position++;
            return new Token(c.ToString(), c, false);
        }

        var field = c == ':';
        var empty = c == '<' && position + 1 < text.Length && text[position + 1] == '>'
            && (position + 2 == text.Length || text[position + 2] is ' ' or '\n' or '\t' or '\r' or '(' or ')' or '{' or '}');
        var sb = new StringBuilder();
        while (position < text.Length && text[position] is not (' ' or '\n' or '\t' or '\r' or '(' or ')' or '{' or '}'))
        {
            if (text[position] == '\\' && position + 1 < text.Length)
            {
                position++;
            }

            sb.Append(text[position++]);
        }

        return new Token(empty ? string.Empty : sb.ToString(), null, field);
    }
}
