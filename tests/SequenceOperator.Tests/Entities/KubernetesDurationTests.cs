using System.Text.RegularExpressions;
using SequenceOperator.Entities;

namespace SequenceOperator.Tests.Entities;

public sealed class KubernetesDurationTests
{
    public static TheoryData<string, long> Valid => new()
    {
        { "10s", TimeSpan.FromSeconds(10).Ticks },
        { "5m", TimeSpan.FromMinutes(5).Ticks },
        { "1h30m", TimeSpan.FromMinutes(90).Ticks },
        { "2s", TimeSpan.FromSeconds(2).Ticks },
        { "500ms", TimeSpan.FromMilliseconds(500).Ticks },
        { "1.5s", TimeSpan.FromMilliseconds(1500).Ticks },
        { "1h0m0s", TimeSpan.FromHours(1).Ticks },
        { "250us", TimeSpan.FromMicroseconds(250).Ticks },
        { "300ns", 3 },
        { "1m30s500ms", TimeSpan.FromMilliseconds(90_500).Ticks },
        { "0s", 0 },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Parse_GoStyleDuration(string text, long ticks)
    {
        Assert.Equal(TimeSpan.FromTicks(ticks), KubernetesDuration.Parse(text));
        Assert.Matches(new Regex(KubernetesDuration.Pattern), text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("0")]
    [InlineData("-5s")]
    [InlineData("5 m")]
    [InlineData("5d")]
    [InlineData("1.s")]
    [InlineData(".5s")]
    [InlineData("s")]
    [InlineData("5M")]
    [InlineData("5m ")]
    [InlineData("99999999999999999999h")]
    public void Parse_RejectsWhatThePatternRejects(string text)
    {
        Assert.False(KubernetesDuration.TryParse(text, out _));
        Assert.Throws<FormatException>(() => KubernetesDuration.Parse(text));
        if (text != "99999999999999999999h")
        {
            Assert.DoesNotMatch(new Regex(KubernetesDuration.Pattern), text);
        }
    }

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(20_000_000L, "2s")]
    [InlineData(5_000_000L, "500ms")]
    [InlineData(15_000_000L, "1.5s")]
    [InlineData(3_000_000_000L, "5m0s")]
    [InlineData(54_000_000_000L, "1h30m0s")]
    [InlineData(36_000_000_000L + 10_000_000L, "1h0m1s")]
    [InlineData(2_500L, "250us")]
    [InlineData(15_000L, "1.5ms")]
    [InlineData(3L, "300ns")]
    public void Format_LikeGo_AndParsesBack(long ticks, string expected)
    {
        var value = TimeSpan.FromTicks(ticks);
        Assert.Equal(expected, KubernetesDuration.Format(value));
        Assert.Equal(value, KubernetesDuration.Parse(KubernetesDuration.Format(value)));
    }

    [Fact]
    public void Format_Negative_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => KubernetesDuration.Format(TimeSpan.FromSeconds(-1)));

    [Fact]
    public void SpecDefaults_AreValidDurations()
    {
        Assert.Equal(
            TimeSpan.FromMinutes(5),
            new SequenceSyncPolicySpec { Database = new DatabaseSpec { SecretRef = new SecretReference { Name = "s" } } }.GetInterval());
        Assert.True(KubernetesDuration.Parse(SequenceSyncPolicySpec.DefaultInterval) >= SequenceSyncPolicySpec.MinimumInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), new RepairSpec().GetLockTimeout());
    }
}
