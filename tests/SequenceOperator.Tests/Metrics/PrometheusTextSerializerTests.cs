using SequenceOperator.Metrics;
using SequenceOperator.Testing.Prometheus;

namespace SequenceOperator.Tests.Metrics;

public sealed class PrometheusTextSerializerTests
{
    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(1.0, "1")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(0.005, "0.005")]
    [InlineData(1750000000.25, "1750000000.25")]
    [InlineData(1e21, "1E+21")]
    [InlineData(1.5e-7, "1.5E-07")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    public void Format_WritesWhatPrometheusReadsBack(double value, string expected)
    {
        var text = PrometheusTextSerializer.Format(value);
        Assert.Equal(expected, text);
        var back = PrometheusTextParser.ParseValue(text);
        Assert.True(double.IsNaN(value) ? double.IsNaN(back) : back == value);
    }

    [Theory]
    [InlineData("otel.metric.overflow", "otel_metric_overflow")]
    [InlineData("1abc", "_1abc")]
    [InlineData("a-b:c", "a_b_c")]
    [InlineData("ok_name", "ok_name")]
    public void SanitizeLabelName_FollowsTheGrammar(string name, string expected) =>
        Assert.Equal(expected, PrometheusTextSerializer.SanitizeLabelName(name));

    [Fact]
    public void SanitizeMetricName_KeepsColons() =>
        Assert.Equal("a:b_c", PrometheusTextSerializer.SanitizeMetricName("a:b.c"));

    [Fact]
    public void Escapes_FollowTheTextFormat()
    {
        Assert.Equal("a\\\\b\\\"c\\nd", PrometheusTextSerializer.EscapeLabelValue("a\\b\"c\nd"));
        Assert.Equal("a\\\\b\"c\\nd", PrometheusTextSerializer.EscapeHelp("a\\b\"c\nd"));
    }
}
