using System.Text.Json;
using Npgsql;
using SequenceOperator.Tests.Infrastructure;
using SequenceOperator.Tests.Postgres;

namespace SequenceOperator.Tests.Cli;

/// <summary>Names as PostgreSQL has them: long, odd, in odd schemas; and a summary that counts what it says it counts.</summary>
[Collection(PostgresCollection.Name)]
public sealed class NameOutputTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Table_LongerThan63Bytes_MatchesAsPostgresTruncatesIt()
    {
        var ascii = new string('a', 70);
        var accented = new string('é', 40); // 80 bytes in UTF-8: PostgreSQL keeps 31 of them (62 bytes), never half a character
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, $"""
            CREATE TABLE {ascii} (id serial PRIMARY KEY); INSERT INTO {ascii} (id) VALUES (5);
            CREATE TABLE "{accented}" ("{accented}" serial PRIMARY KEY); INSERT INTO "{accented}" VALUES (6);
            """);

        var run = await CliRunner.RunAsync("check", "-c", db.ConnectionString, "-o", "json",
            "--table", ascii, "--table", $"public.\"{accented}\":\"{accented}\"", "--table", new string('É', 40));

        Assert.Equal(2, run.ExitCode); // the upper-case É is not folded by PostgreSQL: that entry does not exist
        using var doc = JsonDocument.Parse(run.Stdout);
        var tables = doc.RootElement.GetProperty("sequences").EnumerateArray().Select(s => s.GetProperty("table").GetString()).ToList();
        Assert.Equal([new string('a', 63), new string('é', 31)], tables);
        Assert.Contains("does not exist", Assert.Single(run.StderrLines));
    }

    [Fact]
    public async Task NamesWithNewlinesAndTabs_StayOnTheirRow()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server,
            "CREATE TABLE \"two\nlines\" (id serial PRIMARY KEY); INSERT INTO \"two\nlines\" (id) VALUES (8);" +
            "CREATE TABLE \"tab\tbed\" (\"i\td\" serial PRIMARY KEY);");

        var run = await CliRunner.RunAsync("check", "-c", db.ConnectionString, "--table", "no\nsuch\ttable");

        Assert.Equal(2, run.ExitCode);
        var error = run.SingleErrorLine();
        Assert.Contains("U&\"no\\000Asuch\\0009table\" does not exist", error);

        var all = await CliRunner.RunAsync("check", "-c", db.ConnectionString);
        Assert.Equal(1, all.ExitCode);
        var lines = all.StdoutLines;
        var twoLines = Assert.Single(lines, l => l.StartsWith("public.U&\"two\\000Alines\"  ", StringComparison.Ordinal));
        Assert.EndsWith("Behind", twoLines);
        var tabbed = Assert.Single(lines, l => l.StartsWith("public.U&\"tab\\0009bed\"  ", StringComparison.Ordinal));
        Assert.Contains("U&\"i\\0009d\"", tabbed);
        Assert.EndsWith("InSync", tabbed);
        Assert.DoesNotContain('\t', all.Stdout);
        Assert.Single(lines, l => l.Contains("two", StringComparison.Ordinal) && l.Contains("behind by", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NameWithNewline_InAnErrorOnStderr_StaysOneLine()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server,
            "CREATE TABLE \"line\nbreak\" (id serial PRIMARY KEY); CREATE ROLE nl_reader LOGIN PASSWORD 'pw';");
        try
        {
            var run = await CliRunner.RunAsync("check", "-c", db.Server.ConnectionStringFor(db.Name, "nl_reader", "pw"));

            Assert.Equal(2, run.ExitCode);
            var line = run.SingleErrorLine();
            Assert.StartsWith("sequence-operator: public.U&\"line\\000Abreak\".id: permission denied", line);
        }
        finally
        {
            await db.ExecuteAsync("DROP OWNED BY nl_reader; DROP ROLE nl_reader;");
        }
    }

    [Fact]
    public async Task TableSelector_AcceptsTheEscapedFormTheOutputPrints()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server,
            "CREATE TABLE \"two\nlines\" (id serial PRIMARY KEY); INSERT INTO \"two\nlines\" (id) VALUES (8);");

        var run = await CliRunner.RunAsync("check", "-c", db.ConnectionString, "--table", "U&\"two\\000Alines\"");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Sequences: 1 checked, 0 in sync, 1 behind, 0 errors.", run.Stdout);
    }

    [Theory]
    [InlineData("My Schema", "\"My Schema\".cards")]
    [InlineData("CamelSchema", "\"CamelSchema\".cards")]
    public async Task SchemaUriParameter_WithSpacesOrMixedCase_FindsItsTables(string schema, string display)
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, $"""
            CREATE SCHEMA "{schema}";
            CREATE TABLE "{schema}".cards (id serial PRIMARY KEY); INSERT INTO "{schema}".cards (id) VALUES (4);
            CREATE TABLE public.cards (id serial PRIMARY KEY);
            """);
        var b = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        var uri = $"postgresql://{b.Username}:{Uri.EscapeDataString(b.Password!)}@{b.Host}:{b.Port}/{b.Database}"
            + $"?schema={Uri.EscapeDataString(schema)}";

        var run = await CliRunner.RunAsync("check", "-c", uri, "--table", "cards");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(string.Empty, run.Stderr);
        Assert.Contains(display, run.Stdout);
    }

    [Fact]
    public async Task Summary_CountsSequencesNotRows_AndSaysErrorInTheSingular()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE SEQUENCE shared_seq;
            CREATE TABLE invoices (id bigint PRIMARY KEY DEFAULT nextval('shared_seq'));
            CREATE TABLE credit_notes (id bigint PRIMARY KEY DEFAULT nextval('shared_seq'));
            INSERT INTO invoices VALUES (10); INSERT INTO credit_notes VALUES (12);
            CREATE TABLE tags (id serial PRIMARY KEY);
            """);

        var run = await CliRunner.RunAsync(
            "check",
            "-c",
            db.ConnectionString,
            "--table",
            "invoices",
            "--table",
            "credit_notes",
            "--table",
            "tags",
            "--table",
            "nosuch");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(3, run.StdoutLines.Count(l => l.StartsWith("public.", StringComparison.Ordinal))); // three rows
        Assert.Contains("Sequences: 2 checked (3 columns), 1 in sync, 1 behind, 1 error.", run.Stdout);
        Assert.DoesNotContain(";;", run.Stdout + run.Stderr);
    }

    [Fact]
    public async Task NotOnSearchPath_InTwoSchemas_SaysSchemasInThePlural()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE SCHEMA a; CREATE SCHEMA b;
            CREATE TABLE a.cards (id serial PRIMARY KEY); CREATE TABLE b.cards (id serial PRIMARY KEY);
            """);

        var run = await CliRunner.RunAsync("check", "-c", db.ConnectionString, "--table", "cards");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("(a table of that name exists in schemas a, b)", run.SingleErrorLine());
        Assert.Contains("Sequences: 0 checked, 0 in sync, 0 behind, 1 error.", run.Stdout);
    }
}
