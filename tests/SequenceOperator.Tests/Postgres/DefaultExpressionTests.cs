using SequenceOperator.Postgres;

namespace SequenceOperator.Tests.Postgres;

/// <summary>
/// The node-tree reader and the default judge, on trees PostgreSQL 15 itself wrote (<c>SELECT adbin::text FROM
/// pg_attrdef</c> for the defaults named in each constant). Engine tests exercise the same against the live server.
/// </summary>
public sealed class DefaultExpressionTests
{
    /// <summary><c>id serial</c></summary>
    private const string SerialInt4 =
        "{FUNCEXPR :funcid 480 :funcresulttype 23 :funcretset false :funcvariadic false :funcformat 2 :funccollid 0 "
        + ":inputcollid 0 :args ({FUNCEXPR :funcid 1574 :funcresulttype 20 :funcretset false :funcvariadic false :funcformat 0 "
        + ":funccollid 0 :inputcollid 0 :args ({CONST :consttype 2205 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true "
        + ":constisnull false :location -1 :constvalue 4 [ 0 64 0 0 0 0 0 0 ]}) :location -1}) :location -1}";

    /// <summary><c>code text DEFAULT 'INV-' || nextval('inv')</c></summary>
    private const string TextConcat =
        "{OPEXPR :opno 2779 :opfuncid 2003 :opresulttype 25 :opretset false :opcollid 100 :inputcollid 100 :args ({CONST "
        + ":consttype 25 :consttypmod -1 :constcollid 100 :constlen -1 :constbyval false :constisnull false :location 37 "
        + ":constvalue 8 [ 32 0 0 0 73 78 86 45 ]} {FUNCEXPR :funcid 1574 :funcresulttype 20 :funcretset false :funcvariadic false "
        + ":funcformat 0 :funccollid 0 :inputcollid 0 :args ({CONST :consttype 2205 :consttypmod -1 :constcollid 0 :constlen 4 "
        + ":constbyval true :constisnull false :location 55 :constvalue 4 [ 21 64 0 0 0 0 0 0 ]}) :location 47}) :location 44}";

    /// <summary><c>id bigint DEFAULT nextval('inv') * 10</c></summary>
    private const string Times10 =
        "{OPEXPR :opno 690 :opfuncid 1276 :opresulttype 20 :opretset false :opcollid 0 :inputcollid 0 :args ({FUNCEXPR "
        + ":funcid 1574 :funcresulttype 20 :funcretset false :funcvariadic false :funcformat 0 :funccollid 0 :inputcollid 0 "
        + ":args ({CONST :consttype 2205 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true :constisnull false "
        + ":location 44 :constvalue 4 [ 21 64 0 0 0 0 0 0 ]}) :location 36} {CONST :consttype 23 :consttypmod -1 :constcollid 0 "
        + ":constlen 4 :constbyval true :constisnull false :location 53 :constvalue 4 [ 10 0 0 0 0 0 0 0 ]}) :location 51}";

    /// <summary><c>id text DEFAULT nextval('inv')::text</c></summary>
    private const string CastToText =
        "{COERCEVIAIO :arg {FUNCEXPR :funcid 1574 :funcresulttype 20 :funcretset false :funcvariadic false :funcformat 0 "
        + ":funccollid 0 :inputcollid 0 :args ({CONST :consttype 2205 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true "
        + ":constisnull false :location 41 :constvalue 4 [ 21 64 0 0 0 0 0 0 ]}) :location 33} :resulttype 25 :resultcollid 100 "
        + ":coerceformat 1 :location 47}";

    /// <summary><c>id int DEFAULT nextval('inv'::text)</c></summary>
    private const string LegacyText =
        "{FUNCEXPR :funcid 480 :funcresulttype 23 :funcretset false :funcvariadic false :funcformat 2 :funccollid 0 "
        + ":inputcollid 0 :args ({FUNCEXPR :funcid 1574 :funcresulttype 20 :funcretset false :funcvariadic false :funcformat 0 "
        + ":funccollid 0 :inputcollid 0 :args ({FUNCEXPR :funcid 1079 :funcresulttype 2205 :funcretset false :funcvariadic false "
        + ":funcformat 2 :funccollid 0 :inputcollid 100 :args ({CONST :consttype 25 :consttypmod -1 :constcollid 100 :constlen -1 "
        + ":constbyval false :constisnull false :location 44 :constvalue 7 [ 28 0 0 0 105 110 118 ]}) :location -1}) "
        + ":location 36}) :location -1}";

    /// <summary><c>id bigint DEFAULT nextval('"Odd S"."My Seq"'::text)</c></summary>
    private const string LegacyQualified =
        "{FUNCEXPR :funcid 1574 :funcresulttype 20 :funcretset false :funcvariadic false :funcformat 0 :funccollid 0 "
        + ":inputcollid 0 :args ({FUNCEXPR :funcid 1079 :funcresulttype 2205 :funcretset false :funcvariadic false :funcformat 2 "
        + ":funccollid 0 :inputcollid 100 :args ({CONST :consttype 25 :consttypmod -1 :constcollid 100 :constlen -1 "
        + ":constbyval false :constisnull false :location 48 "
        + ":constvalue 20 [ 80 0 0 0 34 79 100 100 32 83 34 46 34 77 121 32 83 101 113 34 ]}) :location -1}) :location 40}";

