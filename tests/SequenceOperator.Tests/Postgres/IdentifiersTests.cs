using SequenceOperator.Postgres;

namespace SequenceOperator.Tests.Postgres;

public sealed class IdentifiersTests
{
    [Theory]
    [InlineData(70, 'a', 63)] // 1 byte each
    [InlineData(40, 'é', 31)] // 2 bytes each: 31 make 62 bytes, a 32nd would make 64
    [InlineData(30, '€', 21)] // 3 bytes each: 63 bytes exactly
    [InlineData(63, 'a', 63)]
    public void Truncate_KeepsWhatPostgresKeeps(int count, char c, int kept) =>
        Assert.Equal(new string(c, kept), Identifiers.Truncate(new string(c, count)));

    [Fact]
    public void Truncate_NeverSplitsASurrogatePair()
    {
        var name = new string('a', 61) + "\U0001F600"; // 61 + 4 bytes: the emoji does not fit
        Assert.Equal(new string('a', 61), Identifiers.Truncate(name));
        Assert.Equal(new string('a', 59) + "\U0001F600", Identifiers.Truncate(new string('a', 59) + "\U0001F600" + "b"));
    }

    [Theory]
    [InlineData("cards", "cards")]
    [InlineData("My Table", "\"My Table\"")]
    [InlineData("two\nlines", "U&\"two\\000Alines\"")]
    [InlineData("tab\tand \"quote\" and \\", "U&\"tab\\0009and \"\"quote\"\" and \\\\\"")]
    [InlineData("nul\0", "U&\"nul\\0000\"")]
    [InlineData("rtl\u202Eevil", "U&\"rtl\\202Eevil\"")]
    public void Display_QuotesAndEscapesWhatWouldBreakALine(string name, string expected) =>
        Assert.Equal(expected, Identifiers.Display(name));

    [Theory]
    [InlineData("two\nlines")]
    [InlineData("tab\tand \"quote\" and \\ and \\0041")]
    [InlineData("\u0001\u007F\u0085\u2028")]
    public void Display_ReadsBackAsATableEntry(string name)
    {
        var part = TableSelector.Parse(Identifiers.Display(name)).Table;
        Assert.Equal(new NamePart(name, true), part);
        Assert.Equal(Identifiers.Display(name), part.ToString());
    }

    [Theory]
    [InlineData("d\\0061t\\+000061", "data")]
    [InlineData("\\\\", "\\")]
    [InlineData("smile \\+01F600", "smile \U0001F600")]
    public void UnescapeUnicode_AsPostgresReadsIt(string body, string expected) =>
        Assert.Equal(expected, Identifiers.UnescapeUnicode(body));

    [Theory]
    [InlineData("\\00")]
    [InlineData("\\zzzz")]
    [InlineData("\\0000")]
    [InlineData("\\+110000")]
    [InlineData("trailing \\")]
    public void UnescapeUnicode_Malformed_Throws(string body) =>
        Assert.Throws<FormatException>(() => Identifiers.UnescapeUnicode(body));

    [Theory]
    [InlineData("app", "app")]
    [InlineData("My Schema", "\"My Schema\"")]
    [InlineData("a,b", "\"a,b\"")]
    public void SearchPathEntry_QuotesWhatPostgresWouldFoldOrSplit(string schema, string expected) =>
        Assert.Equal(expected, Identifiers.SearchPathEntry(schema));
}
