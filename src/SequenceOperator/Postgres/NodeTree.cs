using System.Buffers;
using System.Globalization;
using System.Text;

namespace SequenceOperator.Postgres;

/// <summary>
/// <c>{TYPE :field value ...}</c>, a view into its <see cref="NodeTree"/>: reading a field allocates nothing. A
/// field's value is every item up to the next field (a datum is several tokens); a token reads with its backslash
/// escapes removed, and <c>&lt;&gt;</c> (an empty or NULL field) as an empty token. When a field appears twice, the
/// last one counts.
/// </summary>
internal readonly struct Node
{
    private readonly NodeTree _tree;
    private readonly int _index;

    internal Node(NodeTree tree, int index)
    {
        _tree = tree;
        _index = index;
    }

    /// <summary>The node's type (<c>FUNCEXPR</c>, <c>CONST</c>, ...); compare it with a pattern (<c>is "CONST"</c>).</summary>
    public ReadOnlySpan<char> Type => _tree.TextOf(_index);

    /// <summary>The field as a number; null when missing or not a number.</summary>
    public long? Number(string field) =>
        TryToken(field, out var token) && long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : null;

    public bool Flag(string field) => TryToken(field, out var token) && token is "true";

    /// <summary>The field's one token; null when missing or not one token.</summary>
    public string? Token(string field) => TryToken(field, out var token) ? token.ToString() : null;

    /// <summary>The field's node (<c>:arg {...}</c>); null when missing or empty.</summary>
    public Node? Child(string field) =>
        Value(field) is var v and >= 0 && _tree.Items[v].Kind == NodeTree.ItemKind.Node ? new Node(_tree, v) : null;

    /// <summary>The nodes in the field's list (<c>:args ({...} {...})</c>); empty when missing.</summary>
    public Nodes Children(string field) =>
        Value(field) is var v and >= 0 && _tree.Items[v].Kind == NodeTree.ItemKind.List
            ? new Nodes(_tree, v + 1, _tree.Items[v].End, false)
            : default;

    /// <summary>This node and every node within it, at any depth, in the order they are written.</summary>
    public Nodes SelfAndDescendants() => new(_tree, _index, _tree.Items[_index].End, true);

    /// <summary>
    /// A datum as written by PostgreSQL's outDatum: <c>length [ b0 b1 ... ]</c>, each byte as a signed decimal. A
    /// pass-by-value datum prints all 8 bytes of the Datum word; a varlena prints its header and its bytes.
    /// </summary>
    public (int Length, byte[] Bytes)? Datum(string field)
    {
        var f = Field(field);
        if (f < 0)
        {
            return null;
        }

        // Every value must be a token, one item each: f + 1 is the length, f + 2 "[", end - 1 "]".
        var items = _tree.Items;
        var end = items[f].End;
        for (var v = f + 1; v < end; v++)
        {
            if (items[v].Kind != NodeTree.ItemKind.Token)
            {
                return null;
            }
        }

        if (end - f - 1 < 3 || _tree.TextOf(f + 2) is not "[" || _tree.TextOf(end - 1) is not "]"
            || !int.TryParse(_tree.TextOf(f + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            return null;
        }

        var bytes = new byte[end - f - 4];
        for (var i = 0; i < bytes.Length; i++)
        {
            if (!sbyte.TryParse(_tree.TextOf(f + 3 + i), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s))
            {
                return null;
            }

            bytes[i] = unchecked((byte)s);
        }

        return (length, bytes);
    }

    private bool TryToken(string field, out ReadOnlySpan<char> token)
    {
        var v = Value(field);
        var found = v >= 0 && _tree.Items[v].Kind == NodeTree.ItemKind.Token;
        token = found ? _tree.TextOf(v) : default;
        return found;
    }

    /// <summary>The item of the field's value when it is one item (a token, a node, a list); else -1.</summary>
    private int Value(string field)
    {
        var f = Field(field);
        var items = _tree.Items;
        return f >= 0 && f + 1 < items[f].End && items[f + 1].End == items[f].End ? f + 1 : -1;
    }

    /// <summary>The item of the last field so named; -1 when there is none.</summary>
    private int Field(string name)
    {
        var items = _tree.Items;
        var found = -1;
        for (var f = _index + 1; f < items[_index].End; f = items[f].End)
        {
            if (_tree.TextOf(f).SequenceEqual(name))
            {
                found = f;
            }
        }

        return found;
    }
}

/// <summary>
/// Nodes of a <see cref="NodeTree"/>: those in a list (not within them), or a node and all within it. Walked
/// without allocating; indexing walks from the start.
/// </summary>
internal readonly struct Nodes
{
    private readonly NodeTree? _tree;
    private readonly int _start;
    private readonly int _end;
    private readonly bool _deep;

    internal Nodes(NodeTree tree, int start, int end, bool deep)
    {
        _tree = tree;
        _start = start;
        _end = end;
        _deep = deep;
    }

    public int Count
    {
        get
        {
            var count = 0;
            foreach (var unused in this)
            {
                count++;
            }

            return count;
        }
    }

    public Node this[int index]
    {
        get
        {
            foreach (var node in this)
            {
                if (index-- == 0)
                {
                    return node;
                }
            }

            throw new ArgumentOutOfRangeException(nameof(index));
        }
    }

    public Enumerator GetEnumerator() => new(this);

    public struct Enumerator(Nodes nodes)
    {
        private int _next = nodes._start;

        public Node Current { get; private set; }

        public bool MoveNext()
        {
            var items = nodes._tree is null ? default : nodes._tree.Items;
            while (_next < nodes._end)
            {
                var item = _next;
                _next = nodes._deep ? item + 1 : items[item].End;
                if (items[item].Kind == NodeTree.ItemKind.Node)
                {
                    Current = new Node(nodes._tree!, item);
                    return true;
                }
            }

            return false;
        }
    }
}

/// <summary>
/// Reads PostgreSQL's <c>pg_node_tree</c> text, the form in which the catalog stores expressions
/// (<c>pg_attrdef.adbin::text</c>), so a column default can be judged without <c>pg_get_expr</c>, which opens (and
/// so locks) the table. The grammar is PostgreSQL's own (<c>read.c</c>): tokens split at whitespace and at the
/// brackets <c>( ) { }</c>; a backslash escapes the next character; <c>&lt;&gt;</c> is the empty token. The tree is
/// the text and one array of its items (nodes, lists, fields, tokens) in the order they are written, each a range of
/// the text: one allocation for the whole tree, none when a reader's tree is read into again.
/// </summary>
internal sealed class NodeTree
{
    private string _text;
    private Item[] _items;
    private int _count;

    /// <summary>A tree to read text after text into (<see cref="Read"/>), reusing its array.</summary>
    public NodeTree()
        : this(string.Empty, [], 0)
    {
    }

    private NodeTree(string text, Item[] items, int count)
    {
        _text = text;
        _items = items;
        _count = count;
    }

    internal enum ItemKind : byte
    {
        Node,
        List,
        Field,
        Token,
    }

    private enum Lexeme
    {
        End,
        OpenNode,
        CloseNode,
        OpenList,
        CloseList,
        Word,
        FieldName,
    }

    internal ReadOnlySpan<Item> Items => _items.AsSpan(0, _count);

    /// <summary>The expression, or null when the text is not a well-formed node tree.</summary>
    public static Node? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Every item takes at least one character of the text.
        var items = ArrayPool<Item>.Shared.Rent(text.Length);
        try
        {
            var count = ReadItems(text, items);
            return count < 0 ? null : new Node(new NodeTree(text, items.AsSpan(0, count).ToArray(), count), 0);
        }
        finally
        {
            ArrayPool<Item>.Shared.Return(items);
        }
    }

    /// <summary>
    /// Reads the text into this tree, as <see cref="Parse"/> does, in place of what it held: the nodes of the
    /// last text read must no longer be used. For judging thousands of defaults one after another.
    /// </summary>
    public Node? Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_items.Length < text.Length)
        {
            _items = new Item[Math.Max(text.Length, _items.Length * 2)];
        }

        _text = text;
        _count = Math.Max(ReadItems(text, _items), 0);
        return _count == 0 ? null : new Node(this, 0);
    }

    /// <summary>A token's text, a node's type or a field's name (without its colon), escapes removed.</summary>
    internal ReadOnlySpan<char> TextOf(int item)
    {
        var raw = _text.AsSpan(_items[item].Start, _items[item].Length);
        return _items[item].Escaped ? Unescape(raw) : raw;
    }

    /// <summary>The items of the tree; their count, or -1 when the text is not one well-formed node.</summary>
    private static int ReadItems(string text, Item[] items)
    {
        var count = 0;
        var open = -1; // the innermost open item: a node before its first field, a field, or a list
        var position = 0;
        while (true)
        {
            var lexeme = Next(text, ref position, out var start, out var length, out var escaped);
            if (lexeme == Lexeme.End || (open < 0 && count > 0))
            {
                return lexeme == Lexeme.End && open < 0 && count > 0 ? count : -1;
            }

            ItemKind? context = open < 0 ? null : items[open].Kind;
            switch (lexeme)
            {
                case Lexeme.OpenNode when context is not ItemKind.Node:
                    if (Next(text, ref position, out start, out length, out escaped) is not (Lexeme.Word or Lexeme.FieldName))
                    {
                        return -1; // a node has no type
                    }

                    items[count] = new Item(ItemKind.Node, escaped, start, length, open);
                    open = count++;
                    break;
                case Lexeme.OpenList when context is ItemKind.Field or ItemKind.List:
                    items[count] = new Item(ItemKind.List, false, start, 1, open);
                    open = count++;
                    break;
                case Lexeme.CloseNode when context is ItemKind.Node or ItemKind.Field:
                    open = Close(items, context is ItemKind.Field ? Close(items, open, count) : open, count);
                    break;
                case Lexeme.CloseList when context is ItemKind.List:
                    open = Close(items, open, count);
                    break;
                case Lexeme.FieldName when context is ItemKind.Node or ItemKind.Field:
                    var node = context is ItemKind.Field ? Close(items, open, count) : open;
                    items[count] = new Item(ItemKind.Field, escaped, start + 1, length - 1, node);
                    open = count++;
                    break;
                case Lexeme.Word or Lexeme.FieldName when context is ItemKind.Field or ItemKind.List:
                    items[count] = new Item(ItemKind.Token, escaped, start, length, count + 1);
                    count++;
                    break;
                default:
                    return -1; // unexpected bracket, a value before the first field, or anything after the tree
            }
        }
    }

    /// <summary>Ends the open item at <paramref name="count"/>; returns the item it was in.</summary>
    private static int Close(Item[] items, int open, int count)
    {
        var parent = items[open].End;
        items[open] = items[open] with { End = count };
        return parent;
    }

    private static Lexeme Next(string text, ref int position, out int start, out int length, out bool escaped)
    {
        while (position < text.Length && text[position] is ' ' or '\n' or '\t' or '\r')
        {
            position++;
        }

        start = position;
        length = 0;
        escaped = false;
        if (position >= text.Length)
        {
            return Lexeme.End;
        }

        switch (text[position])
        {
            case '{':
                position++;
                return Lexeme.OpenNode;
            case '}':
                position++;
                return Lexeme.CloseNode;
            case '(':
                position++;
                return Lexeme.OpenList;
            case ')':
                position++;
                return Lexeme.CloseList;
        }

        while (position < text.Length && text[position] is not (' ' or '\n' or '\t' or '\r' or '(' or ')' or '{' or '}'))
        {
            if (text[position] == '\\' && position + 1 < text.Length)
            {
                escaped = true;
                position++;
            }

            position++;
        }

        length = position - start;
        if (text.AsSpan(start, length) is "<>")
        {
            length = 0; // the empty token
        }

        return text[start] == ':' ? Lexeme.FieldName : Lexeme.Word;
    }

    private static string Unescape(ReadOnlySpan<char> raw)
    {
        var sb = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 1 < raw.Length)
            {
                i++;
            }

            sb.Append(raw[i]);
        }

        return sb.ToString();
    }

    /// <summary>
    /// One item: a node (the range is its type), a list, a field (its name, without the colon) or a token (as
    /// written, escapes and all). <see cref="End"/>: the item after it and all within it; while it is being read,
    /// the item it is in.
    /// </summary>
    internal readonly record struct Item(ItemKind Kind, bool Escaped, int Start, int Length, int End);
}
