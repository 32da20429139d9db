namespace SequenceOperator.Postgres;

/// <summary>
/// The arithmetic of drift, kept apart from I/O so each rule is pinned by tests. All in <see cref="decimal"/> so
/// bigint bounds never overflow.
/// <list type="bullet">
/// <item>Next value N: <c>last_value + increment</c> when <c>is_called</c>, else <c>last_value</c>; a CYCLE sequence past its limit wraps
/// to its other bound.</item>
/// <item>Ascending: H = MAX; behindBy = max(0, H − N + 1). Descending: H = MIN; behindBy = max(0, N − H + 1). No data: 0.</item>
/// <item>Limit: the sequence's MAXVALUE (MINVALUE when descending), tightened by the smallest column type it feeds.</item>
/// </list>
/// </summary>
internal static class SequenceMath
{
    public static decimal NextValue(decimal lastValue, bool isCalled, long increment) =>
        isCalled ? lastValue + increment : lastValue;

    /// <summary>
    /// The next value, for a CYCLE sequence too: past its MAXVALUE a cycling sequence starts again at its MINVALUE
    /// (a descending one, past its MINVALUE, at its MAXVALUE).
    /// </summary>
    public static decimal NextValue(decimal lastValue, bool isCalled, long increment, long sequenceMin, long sequenceMax, bool cycle)
    {
        var next = NextValue(lastValue, isCalled, increment);
        if (!cycle || !isCalled)
        {
            return next;
        }

        return increment > 0 ? (next > sequenceMax ? sequenceMin : next) : (next < sequenceMin ? sequenceMax : next);
    }

    public static decimal BehindBy(decimal? extreme, decimal next, long increment)
    {
        if (extreme is not { } h)
        {
            return 0;
        }

        return Math.Max(0, increment > 0 ? h - next + 1 : next - h + 1);
    }

    /// <summary>The value the sequence may not pass: sequence bound tightened by every fed column's type.</summary>
    public static decimal Limit(long increment, long sequenceMin, long sequenceMax, IEnumerable<long> columnTypeOids)
    {
        decimal limit = increment > 0 ? sequenceMax : sequenceMin;
        foreach (var typeOid in columnTypeOids)
        {
            if (TypeRange(typeOid) is { } range)
            {
                limit = increment > 0 ? Math.Min(limit, range.Max) : Math.Max(limit, range.Min);
            }
        }

        return limit;
    }

    /// <summary>The range of a column type that bounds a sequence (int2, int4, int8); null for others (numeric).</summary>
    public static (decimal Min, decimal Max)? TypeRange(long typeOid) => typeOid switch
    {
        21 => (short.MinValue, short.MaxValue),
        23 => (int.MinValue, int.MaxValue),
        20 => (long.MinValue, long.MaxValue),
        _ => null,
    };

    /// <summary>PostgreSQL's short name of an integer type (<c>int2</c>, <c>int4</c>, <c>int8</c>); empty for any other type.</summary>
    public static string IntegerTypeName(long typeOid) => typeOid switch
    {
        21 => "int2",
        23 => "int4",
        20 => "int8",
        _ => string.Empty,
    };

    /// <summary>A name for the bound, for messages.</summary>
    public static string LimitSource(
        long increment,
        long sequenceMin,
        long sequenceMax,
        decimal limit,
        IEnumerable<(long TypeOid, string TypeName)> types)
    {
        if (limit == (increment > 0 ? sequenceMax : sequenceMin))
        {
            return increment > 0 ? "the sequence's MAXVALUE" : "the sequence's MINVALUE";
        }

        var type = types.FirstOrDefault(t => TypeRange(t.TypeOid) is { } r && (increment > 0 ? r.Max : r.Min) == limit);
        return $"the {type.TypeName ?? "column"} column type's {(increment > 0 ? "maximum" : "minimum")}";
    }

    /// <summary>
    /// The share of the usable range already handed out (0..1): from the sequence's start bound to <paramref name="limit"/>,
    /// counting both what the sequence handed out and what the data already holds.
    /// </summary>
    public static double CapacityUsed(
        decimal? lastValue,
        bool isCalled,
        decimal? extreme,
        long increment,
        long sequenceMin,
        long sequenceMax,
        decimal limit)
    {
        var ascending = increment > 0;
        decimal start = ascending ? sequenceMin : sequenceMax;
        var total = ascending ? limit - start + 1 : start - limit + 1;
        if (total <= 0)
        {
            return 1;
        }

        decimal? used = isCalled ? lastValue : null;
        if (extreme is { } h)
        {
            used = used is null ? h : ascending ? Math.Max(used.Value, h) : Math.Min(used.Value, h);
        }

        if (used is null)
        {
            return 0;
        }

        var handedOut = ascending ? used.Value - start + 1 : start - used.Value + 1;
        return (double)Math.Clamp(handedOut / total, 0m, 1m);
    }

    /// <summary>True when <paramref name="value"/> is past the limit in the sequence's direction.</summary>
    public static bool Beyond(decimal value, decimal limit, long increment) => increment > 0 ? value > limit : value < limit;

    /// <summary>A decimal as a long when it fits, else null.</summary>
    public static long? ToInt64(decimal? value) =>
        value is { } v && v >= long.MinValue && v <= long.MaxValue ? (long)v : null;

    /// <summary>A decimal as a long, saturating at the bounds (behindBy of an absurd gap still reads as huge).</summary>
    public static long Saturate(decimal value) =>
        value >= long.MaxValue ? long.MaxValue : value <= long.MinValue ? long.MinValue : (long)value;
}
