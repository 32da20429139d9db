using SequenceOperator.Tests.Infrastructure;
using SequenceOperator.Tests.Postgres;

namespace SequenceOperator.Tests.Cli;

/// <summary>
/// Values PostgreSQL or Npgsql cannot honour are refused before connecting, in one line that names the option and the
/// range it takes; the largest values the CLI accepts work end to end.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class OptionRangeTests(PostgresFixture fixture)
{
    private const string DurationRange = "from 1ms to 596h31m23.647s";

    [Theory]
    [InlineData("check", "--statement-timeout", "99999999h", DurationRange)]
    [InlineData("check", "--statement-timeout", "597h", DurationRange)]
    [InlineData("check", "--statement-timeout", "0s", DurationRange)]
    [InlineData("check", "--statement-timeout", "500us", DurationRange)]
    [InlineData("check", "--statement-timeout", "-5s", DurationRange)]
    [InlineData("repair", "--lock-timeout", "600h", DurationRange)]
    [InlineData("repair", "--lock-timeout", "0ms", DurationRange)]
    [InlineData("repair", "--lock-timeout", "99999999999999999999h", DurationRange)]
    [InlineData("repair", "--headroom", "99999999999999999999", "from 0 to 9223372036854775807")]
    [InlineData("repair", "--headroom", "-1", "from 0 to 9223372036854775807")]
    [InlineData("check", "--jobs", "0", "from 1 to 8")]
    [InlineData("check", "--jobs", "9", "from 1 to 8")]
    [InlineData("repair", "--jobs", "two", "from 1 to 8")]
    [InlineData("repair", "-j", "-1", "from 1 to 8")]
    public async Task OutOfRangeOption_RefusedBeforeConnecting_NamingOptionAndRange(
        string command,
        string option,
        string value,
        string range)
    {
        using var server = new SilentServer();
        var run = await CliRunner.RunAsync(command, "-c", $"Host=127.0.0.1;Port={server.Port};Username=u;Password=S3cret", option, value);

        AssertRefused(run, option, range);
        Assert.Equal(0, server.Accepted);
    }

    [Theory]
    [InlineData("Port=99999", "'Port'", "from 1 to 65535")]
    [InlineData("Port=0", "'Port'", "from 1 to 65535")]
    [InlineData("Port=99999999999", "'Port'", "from 1 to 65535")]
    [InlineData("Timeout=99999", "'Timeout'", "seconds from 0 to 1024")]
    [InlineData("Timeout=-1", "'Timeout'", "seconds from 0 to 1024")]
    [InlineData("Timeout=abc", "'Timeout'", "seconds from 0 to 1024")]
    [InlineData("Command Timeout=99999999", "'Command Timeout'", "seconds from 0 to 2147483")]
    [InlineData("CommandTimeout=-3", "'Command Timeout'", "seconds from 0 to 2147483")]
    public async Task OutOfRangeConnectionStringKey_RefusedBeforeConnecting(string setting, string key, string range)
    {
        using var server = new SilentServer();
        var connection = $"Host=127.0.0.1;Username=u;Password=S3cret;Port={server.Port};{setting}";
        var run = await CliRunner.RunAsync("check", "--output", "text", "-c", connection);

        AssertRefused(run, key, range);
        Assert.DoesNotContain("key=value pairs", run.Stderr);
        Assert.Equal(0, server.Accepted);
    }

    [Theory]
    [InlineData("postgresql://u:S3cret@127.0.0.1:99999/db", "port", "from 1 to 65535")]
    [InlineData("postgresql://u:S3cret@127.0.0.1/db?port=70000", "port", "from 1 to 65535")]
    [InlineData("postgresql://u:S3cret@127.0.0.1/db?connect_timeout=99999", "connect_timeout", "seconds from 0 to 1024")]
    [InlineData("postgresql://u:S3cret@127.0.0.1/db?connect_timeout=soon", "connect_timeout", "seconds from 0 to 1024")]
    public async Task OutOfRangeUriValue_RefusedNamingTheParameter(string uri, string name, string range) =>
        AssertRefused(await CliRunner.RunAsync("check", "-c", uri), name, range);

    /// <summary>Exit 2, nothing on stdout, one line on stderr that says each of <paramref name="expected"/>, and no password.</summary>
    private static void AssertRefused(CliResult run, params string[] expected)
    {
        Assert.Equal(2, run.ExitCode);
        Assert.Equal(string.Empty, run.Stdout);
        var line = run.SingleErrorLine();
        foreach (var text in expected)
        {
            Assert.Contains(text, line);
        }

        Assert.DoesNotContain("S3cret", run.Stderr);
    }

    [Fact]
    public async Task LargestAcceptedTimeouts_WorkEndToEnd()
    {
        await using var db = await EngineDatabase.CreateAsync(
            fixture.Server,
            "CREATE TABLE cards (id serial PRIMARY KEY); INSERT INTO cards (id) VALUES (3);");

        var check = await CliRunner.RunAsync("check", "-c", db.ConnectionString, "--statement-timeout", "596h31m23.647s");
        Assert.Equal(1, check.ExitCode);
        Assert.Equal(string.Empty, check.Stderr);

        var repair = await CliRunner.RunAsync(
            "repair",
            "-c",
            db.ConnectionString,
            "--statement-timeout",
            "596h31m23.647s",
            "--lock-timeout",
            "596h31m23.647s",
            "--headroom",
            "9223372036854775807");
        Assert.Equal(2, repair.ExitCode); // so much headroom exhausts the sequence: an error for that entry, not a crash
        Assert.Contains("exhausted", Assert.Single(repair.StderrLines));

        var fixedUp = await CliRunner.RunAsync(
            "repair",
            "-c",
            db.ConnectionString,
            "--statement-timeout",
            "596h31m23.647s",
            "--lock-timeout",
            "596h31m23.647s");
        Assert.Equal(0, fixedUp.ExitCode);
        Assert.Equal(string.Empty, fixedUp.Stderr);
    }

    [Fact]
    public async Task Check_LockTimeout_BoundsTheWaitForALockedTable_AndTheOthersAreStillChecked()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server,
            "CREATE TABLE cards (id serial PRIMARY KEY); INSERT INTO cards (id) VALUES (3); CREATE TABLE tags (id serial PRIMARY KEY); "
                + "INSERT INTO tags (id) VALUES (5);");
        await using var holder = await db.HoldAsync("LOCK TABLE tags IN ACCESS EXCLUSIVE MODE");

        var started = System.Diagnostics.Stopwatch.StartNew();
        var check = await CliRunner.RunAsync("check", "-c", db.ConnectionString, "--lock-timeout", "300ms", "--statement-timeout", "60s");
        started.Stop();

        Assert.Equal(2, check.ExitCode);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"check took {started.Elapsed.TotalSeconds:F1} s");
        Assert.Contains("locked by another session", Assert.Single(check.StderrLines), StringComparison.Ordinal);
        Assert.Contains(
            check.StdoutLines,
            l => l.Contains("public.cards", StringComparison.Ordinal) && l.Contains("Behind", StringComparison.Ordinal));
    }

    [Fact]
    public void RealProgram_OutOfRangeValues_OneLineNoStackTrace()
    {
        var timeout = CliRunner.RunProgram("check", "-c", "Host=127.0.0.1;Username=u;Password=S3cret", "--statement-timeout", "99999999h");
        Assert.Equal(2, timeout.ExitCode);
        Assert.Equal(string.Empty, timeout.Stdout);
        Assert.Contains("--statement-timeout", timeout.SingleErrorLine());

        var port = CliRunner.RunProgram("repair", "--output", "json", "-c", "Host=127.0.0.1;Port=99999;Username=u;Password=S3cret");
        Assert.Equal(2, port.ExitCode);
        Assert.Contains("'Port'", port.SingleErrorLine());
        Assert.DoesNotContain("S3cret", port.Stdout + port.Stderr);
    }
}
