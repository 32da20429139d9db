using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using SequenceOperator.Cli;
using SequenceOperator.Tests.Infrastructure;
using SequenceOperator.Tests.Postgres;

namespace SequenceOperator.Tests.Cli;

[Collection(PostgresCollection.Name)]
public sealed class CommandLineTests(PostgresFixture fixture)
{
    private sealed record Run(int ExitCode, string Stdout, string Stderr);

    private static async Task<Run> RunAsync(string? databaseUrl, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(
            args,
            stdout,
            stderr,
            CancellationToken.None,
            environment: name => name == "DATABASE_URL" ? databaseUrl : null);
        return new Run(code, stdout.ToString(), stderr.ToString());
    }

    private async Task<EngineDatabase> WorcesterAsync() =>
        await EngineDatabase.CreateAsync(fixture.Server, await File.ReadAllTextAsync(RepoPaths.File("scripts/demo/cityforge.sql")));

    [Fact]
    public async Task CheckRepairCheck_ExitCodesFollowTheDrift()
    {
        await using var db = await WorcesterAsync();

        var check = await RunAsync(null, "check", "--connection", db.ConnectionString);
        Assert.Equal(1, check.ExitCode);
        Assert.Contains("5 checked, 0 in sync, 5 behind, 0 errors.", check.Stdout);
        Assert.Equal(string.Empty, check.Stderr);

        var dryRun = await RunAsync(null, "repair", "--connection", db.ConnectionString, "--dry-run");
        Assert.Equal(1, dryRun.ExitCode);
        Assert.Contains("LOCK TABLE", dryRun.Stdout);
        Assert.Equal((1L, true), await db.SequenceStateAsync("cards_id_seq"));

        var repair = await RunAsync(null, "repair", "--connection", db.ConnectionString);
        Assert.Equal(0, repair.ExitCode);
        Assert.Contains("5 repaired", repair.Stdout);

        var clean = await RunAsync(null, "check", "--connection", db.ConnectionString);
        Assert.Equal(0, clean.ExitCode);
    }

