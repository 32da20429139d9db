namespace SequenceOperator.Postgres;

/// <summary>
/// Matches table entries against catalog rows. An unquoted part matches a name written exactly so, or else as
/// PostgreSQL folds it (lower case); a quoted part matches exactly. Either is first cut to the 63 bytes PostgreSQL
/// keeps of a name. An unqualified table is looked up as the search_path would find it.
/// </summary>
internal static class TableResolver
{
    /// <summary>The names to look up in the catalog for these entries (as typed, and folded).</summary>
    public static string[] CandidateNames(IEnumerable<TableSelector> selectors) =>
        selectors.SelectMany(s => Spellings(s.Table)).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>The names a part can match in the catalog: as written and, unquoted, folded; both cut as PostgreSQL cuts them.</summary>
    private static string[] Spellings(NamePart part) => part.Quoted
        ? [Identifiers.Truncate(part.Value)]
        : [Identifiers.Truncate(part.Value), Identifiers.Truncate(Identifiers.FoldUnquoted(part.Value))];

    /// <summary>Resolves one entry to its feeds, or explains why it cannot be checked.</summary>
    public static (
        IReadOnlyList<Feed> Feeds,
        string? Error) Resolve(TableSelector selector, IReadOnlyList<RelationRow> relations, ILookup<long, Feed> feedsByRelation)
    {
        var named = relations.Where(r => Matches(selector.Table, r.Name) != Match.None).ToList();
        RelationRow? relation;
        if (selector.Schema is { } schema)
        {
            var inSchema = named.Where(r => Matches(schema, r.Schema) != Match.None).ToList();
            relation = Best(inSchema, r => Matches(schema, r.Schema), r => Matches(selector.Table, r.Name));
            if (relation is null)
            {
                return ([], $"table {selector.Display} does not exist{ElsewhereHint(named)}.");
            }
        }
        else
        {
            var visible = named.Where(r => r.Visible).ToList();
            relation = Best(visible, _ => Match.Exact, r => Matches(selector.Table, r.Name));
            if (relation is null)
            {
                return named.Count == 0
                    ? ([], $"table {selector.Display} does not exist.")
                    : ([], $"table {selector.Display} is not on the search_path{ElsewhereHint(named)}; write it as schema.table.");
            }
        }

        var display = Identifiers.Display(relation.Schema, relation.Name);
        if (relation.Kind is not ("r" or "p"))
        {
            return ([], $"{display} is {relation.KindName}, not a table.");
        }

        var feeds = feedsByRelation[relation.Oid].ToList();
        if (selector.Column is { } columnPart)
        {
            var column = relation.Columns.FirstOrDefault(c => Matches(columnPart, c) == Match.Exact)
                         ?? relation.Columns.FirstOrDefault(c => Matches(columnPart, c) == Match.Folded);
            if (column is null)
            {
                var columns = string.Join(", ", relation.Columns.Take(12).Select(Identifiers.Display));
                return ([], $"column {columnPart} does not exist in table {display} "
                    + $"(its columns: {columns}{(relation.Columns.Count > 12 ? ", ..." : string.Empty)}).");
            }

            feeds = feeds.Where(f => f.Column == column).ToList();
            if (feeds.Count == 0)
            {
                return (
                    [],
                    $"column {Identifiers.Display(column)} of table {display} is not fed by a sequence (no serial or identity column, no "
                        + "DEFAULT nextval(...)).");
            }
        }
        else if (feeds.Count == 0)
        {
            return ([], $"table {display} has no column fed by a sequence (no serial or identity column, no DEFAULT nextval(...)).");
        }

        return (feeds, null);
    }

    private enum Match
    {
        None,
        Folded,
        Exact,
    }

    private static Match Matches(NamePart part, string catalogName)
    {
        var spellings = Spellings(part);
        if (string.Equals(spellings[0], catalogName, StringComparison.Ordinal))
        {
            return Match.Exact;
        }

        return spellings.Length > 1 && string.Equals(spellings[1], catalogName, StringComparison.Ordinal)
            ? Match.Folded
            : Match.None;
    }

    private static RelationRow? Best(List<RelationRow> rows, Func<RelationRow, Match> schemaMatch, Func<RelationRow, Match> nameMatch) =>
        rows.Where(r => schemaMatch(r) != Match.None && nameMatch(r) != Match.None)
            .OrderByDescending(r => schemaMatch(r) == Match.Exact && nameMatch(r) == Match.Exact)
            .ThenByDescending(r => nameMatch(r) == Match.Exact)
            .FirstOrDefault();

    private static string ElsewhereHint(List<RelationRow> named)
    {
        var schemas = named.Select(
            r => Identifiers.Display(r.Schema)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return schemas.Count == 0
            ? string.Empty
            : $" (a table of that name exists in {(schemas.Count == 1 ? "schema" : "schemas")} {string.Join(", ", schemas)})";
    }
}
