using System.Text.Json;
using Npgsql;
using SequenceOperator.Testing.Postgres;
using SequenceOperator.Tests.Infrastructure;
using SequenceOperator.Tests.Postgres;

namespace SequenceOperator.Tests.Cli;

/// <summary>
/// A run that fails as a whole still writes its JSON document, and says what really happened: refused, not found,
/// no answer, or a connection lost after it was made.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class RunFailureTests(PostgresFixture fixture)
{
    private static JsonElement RunError(CliResult run, string failure)
    {
        Assert.Equal(2, run.ExitCode);
        using var doc = JsonDocument.Parse(run.Stdout);
        Assert.Equal(JsonValueKind.Array, doc.RootElement.GetProperty("sequences").ValueKind);
        var error = Assert.Single(doc.RootElement.GetProperty("errors").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("entry").ValueKind);
        Assert.Equal(failure, error.GetProperty("failure").GetString());
        return error.Clone();
    }

    [Fact]
    public async Task Json_ServerRefuses_WritesTheDocumentWithTheError()
    {
        var port = Testing.LoopbackPorts.Free();
        var run = await CliRunner.RunAsync("check", "--output", "json", "-c", $"postgresql://u:S3cretPw@127.0.0.1:{port}/db");

        var error = RunError(run, "ConnectionFailed");
        Assert.Contains("could not connect to u@127.0.0.1:", error.GetProperty("message").GetString());
        Assert.Contains("could not connect to u@127.0.0.1:", run.SingleErrorLine());
        Assert.DoesNotContain("S3cretPw", run.Stdout + run.Stderr);
    }

    [Fact]
    public async Task Json_DatabaseDoesNotExist_WritesTheDocumentWithTheError()
    {
        var run = await CliRunner.RunAsync("repair", "-o", "json", "-c", fixture.Server.ConnectionStringFor("no_such_db"));

        var error = RunError(run, "DatabaseNotFound");
        Assert.Contains("database \"no_such_db\" does not exist", error.GetProperty("message").GetString());
        Assert.Empty(JsonDocument.Parse(run.Stdout).RootElement.GetProperty("sequences").EnumerateArray());
    }

    [Fact]
    public async Task Json_InvalidConnectionString_WritesTheDocumentWithTheError()
    {
        var run = await CliRunner.RunAsync("check", "--output=json", "-c", "Host=h;Password=S3cretPw;Timeout=abc");

        var error = RunError(run, "InvalidConnectionString");
        Assert.Contains("'Timeout'", error.GetProperty("message").GetString());
        Assert.DoesNotContain("S3cretPw", run.Stdout + run.Stderr);
    }

    [Fact]
    public async Task ServerStallsAfterConnecting_IsATimeout_NotCouldNotConnect()
    {
        using var server = new SilentServer();
        var run = await CliRunner.RunAsync(
            "check",
            "-o",
            "json",
            "-c",
            $"Host=127.0.0.1;Port={server.Port};Username=u;Password=S3cretPw;Timeout=1");

        var error = RunError(run, "Timeout");
        var line = run.SingleErrorLine();
        Assert.Contains($"the server at 127.0.0.1:{server.Port} did not answer within 1 s", line);
        Assert.DoesNotContain("could not connect", line);
        Assert.Equal(line["sequence-operator: ".Length..], error.GetProperty("message").GetString());
        Assert.True(server.Accepted >= 1, "the client got a TCP connection: the server stalled after accepting it");
    }

    [Fact]
    public async Task ConnectionCutMidRun_IsALostConnection_NotCouldNotConnect()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, "CREATE TABLE cards (id serial PRIMARY KEY);");
        await using var proxy = FaultProxy.CutAtFirstQuery(db.ConnectionString);

        var run = await CliRunner.RunAsync("repair", "-o", "json", "-c", proxy.ConnectionString(db.ConnectionString));

        var error = RunError(run, "ConnectionFailed");
        var line = run.SingleErrorLine();
        Assert.Contains($"the connection to {new NpgsqlConnectionStringBuilder(db.ConnectionString).Username}@127.0.0.1:", line);
        Assert.Contains("was lost", line);
        Assert.DoesNotContain("could not connect", line);
        Assert.Contains("was lost", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task ServerEndsTheSessionMidRun_IsALostConnection_WithTheServersReason()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, "CREATE TABLE cards (id serial PRIMARY KEY);");
        await using var proxy = new FaultProxy(db.ConnectionString, async _ =>
        {
            // The CLI is connected and about to send its first query: its server process goes away first (the
            // call waits until it has).
            await PostgresServer.ExecuteAsync(fixture.Server.AdminConnectionString,
                $"SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE datname = '{db.Name}' AND application_name = "
                    + "'sequence-operator'");
            return true;
        });

        var run = await CliRunner.RunAsync("check", "-c", proxy.ConnectionString(db.ConnectionString));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(string.Empty, run.Stdout);
        var line = run.SingleErrorLine();
        Assert.Contains("was lost", line);
        Assert.Contains("terminating connection due to administrator command", line);
        Assert.DoesNotContain("could not connect", line);
    }

    [Fact]
    public async Task ServerStopsAnsweringMidRun_IsATimeout_NotCouldNotConnect()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, "CREATE TABLE cards (id serial PRIMARY KEY);");
        await using var proxy = FaultProxy.StallAtFirstQuery(db.ConnectionString);

        // The client-side bound is the statement timeout plus 15 s: with 1ms, the run gives up after 16 s.
        var run = await CliRunner.RunAsync(
            "check",
            "-o",
            "json",
            "--statement-timeout",
            "1ms",
            "-c",
            proxy.ConnectionString(db.ConnectionString) + ";Cancellation Timeout=-1");

        RunError(run, "Timeout");
        var line = run.SingleErrorLine();
        Assert.Contains("stopped answering: no reply within 16 s", line);
        Assert.DoesNotContain("could not connect", line);
    }

    [Fact]
    public async Task Text_FailureBeforeAnyResult_PrintsNothingOnStdout()
    {
        var port = Testing.LoopbackPorts.Free();
        var run = await CliRunner.RunAsync("check", "-c", $"Host=127.0.0.1;Port={port};Username=u");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(string.Empty, run.Stdout);
        Assert.Contains("could not connect", run.SingleErrorLine());
    }
}