    /// <summary><c>id posint DEFAULT nextval('inv') (posint: a domain over int4)</c></summary>
    private const string DomainOverInt4 =
        "{COERCETODOMAIN :arg {FUNCEXPR :funcid 480 :funcresulttype 23 :funcretset false :funcvariadic false :funcformat 2 "
        + ":funccollid 0 :inputcollid 0 :args ({FUNCEXPR :funcid 1574 :funcresulttype 20 :funcretset false :funcvariadic false "
        + ":funcformat 0 :funccollid 0 :inputcollid 0 :args ({CONST :consttype 2205 :consttypmod -1 :constcollid 0 :constlen 4 "
        + ":constbyval true :constisnull false :location 43 :constvalue 4 [ 21 64 0 0 0 0 0 0 ]}) :location 35}) :location -1} "
        + ":resulttype 16429 :resulttypmod -1 :resultcollid 0 :coercionformat 2 :location -1}";

    /// <summary><c>id int8 DEFAULT nextval('inv')::int4</c></summary>
    private const string NarrowingCast =
        "{FUNCEXPR :funcid 481 :funcresulttype 20 :funcretset false :funcvariadic false :funcformat 2 :funccollid 0 "
        + ":inputcollid 0 :args ({FUNCEXPR :funcid 480 :funcresulttype 23 :funcretset false :funcvariadic false :funcformat 1 "
        + ":funccollid 0 :inputcollid 0 :args ({FUNCEXPR :funcid 1574 :funcresulttype 20 :funcretset false :funcvariadic false "
        + ":funcformat 0 :funccollid 0 :inputcollid 0 :args ({CONST :consttype 2205 :consttypmod -1 :constcollid 0 :constlen 4 "
        + ":constbyval true :constisnull false :location 41 :constvalue 4 [ 21 64 0 0 0 0 0 0 ]}) :location 33}) :location 47}) "
        + ":location -1}";

    /// <summary><c>id bigint DEFAULT coalesce(nextval('inv'), 0)</c></summary>
    private const string Coalesce =
        "{COALESCEEXPR :coalescetype 20 :coalescecollid 0 :args ({FUNCEXPR :funcid 1574 :funcresulttype 20 :funcretset false "
        + ":funcvariadic false :funcformat 0 :funccollid 0 :inputcollid 0 :args ({CONST :consttype 2205 :consttypmod -1 "
        + ":constcollid 0 :constlen 4 :constbyval true :constisnull false :location 52 :constvalue 4 [ 21 64 0 0 0 0 0 0 ]}) "
        + ":location 44} {FUNCEXPR :funcid 481 :funcresulttype 20 :funcretset false :funcvariadic false :funcformat 2 "
        + ":funccollid 0 :inputcollid 0 :args ({CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true "
        + ":constisnull false :location 60 :constvalue 4 [ 0 0 0 0 0 0 0 0 ]}) :location -1}) :location 35}";

    /// <summary><c>id numeric DEFAULT nextval('inv')</c></summary>
    private const string Numeric =
        "{FUNCEXPR :funcid 1781 :funcresulttype 1700 :funcretset false :funcvariadic false :funcformat 2 :funccollid 0 "
        + ":inputcollid 0 :args ({FUNCEXPR :funcid 1574 :funcresulttype 20 :funcretset false :funcvariadic false :funcformat 0 "
        + ":funccollid 0 :inputcollid 0 :args ({CONST :consttype 2205 :consttypmod -1 :constcollid 0 :constlen 4 :constbyval true "
        + ":constisnull false :location 44 :constvalue 4 [ 21 64 0 0 0 0 0 0 ]}) :location 36}) :location -1}";

    private const long SerialSequenceOid = 16384; // [ 0 64 0 0 ... ]: 64 * 256
    private const long InvSequenceOid = 16405; // [ 21 64 0 0 ... ]

    private static readonly Dictionary<(char Kind, long Oid), string> Names = new() { [('o', 2779)] = "||", [('o', 690)] = "*" };

    [Theory]
    [InlineData(SerialInt4, SerialSequenceOid, 23L)]
    [InlineData(DomainOverInt4, InvSequenceOid, 23L)]
    [InlineData(NarrowingCast, InvSequenceOid, 23L)] // bigint column, but nextval(...)::int4 on the way: bounded by int4
    public void PlainNextval_UnderIntegerCasts_NamesTheSequenceAndTheNarrowestType(string tree, long oid, long narrowest)
    {
        var plain = DefaultExpression.PlainNextval(Parse(tree));
        Assert.NotNull(plain);
        Assert.Contains(oid, plain.Value.Call.Oids);
        Assert.Equal(narrowest, plain.Value.NarrowestType);
    }

