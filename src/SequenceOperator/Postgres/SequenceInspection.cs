using System.Globalization;

namespace SequenceOperator.Postgres;

/// <summary>One sequence under inspection: every column it feeds, its state, and what a repair did to it.</summary>
internal sealed class SequenceInspection
{
    public SequenceInspection(IReadOnlyList<Feed> feeds, IReadOnlyList<Feed> targets)
    {
        Feeds = feeds;
        Targets = targets;
        var first = feeds[0];
        Oid = first.SequenceOid;
        Schema = first.SequenceSchema;
        Name = first.SequenceName;
        Increment = first.Increment;
        Min = first.SequenceMin;
        Max = first.SequenceMax;
        CanUpdate = first.CanUpdateSequence;
        var types = feeds.Concat(targets).Select(f => (f.TypeOid, f.TypeName)).Distinct().ToList();
        Limit = SequenceMath.Limit(Increment, Min, Max, types.Select(t => t.TypeOid));
        LimitSource = SequenceMath.LimitSource(Increment, Min, Max, Limit, types);
        LockTables = feeds.DistinctBy(f => f.RelationOid).OrderBy(f => f.RelationOid).ToList();
    }

    /// <summary>Every column that judges this sequence (partitions covered by their parent excluded).</summary>
    public IReadOnlyList<Feed> Feeds { get; }

    /// <summary>The reported columns this sequence feeds.</summary>
    public IReadOnlyList<Feed> Targets { get; }

    /// <summary>One feed per table to lock during a repair, in OID order so concurrent repairers lock alike.</summary>
    public IReadOnlyList<Feed> LockTables { get; }

    public long Oid { get; }

    public string Schema { get; }

    public string Name { get; }

    public long Increment { get; }

    public long Min { get; }

    public long Max { get; }

    public bool CanUpdate { get; }

    public bool Ascending => Increment > 0;

    public decimal Limit { get; }

    public string LimitSource { get; }

    public string Display => Identifiers.Display(Schema, Name);

    public string QuotedName => Identifiers.Quote(Schema, Name);

    public string? Error { get; private set; }

    /// <summary>H: MAX over every fed column (MIN when descending); null when they are all empty.</summary>
    public decimal? Extreme { get; private set; }

    public decimal? NextValue { get; private set; }

    public decimal BehindBy { get; private set; }

    public double CapacityUsed { get; private set; }

    public long? RepairedNextValue { get; private set; }

    /// <summary>Set when a repair found, under lock, that the sequence was no longer behind.</summary>
    public string? RecheckNote { get; private set; }

    public void Fail(string message) => Error ??= message;

    public void Measured(long lastValue, bool isCalled, IEnumerable<decimal?> extremes)
    {
        var values = extremes.Where(v => v is not null).Select(v => Ascending ? Math.Ceiling(v!.Value) : Math.Floor(v!.Value)).ToList();
        Extreme = values.Count == 0 ? null : Ascending ? values.Max() : values.Min();
        NextValue = SequenceMath.NextValue(lastValue, isCalled, Increment);
        BehindBy = SequenceMath.BehindBy(Extreme, NextValue.Value, Increment);
        CapacityUsed = SequenceMath.CapacityUsed(lastValue, isCalled, Extreme, Increment, Min, Max, Limit);
    }

    /// <summary>Records the outcome of the locked re-read and conditional setval.</summary>
    public void Repaired(decimal? extreme, long lastValue, bool isCalled, long? setTo)
    {
        if (setTo is { } value)
        {
            RepairedNextValue = value + Increment;
            CapacityUsed = SequenceMath.CapacityUsed(value, true, extreme, Increment, Min, Max, Limit);
            return;
        }

        var next = SequenceMath.NextValue(lastValue, isCalled, Increment);
        var behind = SequenceMath.BehindBy(extreme, next, Increment);
        if (behind <= 0)
        {
            RecheckNote = string.Create(CultureInfo.InvariantCulture,
                $"was behind by {BehindBy}, but no longer when re-read under lock (next value {next}): left as it is");
            BehindBy = 0;
            return;
        }

        Fail(string.Create(CultureInfo.InvariantCulture,
            $"sequence {Display} is exhausted: passing {extreme} would take its next value beyond {LimitSource} ({Limit})"));
    }
}
