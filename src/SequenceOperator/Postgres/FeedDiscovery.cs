using System.Text;

namespace SequenceOperator.Postgres;

/// <summary>
/// Works out, from catalog rows alone, which sequence feeds which column and whether the column can be judged: its
/// values are the sequence's when it is an identity column, a column owning the sequence with no default, or its
/// default is <c>nextval(seq)</c> itself (perhaps under casts between integer types); and its type is an integer
/// type or a domain over one. Every other column a sequence feeds is kept, with the reason it is not judged.
/// Pure: no I/O. Defaults that are not judged are rendered for messages once the names they use are known
/// (<see cref="NamesNeeded"/>, one catalog query).
/// </summary>
internal sealed class FeedDiscovery
{
    private readonly List<Pending> _pending;

    private FeedDiscovery(List<Pending> pending) => _pending = pending;

    private enum Verdict
    {
        Judged,
        NotAnInteger,
        OtherExpression,
        DoesNotCallIt,
        Unreadable,
    }

    private readonly record struct Pending(ColumnRow Row, SequenceRow Sequence, Verdict Verdict, Node? Tree, long LimitType);

    public static FeedDiscovery Plan(IReadOnlyList<ColumnRow> columns, IReadOnlyList<SequenceRow> sequences)
    {
        var byOid = sequences.ToDictionary(s => s.Oid);
        // Only a legacy nextval('name'::text) looks a sequence up by name.
        var byName = new Lazy<ILookup<string, SequenceRow>>(() => sequences.ToLookup(s => s.Name, StringComparer.Ordinal));
        var pending = new List<Pending>(columns.Count);
        // Kept from row to row: the default's tree, the sequences it calls, and every sequence feeding the row, each once.
        var reader = new NodeTree();
        var called = new List<long>();
        var fedBy = new List<long>();
        foreach (var row in columns)
        {
            var tree = row.DefaultTree is null ? null : reader.Read(row.DefaultTree);
            called.Clear();
            (NextvalCall Call, long? NarrowestType)? plain = null;
            long? plainOid = null;
            long? castOid = null;
            if (tree is { } expression)
            {
                foreach (var call in DefaultExpression.NextvalCalls(expression))
                {
                    AddOnce(called, Resolve(call, row, byOid, byName));
                }

                plain = DefaultExpression.PlainNextval(expression);
                plainOid = plain is { } p ? Resolve(p.Call, row, byOid, byName) : null;
                castOid = DefaultExpression.CastNextval(expression) is { } cast ? Resolve(cast, row, byOid, byName) : null;
            }

            fedBy.Clear();
            AddOnce(fedBy, row.OwnedBy);
            AddOnce(fedBy, called);
            if (tree is null && row.DefaultTree is not null)
            {
                AddOnce(fedBy, row.DefaultDependsOn);
            }

            foreach (var oid in fedBy)
            {
                if (!byOid.TryGetValue(oid, out var sequence))
                {
                    continue;
                }

                var integer = DefaultExpression.IsIntegerType(row.BaseTypeOid);
                var verdict =
                    // an identity column, or a column that owns the sequence and has no default
                    row.DefaultTree is null ? (integer ? Verdict.Judged : Verdict.NotAnInteger)
                    : tree is null ? Verdict.Unreadable
                    : plainOid == oid ? (integer ? Verdict.Judged : Verdict.NotAnInteger)
                    : castOid == oid && !integer ? Verdict.NotAnInteger // nextval(...)::text into a text column: the type is the reason
                    : called.Contains(oid) ? Verdict.OtherExpression
                    : Verdict.DoesNotCallIt;
                var limitType = verdict == Verdict.Judged && plainOid == oid
                    && plain!.Value.NarrowestType is { } narrow && Rank(narrow) < Rank(row.BaseTypeOid)
                    ? narrow
                    : row.BaseTypeOid;
                // Only a default the messages render is kept, in a tree of its own.
                var rendered = verdict is Verdict.OtherExpression or Verdict.DoesNotCallIt ? NodeTree.Parse(row.DefaultTree!) : null;
                pending.Add(new Pending(row, sequence, verdict, rendered, limitType));
            }
        }

        return new FeedDiscovery(pending);
    }

    /// <summary>
    /// The sequence a <c>nextval</c> call names: for a regclass constant's OID, read in both byte orders, the one
    /// pg_depend records, else the one that is a sequence; for a legacy text name, the one it finds.
    /// </summary>
    private static long? Resolve(NextvalCall call, ColumnRow row, Dictionary<long, SequenceRow> byOid,
        Lazy<ILookup<string, SequenceRow>> byName)
    {
        if (call.Name is { } name)
        {
            return ResolveName(name, byName.Value)?.Oid;
        }

        // Indexed, not enumerated: enumerating an IReadOnlyList allocates.
        for (var i = 0; i < call.Oids.Count; i++)
        {
            if (row.DefaultDependsOn.Contains(call.Oids[i]))
            {
                return call.Oids[i];
            }
        }

        for (var i = 0; i < call.Oids.Count; i++)
        {
            if (byOid.ContainsKey(call.Oids[i]))
            {
                return call.Oids[i];
            }
        }

        return null;
    }

    private static void AddOnce(List<long> oids, long? oid)
    {
        if (oid is { } o && !oids.Contains(o))
        {
            oids.Add(o);
        }
    }