    [Theory]
    [InlineData(TextConcat)]
    [InlineData(Times10)]
    [InlineData(CastToText)]
    [InlineData(Coalesce)]
    [InlineData(Numeric)]
    public void PlainNextval_AnyOtherShape_IsNull(string tree)
    {
        var node = Parse(tree);
        Assert.Null(DefaultExpression.PlainNextval(node));
        Assert.Contains(InvSequenceOid, Assert.Single(DefaultExpression.NextvalCalls(node)).Oids); // it still calls the sequence
    }

    [Theory]
    [InlineData(CastToText, true)]
    [InlineData(Numeric, true)]
    [InlineData(SerialInt4, true)]
    [InlineData(TextConcat, false)]
    [InlineData(Times10, false)]
    [InlineData(Coalesce, false)]
    public void CastNextval_SeesThroughCastsToAnyType(string tree, bool found) =>
        Assert.Equal(found, DefaultExpression.CastNextval(Parse(tree)) is not null);

    [Theory]
    [InlineData(TextConcat, "'INV-' || nextval(...)")]
    [InlineData(Times10, "nextval(...) * 10")]
    [InlineData(CastToText, "nextval(...)::text")]
    [InlineData(Coalesce, "COALESCE(nextval(...), 0)")]
    [InlineData(Numeric, "nextval(...)")] // an implicit cast, as pg_get_expr shows it
    public void Render_ReadsAsTheDefaultWasWritten(string tree, string expected) =>
        Assert.Equal(expected, DefaultExpression.Render(Parse(tree), Names));

    [Fact]
    public void Render_UnknownOperator_SaysSoRatherThanGuessing() =>
        Assert.Equal("nextval(...) ? 10", DefaultExpression.Render(Parse(Times10), new Dictionary<(char Kind, long Oid), string>()));

    [Theory]
    [InlineData(LegacyText, "inv")]
    [InlineData(LegacyQualified, "\"Odd S\".\"My Seq\"")]
    public void LegacyTextDefault_ReadsTheNameFromTheConstantsBytes(string tree, string name)
    {
        var plain = DefaultExpression.PlainNextval(Parse(tree));
        Assert.NotNull(plain);
        Assert.Empty(plain.Value.Call.Oids); // no regclass constant: pg_depend records nothing either
        Assert.Equal(name, plain.Value.Call.Name);
    }

    [Theory]
    [InlineData("inv", new[] { "inv" })]
    [InlineData("Public.INV", new[] { "public", "inv" })]
    [InlineData("\"Odd S\".\"My Seq\"", new[] { "Odd S", "My Seq" })]
    [InlineData(" db . \"a\"\"b\" . c ", new[] { "db", "a\"b", "c" })]
    [InlineData("a..b", new string[0])]
    [InlineData("\"unterminated", new string[0])]
    public void SplitQualifiedName_FollowsRegclassInput(string text, string[] expected) =>
        Assert.Equal(expected, FeedDiscovery.SplitQualifiedName(text));

    [Fact]
    public void SplitQualifiedName_TruncatesTo63BytesAsPostgresDoes() =>
        Assert.Equal(new string('a', 63), Assert.Single(FeedDiscovery.SplitQualifiedName(new string('A', 70))));

    [Fact]
    public void Parse_NegativeBytesEscapesAndEmptyTokens()
    {
        var node = Parse(
            """{CONST :consttype 2205 :constlen 4 :constbyval true :constisnull false :location -1 :constvalue 4 """
            + """[ -128 64 0 0 0 0 0 0 ] :name a\ b\(c :empty <>}""");
        Assert.Equal("CONST", node.Type);
        Assert.Equal(-1, node.Number("location"));
        Assert.Equal([0x80, 64, 0, 0, 0, 0, 0, 0], node.Datum("constvalue")!.Value.Bytes);
        Assert.Equal("a b(c", node.Token("name"));
        Assert.Equal(string.Empty, node.Token("empty"));
    }

    [Fact]
    public void Read_OneTreeTextAfterText_GivesEachTextsNodes()
    {
        var reader = new NodeTree();
        Assert.Equal(480, reader.Read(SerialInt4)!.Value.Number("funcid"));
        Assert.Null(reader.Read("{FUNCEXPR :funcid 1574"));
        Assert.Equal("nextval(...) * 10", DefaultExpression.Render(reader.Read(Times10)!.Value, Names));
        Assert.Contains(SerialSequenceOid, Assert.Single(DefaultExpression.NextvalCalls(reader.Read(SerialInt4)!.Value)).Oids);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{FUNCEXPR :funcid 1574")]
    [InlineData("{FUNCEXPR :args ({CONST)}")]
    [InlineData("{FUNCEXPR} trailing")]
    [InlineData(")")]
    public void Parse_Malformed_IsNull(string text) => Assert.Null(NodeTree.Parse(text));

    private static Node Parse(string tree) => NodeTree.Parse(tree) ?? throw new InvalidOperationException("not a node tree: " + tree);
}
