using SequenceOperator.Postgres;

namespace SequenceOperator.Tests.Postgres;

public sealed class TableSelectorTests
{
    [Fact]
    public void Parse_PlainTable()
    {
        var s = TableSelector.Parse("cards");
        Assert.Null(s.Schema);
        Assert.Equal(new NamePart("cards", false), s.Table);
        Assert.Null(s.Column);
    }

    [Fact]
    public void Parse_SchemaTableAndColumn()
    {
        var s = TableSelector.Parse("legacy.ak_animes:id_anime");
        Assert.Equal("legacy", s.Schema!.Value);
        Assert.Equal("ak_animes", s.Table.Value);
        Assert.Equal("id_anime", s.Column!.Value);
    }

    [Fact]
    public void Parse_QuotedPartsKeepDotsColonsAndQuotes()
    {
        var s = TableSelector.Parse("\"My Schema\".\"odd.name:x\"\"y\":\"Id Col\"");
        Assert.Equal(new NamePart("My Schema", true), s.Schema);
        Assert.Equal(new NamePart("odd.name:x\"y", true), s.Table);
        Assert.Equal(new NamePart("Id Col", true), s.Column);
        Assert.Equal("\"My Schema\".\"odd.name:x\"\"y\":\"Id Col\"", s.Display);
    }

    [Fact]
    public void Parse_HostileTextIsJustAName()
    {
        var s = TableSelector.Parse("x; drop table cards; --");
        Assert.Equal("x; drop table cards; --", s.Table.Value);
        Assert.Null(s.Schema);
    }

    [Fact]
    public void Parse_SeparateColumn_AsThePolicySpecHoldsIt()
    {
        var s = TableSelector.Parse("public.ak_mangas", "id_manga");
        Assert.Equal("public", s.Schema!.Value);
        Assert.Equal("id_manga", s.Column!.Value);
    }

    [Fact]
    public void Parse_UnicodeEscapedParts_AsPostgresWritesThem()
    {
        var s = TableSelector.Parse("U&\"my\\0009schema\".u&\"two\\000Alines\":U&\"d\\0061t\\+000061\"");
        Assert.Equal(new NamePart("my\tschema", true), s.Schema);
        Assert.Equal(new NamePart("two\nlines", true), s.Table);
        Assert.Equal(new NamePart("data", true), s.Column);
        Assert.Equal("U&\"my\\0009schema\".U&\"two\\000Alines\":\"data\"", s.Display);
    }

    [Fact]
    public void Display_UnquotedNameWithControlCharacters_IsEscaped() =>
        Assert.Equal("U&\"no\\000Asuch\"", TableSelector.Parse("no\nsuch").Display);

    [Theory]
    [InlineData("")]
    [InlineData("U&\"bad\\00\"")]
    [InlineData("a.b.c")]
    [InlineData("a:b:c")]
    [InlineData("\"unterminated")]
    [InlineData(".cards")]
    [InlineData("cards:")]
    [InlineData("\"a\"b")]
    public void Parse_Malformed_SaysWhy(string entry)
    {
        var ex = Assert.Throws<FormatException>(() => TableSelector.Parse(entry));
        Assert.StartsWith("Invalid table entry", ex.Message);
    }
}