    private static void AddOnce(List<long> oids, IReadOnlyList<long> more)
    {
        for (var i = 0; i < more.Count; i++)
        {
            AddOnce(oids, more[i]);
        }
    }

    /// <summary>The operators, functions and types whose names the messages need; all empty when none.</summary>
    public (long[] Operators, long[] Functions, long[] Types) NamesNeeded()
    {
        var operators = new HashSet<long>();
        var functions = new HashSet<long>();
        var types = new HashSet<long>();
        foreach (var p in _pending.Where(p => p.Verdict is Verdict.OtherExpression or Verdict.DoesNotCallIt))
        {
            DefaultExpression.CollectNames(p.Tree!.Value, operators, functions, types);
        }

        types.RemoveWhere(t => DefaultExpression.BuiltinTypeName(t) is not null);
        return ([.. operators], [.. functions], [.. types]);
    }

    /// <summary>The feeds, in catalog order, with the reason for each column that is not judged.</summary>
    public IReadOnlyList<Feed> Feeds(IReadOnlyDictionary<(char Kind, long Oid), string> names)
    {
        // Only partitions and inheritance children have ancestors; most databases have none.
        var fedRelations = new HashSet<(long Relation, long Sequence)>();
        if (_pending.Exists(p => p.Row.Ancestors.Count > 0))
        {
            foreach (var p in _pending)
            {
                fedRelations.Add((p.Row.RelationOid, p.Sequence.Oid));
            }
        }

        var feeds = new List<Feed>(_pending.Count);
        foreach (var p in _pending)
        {
            var covered = false;
            for (var i = 0; i < p.Row.Ancestors.Count; i++)
            {
                covered |= fedRelations.Contains((p.Row.Ancestors[i], p.Sequence.Oid));
            }

            feeds.Add(new Feed(p.Sequence, p.Row, SkipReason(p, names), p.LimitType, LimitTypeName(p), covered));
        }

        return feeds;
    }

    private static string? SkipReason(Pending p, IReadOnlyDictionary<(char Kind, long Oid), string> names) => p.Verdict switch
    {
        Verdict.Judged => null,
        Verdict.NotAnInteger => $"not checked: column {p.Row.Display} is {TypeDescription(p.Row)}, not an integer type, "
                                + "so its values are not the sequence's values"
                                + (p.Row.BaseTypeOid is 25 or 1043 or 1042 ? " (and as text '99' sorts after '100')" : string.Empty),
        Verdict.OtherExpression => $"not checked: the default is {DefaultExpression.Render(p.Tree!.Value, names)}, "
                                   + "so its values are not the sequence's values",
        Verdict.DoesNotCallIt => $"not checked: the column owns sequence {p.Sequence.Display}, "
                                 + $"but its default ({DefaultExpression.Render(p.Tree!.Value, names)}) does not take values from it",
        _ => "not checked: the column's default could not be read from the catalog",
    };

    private static string TypeDescription(ColumnRow row) =>
        row.TypeOid == row.BaseTypeOid ? row.TypeName : $"{row.TypeName} (a domain over {row.BaseTypeName})";

    private static string LimitTypeName(Pending p) =>
        p.LimitType == p.Row.BaseTypeOid ? TypeDescription(p.Row)
        : $"{DefaultExpression.BuiltinTypeName(p.LimitType)} (its default casts to it)";

    private static int Rank(long integerType) => integerType switch { 21 => 0, 23 => 1, 20 => 2, _ => 3 };

    /// <summary>
    /// The sequence a legacy <c>nextval('name'::text)</c> reaches: a qualified name as written (quoted parts exact,
    /// unquoted ones folded to lower case), a bare one as the search_path finds it.
    /// </summary>
    private static SequenceRow? ResolveName(string text, ILookup<string, SequenceRow> byName)
    {
        var parts = SplitQualifiedName(text);
        return parts switch
        {
            [var name] => byName[name].FirstOrDefault(s => s.Visible),
            [.., var schema, var name] when parts.Count <= 3 => byName[name].FirstOrDefault(s => s.Schema == schema),
            _ => null,
        };
    }

    /// <summary>Splits <c>a."B c".d</c> as PostgreSQL's regclass input does; empty when malformed.</summary>
    public static IReadOnlyList<string> SplitQualifiedName(string text)
    {
        var parts = new List<string>();
        var i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            var sb = new StringBuilder();
            if (i < text.Length && text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        return [];
                    }

                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            sb.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    sb.Append(text[i++]);
                }
            }
            else
            {
                while (i < text.Length && text[i] != '.' && !char.IsWhiteSpace(text[i]))
                {
                    sb.Append(text[i++]);
                }

                sb = new StringBuilder(Identifiers.FoldUnquoted(sb.ToString()));
            }

            if (sb.Length == 0)
            {
                return [];
            }

            parts.Add(Truncate(sb.ToString()));
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }

            if (i >= text.Length)
            {
                return parts;
            }

            if (text[i] != '.')
            {
                return [];
            }

            i++;
        }
    }

    /// <summary>PostgreSQL keeps the first 63 bytes of an identifier (NAMEDATALEN - 1), never splitting a character.</summary>
    private static string Truncate(string identifier)
    {
        if (Encoding.UTF8.GetByteCount(identifier) <= 63)
        {
            return identifier;
        }

        var bytes = 0;
        var end = 0;
        foreach (var rune in identifier.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > 63)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            end += rune.Utf16SequenceLength;
        }

        return identifier[..end];
    }
}
