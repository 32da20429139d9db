using SequenceOperator.Postgres;

namespace SequenceOperator.Tests.Postgres;

public sealed class SequenceMathTests
{
    [Theory]
    [InlineData(1, false, 1, 1)] // never used: next is last_value itself
    [InlineData(1, true, 1, 2)]
    [InlineData(10, true, 5, 15)] // stepped
    [InlineData(-1, true, -1, -2)] // descending
    [InlineData(-1, false, -1, -1)]
    public void NextValue_FollowsIsCalled(long last, bool called, long increment, long expected) =>
        Assert.Equal(expected, SequenceMath.NextValue(last, called, increment));

    [Theory]
    [InlineData(42, 2, 1, 41)] // cards in worcester: MAX 42, next 2
    [InlineData(7, 6, 1, 2)] // card_modifications: MAX 7, seq 5 called
    [InlineData(42, 43, 1, 0)] // in sync
    [InlineData(42, 100, 1, 0)] // ahead: never "negative behind"
    [InlineData(42, 42, 1, 1)] // next equals MAX: collides once
    public void BehindBy_Ascending(long max, long next, long increment, long expected) =>
        Assert.Equal(expected, SequenceMath.BehindBy(max, next, increment));

    [Theory]
    [InlineData(-42, -2, -1, 41)]
    [InlineData(-42, -43, -1, 0)]
    [InlineData(-42, -42, -1, 1)]
    public void BehindBy_Descending_UsesMin(long min, long next, long increment, long expected) =>
        Assert.Equal(expected, SequenceMath.BehindBy(min, next, increment));

    [Fact]
    public void BehindBy_EmptyTable_IsZero() => Assert.Equal(0, SequenceMath.BehindBy(null, 1, 1));

    [Fact]
    public void Limit_Int4ColumnFedByBigintSequence_EndsAtInt4Max() =>
        Assert.Equal(int.MaxValue, SequenceMath.Limit(1, 1, long.MaxValue, [23]));

    [Fact]
    public void Limit_SmallestColumnTypeWins() =>
        Assert.Equal(short.MaxValue, SequenceMath.Limit(1, 1, long.MaxValue, [20, 21, 23]));

    [Fact]
    public void Limit_Descending_UsesTypeMinimum() =>
        Assert.Equal(int.MinValue, SequenceMath.Limit(-1, long.MinValue, -1, [23]));

    [Fact]
    public void Limit_NumericColumn_LeavesSequenceBound() =>
        Assert.Equal(1000, SequenceMath.Limit(1, 1, 1000, [1700]));

    [Fact]
    public void CapacityUsed_CountsDataAndHandedOutValues()
    {
        Assert.Equal(0.5, SequenceMath.CapacityUsed(50, true, null, 1, 1, 100, 100), 6);
        Assert.Equal(0.8, SequenceMath.CapacityUsed(50, true, 80, 1, 1, 100, 100), 6); // data ahead of the sequence counts
        Assert.Equal(0.0, SequenceMath.CapacityUsed(1, false, null, 1, 1, 100, 100), 6); // never used, empty
        Assert.Equal(1.0, SequenceMath.CapacityUsed(100, true, null, 1, 1, 100, 100), 6);
    }

    [Fact]
    public void CapacityUsed_Descending()
    {
        Assert.Equal(0.5, SequenceMath.CapacityUsed(-50, true, null, -1, -100, -1, -100), 6);
        Assert.Equal(0.8, SequenceMath.CapacityUsed(-50, true, -80, -1, -100, -1, -100), 6);
    }

    [Fact]
    public void CapacityUsed_Int4NearItsLimit_IsAlmostFull()
    {
        var used = SequenceMath.CapacityUsed(2_100_000_000, true, null, 1, 1, long.MaxValue, int.MaxValue);
        Assert.InRange(used, 0.977, 0.979);
    }
}
