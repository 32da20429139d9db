using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace SequenceOperator.Postgres;

/// <summary>One <c>nextval(...)</c> call in a default, and the sequence it names.</summary>
/// <param name="Oids">For <c>nextval('s'::regclass)</c>: the constant's OID, read both as a little- and a big-endian word (the server's
/// byte order is not known here).</param>
/// <param name="Name">For the legacy <c>nextval('s'::text)</c>: the name, resolved at run time as the search_path finds it.</param>
internal sealed record NextvalCall(IReadOnlyList<long> Oids, string? Name);

/// <summary>
/// Judges a column default from its catalog node tree (<see cref="NodeTree"/>): is it <c>nextval(seq)</c> itself,
/// optionally wrapped in casts between integer types (then the column holds the sequence's values), or something
/// else that merely calls it (<c>'INV-' || nextval(...)</c>, <c>nextval(...) * 10</c>, <c>nextval(...)::text</c>)?
/// Also renders such a default for messages, as <c>pg_get_expr</c> would have, without opening the table.
/// </summary>
internal static class DefaultExpression
{
    public const long NextvalFunction = 1574;
    private const long TextToRegclassFunction = 1079;
    private const long RegclassType = 2205;

    /// <summary>The built-in casts between int2, int4 and int8 (<c>pg_cast</c>): function OID to result type.</summary>
    private static readonly Dictionary<long, long> IntegerCasts = new()
    {
        [480] = 23, [481] = 20, [714] = 21, [754] = 20, [313] = 23, [314] = 21,
    };

    /// <summary>Names of the built-in types the engine names without asking the catalog.</summary>
    public static string? BuiltinTypeName(long typeOid) => typeOid switch
    {
        21 => "smallint",
        23 => "integer",
        20 => "bigint",
        25 => "text",
        1043 => "character varying",
        1700 => "numeric",
        _ => null,
    };

    public static bool IsIntegerType(long typeOid) => typeOid is 20 or 21 or 23;

    /// <summary>Every <c>nextval(...)</c> call in the expression, outermost first.</summary>
    public static IReadOnlyList<NextvalCall> NextvalCalls(Node tree)
    {
        var calls = new List<NextvalCall>();
        foreach (var node in tree.SelfAndDescendants())
        {
            if (node.Type is "FUNCEXPR" && node.Number("funcid") == NextvalFunction)
            {
                calls.Add(Call(node));
            }
        }

        return calls;
    }

    /// <summary>
    /// When the expression is <c>nextval(...)</c> itself, under nothing but casts between integer types (and a
    /// domain coercion): that call, and the narrowest integer type a cast on the way passes through (its range bounds
    /// the values); else null.
    /// </summary>
    public static (NextvalCall Call, long? NarrowestType)? PlainNextval(Node tree)
    {
        long? narrowest = null;
        var node = tree;
        while (true)
        {
            switch (node.Type)
            {
                case "FUNCEXPR" when node.Number("funcid") == NextvalFunction:
                    return (Call(node), narrowest);
                case "FUNCEXPR" when node.Number("funcid") is { } f && IntegerCasts.TryGetValue(
                    f,
                    out var type) && node.Children("args") is [var inner]:
                    narrowest = Narrower(narrowest, type);
                    node = inner;
                    break;
                case "RELABELTYPE" when node.Number("resulttype") is { } t && IsIntegerType(t) && node.Child("arg") is { } inner:
                    node = inner;
                    break;
                case "COERCETODOMAIN" when node.Child("arg") is { } inner:
                    node = inner;
                    break;
                default:
                    return null;
            }
        }
    }

    /// <summary>
    /// The <c>nextval(...)</c> call when the expression is that call under nothing but casts, to any type
    /// (<c>nextval(...)::text</c>, the implicit cast to a numeric column); else null.
    /// </summary>
    public static NextvalCall? CastNextval(Node tree)
    {
        var node = tree;
        while (true)
        {
            switch (node.Type)
            {
                case "FUNCEXPR" when node.Number("funcid") == NextvalFunction:
                    return Call(node);
                case "FUNCEXPR" when node.Number("funcformat") is 1 or 2 && node.Children("args") is [var inner]:
                    node = inner;
                    break;
                case "COERCEVIAIO" or "RELABELTYPE" or "COERCETODOMAIN" when node.Child("arg") is { } inner:
                    node = inner;
                    break;
                default:
                    return null;
            }
        }
    }

    /// <summary>The operators, functions and types <see cref="Render"/> would name.</summary>
    public static void CollectNames(Node tree, ISet<long> operators, ISet<long> functions, ISet<long> types)
    {
        foreach (var node in tree.SelfAndDescendants())
        {
            switch (node.Type)
            {
                case "OPEXPR" when node.Number("opno") is { } op:
                    operators.Add(op);
                    break;
                case "FUNCEXPR" when node.Number("funcid") is { } f && f != NextvalFunction:
                    if (node.Number("funcformat") == 1 && node.Number("funcresulttype") is { } result)
                    {
                        types.Add(result);
                    }
                    else
                    {
                        functions.Add(f);
                    }

                    break;
                case "COERCEVIAIO" or "RELABELTYPE" or "COERCETODOMAIN" when node.Number("resulttype") is { } t:
                    types.Add(t);
                    break;
            }
        }
    }

