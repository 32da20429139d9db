using System.Globalization;

namespace SequenceOperator.Postgres;

/// <summary>One sequence under inspection: every column it feeds, its state, and what a repair did to it.</summary>
internal sealed class SequenceInspection
{
    public SequenceInspection(SequenceRow sequence, IReadOnlyList<Feed> feeds, IReadOnlyList<Feed> targets)
    {
        Row = sequence;
        Feeds = feeds;
        Targets = targets;
        var types = feeds.Concat(targets.Where(t => t.Judged)).Select(f => (f.LimitTypeOid, f.LimitTypeName)).Distinct().ToList();
        Limit = SequenceMath.Limit(Increment, Min, Max, types.Select(t => t.LimitTypeOid));
        LimitSource = SequenceMath.LimitSource(Increment, Min, Max, Limit, types);
        LockTables = feeds.DistinctBy(f => f.RelationOid).OrderBy(f => f.RelationOid).ToList();
        LockWeight = 1 + feeds.DistinctBy(f => f.RelationOid).Sum(f => f.Row.LockWeight);
    }

    public SequenceRow Row { get; }

    /// <summary>
    /// Every judged column that judges this sequence (partitions covered by their parent excluded); empty when none is
    /// judged.
    /// </summary>
    public IReadOnlyList<Feed> Feeds { get; }

    /// <summary>The reported columns this sequence feeds, judged or not.</summary>
    public IReadOnlyList<Feed> Targets { get; }

    /// <summary>One feed per table to lock during a repair, in OID order so concurrent repairers lock alike.</summary>
    public IReadOnlyList<Feed> LockTables { get; }

    /// <summary>How many relations reading this sequence and every MAX it is judged on locks.</summary>
    public int LockWeight { get; }

    /// <summary>False when no column the sequence feeds holds its values: nothing to measure or repair.</summary>
    public bool Judged => Feeds.Count > 0;

    public long Oid => Row.Oid;

    public string Schema => Row.Schema;

    public string Name => Row.Name;

    public long Increment => Row.Increment;

    public long Min => Row.Min;

    public long Max => Row.Max;

    public bool CanUpdate => Row.CanUpdate;

    public bool Ascending => Increment > 0;

    public decimal Limit { get; }

    public string LimitSource { get; }

    public string Display => Row.Display;

    public string QuotedName => Identifiers.Quote(Schema, Name);

    /// <summary>What failed for this sequence (the first failure wins); null while nothing has.</summary>
    public SequenceFailure? Failure { get; private set; }

    /// <summary>Why it failed (<see cref="Failure"/>'s message); null while nothing has.</summary>
    public string? Error => Failure?.Message;

    /// <summary>True once the sequence was read (or failed): what a partial report may show.</summary>
    public bool Settled => NextValue is not null || Failure is not null;

    /// <summary>H: MAX over every fed column (MIN when descending); null when they are all empty.</summary>
    public decimal? Extreme { get; private set; }

    /// <summary>The column <see cref="Extreme"/> comes from.</summary>
    public Feed? ExtremeSource { get; private set; }

    public decimal? NextValue { get; private set; }

    /// <summary>
    /// The check read <c>is_called</c> true: <c>pg_sequence_last_value</c> reads the state. When false, a repair
    /// reads the sequence's relation as well.
    /// </summary>
    public bool Called { get; private set; }

    /// <summary>True when the next value wrapped around: a CYCLE sequence past its limit starts again at its other bound.</summary>
    public bool Cycled { get; private set; }

    public decimal BehindBy { get; private set; }

    public double CapacityUsed { get; private set; }

    /// <summary>The next value a repair sets (MAX + headroom + increment), once planned.</summary>
    public long? PlannedNextValue { get; set; }

    public long? RepairedNextValue { get; private set; }

    /// <summary>Set when a repair found, under lock, that the sequence was no longer behind.</summary>
    public string? RecheckNote { get; private set; }

    /// <summary>The check failed for this sequence (unreadable, locked, no privilege): it is not measured or repaired.</summary>
    public void Fail(string message) => Failure ??= new SequenceFailure(EntryFailure.Check, message);

    /// <summary>Its repair failed (after it was measured): it stays as it was.</summary>
    public void FailRepair(string message) => Failure ??= new SequenceFailure(EntryFailure.Repair, message);

    public void Measured(long lastValue, bool isCalled, IEnumerable<(Feed Feed, decimal? Extreme)> extremes)
    {
        ExtremeSource = null;
        Extreme = null;
        foreach (var (feed, value) in extremes)
        {
            if (value is not { } v)
            {
                continue;
            }

            var rounded = Ascending ? Math.Ceiling(v) : Math.Floor(v);
            if (Extreme is null || (Ascending ? rounded > Extreme : rounded < Extreme))
            {
                (Extreme, ExtremeSource) = (rounded, feed);
            }
        }

        Called = isCalled;
        NextValue = SequenceMath.NextValue(lastValue, isCalled, Increment, Min, Max, Row.Cycle);
        Cycled = NextValue != SequenceMath.NextValue(lastValue, isCalled, Increment);
        BehindBy = SequenceMath.BehindBy(Extreme, NextValue.Value, Increment);
        CapacityUsed = SequenceMath.CapacityUsed(lastValue, isCalled, Extreme, Increment, Min, Max, Limit);
    }

    /// <summary>Records the outcome of the locked re-read and conditional setval, once its transaction committed.</summary>
    public void Repaired(decimal? extreme, long lastValue, bool isCalled, long? setTo)
    {
        if (setTo is { } value)
        {
            RepairedNextValue = value + Increment;
            CapacityUsed = SequenceMath.CapacityUsed(value, true, extreme, Increment, Min, Max, Limit);
            return;
        }

        var next = SequenceMath.NextValue(lastValue, isCalled, Increment, Min, Max, Row.Cycle);
        var behind = SequenceMath.BehindBy(extreme, next, Increment);
        if (behind <= 0)
        {
            RecheckNote = string.Create(CultureInfo.InvariantCulture,
                $"was behind by {BehindBy}, but no longer when re-read under lock (next value {next}): left as it is");
            BehindBy = 0;
            return;
        }

        FailRepair(string.Create(CultureInfo.InvariantCulture,
            $"sequence {Display} is exhausted: passing {extreme} would take its next value beyond {LimitSource} ({Limit})"));
    }
}

/// <summary>What failed for a sequence, as a value: the step, and why.</summary>
internal readonly record struct SequenceFailure(EntryFailure Step, string Message);
