using SequenceOperator.Testing.Prometheus;

namespace SequenceOperator.Tests.Metrics;

public sealed class PrometheusTextParserTests
{
    private const string Valid = """
        # HELP a_total Things \\ done.\nSecond line.
        # TYPE a_total counter
        a_total{x="1",y="q\"uo\\te\nd"} 3
        a_total{x="2"} 0
        # HELP g A gauge.
        # TYPE g gauge
        g NaN
        g{k="v"} -Inf
        # HELP h_seconds Durations.
        # TYPE h_seconds histogram
        h_seconds_bucket{p="a",le="0.5"} 1
        h_seconds_bucket{p="a",le="1"} 2
        h_seconds_bucket{p="a",le="+Inf"} 3
        h_seconds_sum{p="a"} 7.5
        h_seconds_count{p="a"} 3

        """;

    [Fact]
    public void Parse_ValidText_GivesFamiliesSamplesAndUnescapedValues()
    {
        var document = PrometheusTextParser.Parse(Valid.Replace("\n\n", "\n", StringComparison.Ordinal));
        Assert.Equal(["a_total", "g", "h_seconds"], document.Families.Select(f => f.Name));
        Assert.Equal("Things \\ done.\nSecond line.", document.Family("a_total")!.Help);
        Assert.Equal("counter", document.Family("a_total")!.Type);
        Assert.Equal("q\"uo\\te\nd", document.Samples("a_total", "x=1")[0].Labels["y"]);
        Assert.Equal(3, document.Value("a_total", "x=1"));
        Assert.True(double.IsNaN(document.Samples("g").Single(s => s.Labels.Count == 0).Value));
        Assert.Equal(double.NegativeInfinity, document.Value("g", "k=v"));
        Assert.Equal(3, document.Value("h_seconds_count", "p=a"));
        Assert.Equal(7.5, document.Value("h_seconds_sum", "p=a"));
    }

    public static TheoryData<string, string> Invalid => new()
    {
        { "no trailing newline", "# HELP g x\n# TYPE g gauge\ng 1" },
        { "sample before TYPE", "g 1\n" },
        { "sample after HELP without TYPE", "# HELP g x\ng 1\n" },
        { "TYPE without HELP", "# TYPE g gauge\ng 1\n" },
        { "unknown type", "# HELP g x\n# TYPE g gaug\ng 1\n" },
        { "blank line", "# HELP g x\n# TYPE g gauge\n\ng 1\n" },
        { "other comment", "# HELP g x\n# TYPE g gauge\n# hello\ng 1\n" },
        { "family split in two blocks", "# HELP g x\n# TYPE g gauge\ng 1\n# HELP h x\n# TYPE h gauge\nh 1\n# HELP g x\n# TYPE g "
            + "gauge\ng{a=\"b\"} 1\n" },
        { "sample of another family", "# HELP g x\n# TYPE g gauge\nh 1\n" },
        { "duplicate series", "# HELP g x\n# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"1\"} 2\n" },
        { "duplicate series, labels reordered", "# HELP g x\n# TYPE g gauge\ng{a=\"1\",b=\"2\"} 1\ng{b=\"2\",a=\"1\"} 2\n" },
        { "bad escape in label", "# HELP g x\n# TYPE g gauge\ng{a=\"\\t\"} 1\n" },
        { "bad escape in HELP", "# HELP g a \\\" b\n# TYPE g gauge\ng 1\n" },
        { "unterminated label value", "# HELP g x\n# TYPE g gauge\ng{a=\"1} 1\n" },
        { "trailing comma", "# HELP g x\n# TYPE g gauge\ng{a=\"1\",} 1\n" },
        { "label twice", "# HELP g x\n# TYPE g gauge\ng{a=\"1\",a=\"2\"} 1\n" },
        { "reserved label", "# HELP g x\n# TYPE g gauge\ng{__name__=\"1\"} 1\n" },
        { "bad label name", "# HELP g x\n# TYPE g gauge\ng{1a=\"1\"} 1\n" },
        { "bad metric name", "# HELP 1g x\n# TYPE 1g gauge\n1g 1\n" },
        { "bad value", "# HELP g x\n# TYPE g gauge\ng one\n" },
        { "Inf without sign", "# HELP g x\n# TYPE g gauge\ng Inf\n" },
        { "two spaces", "# HELP g x\n# TYPE g gauge\ng  1\n" },
        { "negative counter", "# HELP c_total x\n# TYPE c_total counter\nc_total -1\n" },
        { "counter sample without _total family name", "# HELP c_total x\n# TYPE c_total counter\nc 1\n" },
        { "carriage return", "# HELP g x\n# TYPE g gauge\ng 1\r\n" },
        { "bucket without le", "# HELP h x\n# TYPE h histogram\nh_bucket 1\nh_sum 1\nh_count 1\n" },
        { "missing +Inf", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n" },
        { "buckets not cumulative", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"+Inf\"} "
            + "2\nh_sum 1\nh_count 2\n" },
        { "bounds not increasing", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"2\"} 1\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} "
            + "1\nh_sum 1\nh_count 1\n" },
        { "count differs from +Inf", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
            + "h_sum 1\nh_count 3\n" },
        { "missing _sum", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 2\n" },
        { "missing _count", "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 2\n" },
        { "histogram plain sample", "# HELP h x\n# TYPE h histogram\nh 2\n" },
        { "second TYPE", "# HELP g x\n# TYPE g gauge\n# TYPE g gauge\ng 1\n" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Parse_Rejects(string why, string text)
    {
        var e = Assert.Throws<PrometheusFormatException>(() => PrometheusTextParser.Parse(text));
        Assert.False(string.IsNullOrEmpty(e.Message), why);
    }
}