    /// <summary>
    /// The expression as a person would write it, close to <c>pg_get_expr</c>: <c>'INV-' || nextval(...)</c>,
    /// <c>nextval(...) * 10</c>, <c>nextval(...)::text</c>. Parts it cannot render read <c>...</c>.
    /// </summary>
    public static string Render(Node node, IReadOnlyDictionary<(char Kind, long Oid), string> names) => Render(node, names, false);

    private static string Render(Node node, IReadOnlyDictionary<(char Kind, long Oid), string> names, bool nested)
    {
        string Name(char kind, long? oid, string fallback) =>
            oid is { } o && names.TryGetValue(
                (kind, o),
                out var n) ? n : kind == 't' && oid is { } t && BuiltinTypeName(t) is { } b ? b : fallback;

        string Cast(Node? arg, string formatField, long? type) =>
            arg is not { } a ? "..."
            : node.Number(formatField) == 1 ? $"{Render(a, names, true)}::{Name('t', type, "?")}"
            : Render(a, names, nested);

        switch (node.Type)
        {
            case "FUNCEXPR" when node.Number("funcid") == NextvalFunction:
                return "nextval(...)";
            case "FUNCEXPR" when node.Number("funcformat") is 1 or 2 && node.Children("args") is [var arg, ..]:
                return node.Number("funcformat") == 1
                    ? $"{Render(arg, names, true)}::{Name('t', node.Number("funcresulttype"), "?")}"
                    : Render(arg, names, nested);
            case "FUNCEXPR":
                var function = Name('p', node.Number("funcid"), "a function");
                return $"{function}({RenderList(node.Children("args"), names)})";
            case "OPEXPR":
                var args = node.Children("args");
                var op = Name('o', node.Number("opno"), "?");
                var text = args switch
                {
                    [var left, var right] => $"{Render(left, names, true)} {op} {Render(right, names, true)}",
                    [var operand] => $"{op} {Render(operand, names, true)}",
                    _ => "...",
                };
                return nested ? $"({text})" : text;
            case "COERCEVIAIO":
                return Cast(node.Child("arg"), "coerceformat", node.Number("resulttype"));
            case "RELABELTYPE":
                return Cast(node.Child("arg"), "relabelformat", node.Number("resulttype"));
            case "COERCETODOMAIN":
                return Cast(node.Child("arg"), "coercionformat", node.Number("resulttype"));
            case "COALESCEEXPR":
                return $"COALESCE({RenderList(node.Children("args"), names)})";
            case "CONST":
                return RenderConst(node);
            default:
                return "...";
        }
    }

    private static string RenderList(Nodes items, IReadOnlyDictionary<(char Kind, long Oid), string> names)
    {
        var rendered = new List<string>();
        foreach (var item in items)
        {
            rendered.Add(Render(item, names, false));
        }

        return string.Join(", ", rendered);
    }

    private static string RenderConst(Node node)
    {
        if (node.Flag("constisnull"))
        {
            return "NULL";
        }

        if (Text(node) is { } text)
        {
            return "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
        }

        return node.Number("consttype") is 20 or 21 or 23 && node.Datum("constvalue") is { Bytes.Length: 8 } d
            ? BinaryPrimitives.ReadInt64LittleEndian(d.Bytes).ToString(CultureInfo.InvariantCulture)
            : "...";
    }

    /// <summary>
    /// The value of a text-like constant (text, varchar, char, name's text form): its bytes after the varlena header, as UTF-8.
    /// </summary>
    public static string? Text(Node node)
    {
        if (node.Type is not "CONST" || node.Flag("constisnull") || node.Number("consttype") is not (25 or 1043 or 1042)
            || node.Datum("constvalue") is not { } datum || datum.Length > datum.Bytes.Length || datum.Length < 1)
        {
            return null;
        }

        var b0 = datum.Bytes[0];
        // A 1-byte varlena header holds the total length (little-endian: in the high 7 bits, big-endian: the low 7); else the header is 4
        // bytes.
        var header = ((b0 & 1) == 1 && b0 >> 1 == datum.Length) || ((b0 & 0x80) != 0 && (b0 & 0x7F) == datum.Length) ? 1 : 4;
        return datum.Length < header ? null : Encoding.UTF8.GetString(datum.Bytes, header, datum.Length - header);
    }

    private static NextvalCall Call(Node nextval)
    {
        Node? arg = nextval.Children("args") is [var a] ? a : null;
        if (arg is { Type: "CONST" } c && c.Number("consttype") == RegclassType && c.Datum("constvalue") is { Bytes.Length: 8 } d)
        {
            var little = BinaryPrimitives.ReadUInt32LittleEndian(d.Bytes);
            var big = BinaryPrimitives.ReadUInt32BigEndian(d.Bytes.AsSpan(4));
            return new NextvalCall(little == big ? [little] : [little, big], null);
        }

        // nextval('s'::text): a text constant turned into a regclass at run time (regclass(text), or a relabel).
        Node? inner = arg switch
        {
            { Type: "FUNCEXPR" } f when f.Number("funcid") == TextToRegclassFunction && f.Children("args") is [var t] => t,
            { Type: "RELABELTYPE" } r => r.Child("arg"),
            _ => null,
        };
        return new NextvalCall([], inner is { } i ? Text(i) : null);
    }

    private static long Narrower(long? current, long type)
    {
        static int Rank(long t) => t switch { 21 => 0, 23 => 1, _ => 2 };
        return current is { } c && Rank(c) <= Rank(type) ? c : type;
    }
}