    [Fact]
    public async Task Check_Json_HasTheDocumentedShape()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE cards (id serial PRIMARY KEY); INSERT INTO cards (id) VALUES (42);
            CREATE TABLE empty_t (id serial PRIMARY KEY);
            """);
        var run = await RunAsync(
            null,
            "check",
            "-c",
            db.ConnectionString,
            "--output",
            "json",
            "--table",
            "cards",
            "--table",
            "empty_t",
            "--table",
            "nosuch");

        Assert.Equal(2, run.ExitCode); // an unknown table is an error
        using var doc = JsonDocument.Parse(run.Stdout);
        var sequences = doc.RootElement.GetProperty("sequences");
        Assert.Equal(2, sequences.GetArrayLength());
        var cards = sequences[0];
        foreach (var field in new[]
        {
            "schema",
            "table",
            "column",
            "sequenceSchema",
            "sequenceName",
            "maxValue",
            "nextValue",
            "behindBy",
            "capacityUsed",
            "status",
            "repairedNextValue",
            "message",
        })
        {
            Assert.True(cards.TryGetProperty(field, out _), $"missing field {field}");
        }

        Assert.Equal("public", cards.GetProperty("schema").GetString());
        Assert.Equal("cards_id_seq", cards.GetProperty("sequenceName").GetString());
        Assert.Equal(42, cards.GetProperty("maxValue").GetInt64());
        Assert.Equal(1, cards.GetProperty("nextValue").GetInt64());
        Assert.Equal(42, cards.GetProperty("behindBy").GetInt64());
        Assert.Equal("Behind", cards.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, cards.GetProperty("repairedNextValue").ValueKind);
        Assert.InRange(cards.GetProperty("capacityUsed").GetDouble(), 0, 1);
        Assert.Equal(JsonValueKind.Null, sequences[1].GetProperty("maxValue").ValueKind); // empty table
        Assert.Equal("InSync", sequences[1].GetProperty("status").GetString());
        var error = Assert.Single(doc.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal("nosuch", error.GetProperty("entry").GetString());
        Assert.Contains("nosuch: table nosuch does not exist.", run.Stderr);
    }

    [Fact]
    public async Task Repair_Json_ReportsRepairedNextValue()
    {
        await using var db = await WorcesterAsync();
        var run = await RunAsync(
            null,
            "repair",
            "--connection",
            db.ConnectionString,
            "--output=json",
            "--table",
            "cards",
            "--headroom",
            "10");
        Assert.Equal(0, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        var cards = Assert.Single(doc.RootElement.GetProperty("sequences").EnumerateArray());
        Assert.Equal("Repaired", cards.GetProperty("status").GetString());
        Assert.Equal(2, cards.GetProperty("nextValue").GetInt64());
        Assert.Equal(53, cards.GetProperty("repairedNextValue").GetInt64());
    }

    [Fact]
    public async Task Check_WithoutConnection_UsesDatabaseUrl()
    {
        await using var db = await WorcesterAsync();
        var b = new NpgsqlConnectionStringBuilder(db.ConnectionString);
        var url = $"postgresql://{b.Username}:{Uri.EscapeDataString(b.Password!)}@{b.Host}:{b.Port}/{b.Database}";
        var run = await RunAsync(url, "check", "--table", "tags");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("public.tags", run.Stdout);
    }

    [Fact]
    public async Task Check_WrongPassword_OneClearLineWithoutThePassword()
    {
        await using var db = await WorcesterAsync();
        var wrong = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Password = "Wr0ng-Secret-Pw" }.ConnectionString;
        var run = await RunAsync(null, "check", "--connection", wrong);
        Assert.Equal(2, run.ExitCode);
        Assert.Equal(string.Empty, run.Stdout);
        var line = Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("authentication failed", line);
        Assert.Contains("password authentication failed for user", line);
        Assert.DoesNotContain("Wr0ng-Secret-Pw", run.Stderr);
    }

    [Fact]
    public async Task Check_NothingListening_ConnectionError()
    {
        var port = Testing.LoopbackPorts.Free();
        var run = await RunAsync($"postgresql://u:S3cretPw@127.0.0.1:{port}/db?connect_timeout=5", "check");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("could not connect to u@127.0.0.1:", run.Stderr);
        Assert.DoesNotContain("S3cretPw", run.Stderr);
    }

    [Fact]
    public async Task Check_UnknownDatabase_Error()
    {
        var cs = fixture.Server.ConnectionStringFor("no_such_db");
        var run = await RunAsync(null, "check", "--connection", cs);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("database \"no_such_db\" does not exist", run.Stderr);
    }

    [Theory]
    [InlineData(new[] { "check" }, "no database given")]
    [InlineData(new[] { "check", "-c", "Host=x", "--output", "yaml" }, "--output must be text or json")]
    [InlineData(new[] { "check", "-c", "Host=x", "--dry-run" }, "unknown option '--dry-run' for check")]
    [InlineData(new[] { "repair", "-c", "Host=x", "--headroom", "-5" }, "--headroom must be a whole number")]
    [InlineData(new[] { "repair", "-c", "Host=x", "--lock-timeout", "soon" }, "--lock-timeout must be a duration")]
    [InlineData(new[] { "check", "-c", "Host=x", "--table", "a.b.c" }, "Invalid table entry")]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'")]
    public async Task BadCommandLine_ExitsTwoWithOneLine(string[] args, string expected)
    {
        var run = await RunAsync(null, args);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(expected, run.Stderr);
    }

    [Fact]
    public async Task StrayArgument_IsNotEchoed_ItMayBeASecret()
    {
        var run = await RunAsync(null, "check", "postgresql://u:TopSecret@h/db");
        Assert.Equal(2, run.ExitCode);
        Assert.DoesNotContain("TopSecret", run.Stderr);
    }

    [Fact]
    public async Task Crd_PrintsTheCommittedCustomResourceDefinition()
    {
        var run = await RunAsync(null, "crd");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(
            await File.ReadAllTextAsync(RepoPaths.File("config/crd/sequences.cityforge.io_sequencesyncpolicies.yaml")),
            run.Stdout);
    }

    [Fact]
    public async Task Version_PrintsTheVersion()
    {
        var run = await RunAsync(null, "--version");
        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"^sequence-operator \d+\.\d+\.\d+", run.Stdout);
    }
}
