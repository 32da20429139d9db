using System.Globalization;
using System.Text;
using Npgsql;
using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Benchmarks.Published;

/// <summary>
/// The shipped binary against what teams run today, whole process to whole process: <c>sequence-operator check</c>
/// against <c>psql</c> running the troubleshooting notes' check query (per table, <c>MAX(id)</c> and the sequence's
/// <c>last_value</c>), and <c>sequence-operator repair</c> against the notes' <c>fix-all-sequences.sql</c> (per table,
/// <c>setval(seq, COALESCE(MAX(id), 1), true)</c>: no lock, no re-check). On the demo's worcester database, on 1,000
/// and 10,000 tables whose sequences are all behind, and on one table of a million rows. Each run works on its own
/// identical copy (<c>CREATE DATABASE ... TEMPLATE</c>), the contenders alternate run by run, and the table shows
/// medians and their ratio. The server has PostgreSQL's default settings apart from the test server's durability
/// settings (see <see cref="ServerSettings"/>). Usage:
/// <c>compare [--binary PATH] [--runs 5] [--sizes 1000,10000] [--rows 1000000]</c>.
/// </summary>
internal static class CompareBenchmark
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    public const string ServerSettings =
        "PostgreSQL 15, PostgreSQL's defaults (max_connections 100, max_locks_per_transaction 64, shared_buffers 128MB) "
        + "except fsync, synchronous_commit and full_page_writes off (a throwaway server); loopback TCP, SCRAM-SHA-256";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        string? binaryPath = null;
        var runs = 5;
        IReadOnlyList<int> sizes = [1_000, 10_000];
        var rows = 1_000_000;
        BenchmarkArguments.Read(args, [
            ("--binary", value => binaryPath = value),
            ("--runs", value => runs = BenchmarkArguments.WholeNumber(value)),
            ("--sizes", value => sizes = BenchmarkArguments.WholeNumbers(value)),
            ("--rows", value => rows = BenchmarkArguments.WholeNumber(value)),
        ]);

        var binary = PublishedBinary.Resolve(binaryPath);
        await using var server = await PostgresServer.StartWithStockLockSettingsAsync(cancellationToken);
        var psql = PsqlPath();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sequence-operator (the published NativeAOT binary) against psql running the notes' scripts; whole process, "
            + $"{Environment.ProcessorCount} cores, {runs} alternating runs of each on identical copies; median milliseconds (CPU: user + system of the client process)."));
        output.WriteLine(ServerSettings + ".");
        output.WriteLine();
        output.WriteLine("| work | sequence-operator | psql, the notes' script | ratio (psql / ours) | target | met |");
        output.WriteLine("|---|---:|---:|---:|---:|---|");

        var workloads = new List<(string Name, Func<Task<string>> Create, int Tables)>
        {
            ("worcester", () => CreateWorcesterAsync(server, cancellationToken), 5),
        };
        workloads.AddRange(sizes.Select(n => (string.Create(CultureInfo.InvariantCulture, $"{n:N0} tables"),
            (Func<Task<string>>)(() => CreateDriftedAsync(server, n, cancellationToken)), n)));
        workloads.Add((string.Create(CultureInfo.InvariantCulture, $"1 table of {rows:N0} rows"), () => CreateBigAsync(server, rows, cancellationToken), 1));

        foreach (var (name, create, tables) in workloads)
        {
            var template = await create();
            var checkScript = await PostgresServer.ScalarAsync(template, NotesScriptSql(repair: false), cancellationToken);
            var fixScript = await PostgresServer.ScalarAsync(template, NotesScriptSql(repair: true), cancellationToken);
            var check = await CompareAsync(server, template, runs, binary, ["check"], 1, psql, checkScript, copy: false, cancellationToken);
            Row(output, $"check, {name}", check, tables <= 5 ? 1 : 3);
            var repair = await CompareAsync(server, template, runs, binary, ["repair"], 0, psql, fixScript, copy: true, cancellationToken);
            Row(output, $"repair, {name}", repair, 1);
        }

        return 0;
    }

    private sealed record Result(double Ours, double OursCpu, double Psql, double PsqlCpu);

    private static void Row(TextWriter output, string work, Result r, double target)
    {
        var ratio = r.Psql / r.Ours;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {work} | {r.Ours:F0} (CPU {r.OursCpu:F0}) | {r.Psql:F0} (CPU {r.PsqlCpu:F0}) | {ratio:F2}x | {target:F0}x | {(ratio >= target ? "yes" : "no")} |"));
    }

    /// <summary>
    /// Alternates the binary and psql; with <paramref name="copy"/> (a repair changes what it runs on), each run on a
    /// fresh copy of <paramref name="template"/> made before the clock starts, else all on the template (a check
    /// changes nothing). One warm-up run of each; returns the medians.
    /// </summary>
    private static async Task<Result> CompareAsync(PostgresServer server, string template, int runs, string binary, string[] command,
        int expectedExit, string psql, string script, bool copy, CancellationToken cancellationToken)
    {
        var ours = new List<ProcessRun>();
        var theirs = new List<ProcessRun>();
        for (var run = -1; run < runs; run++)
        {
            // Alternate which goes first, so neither always meets the other's leftovers (caches, autovacuum).
            for (var turn = 0; turn < 2; turn++)
            {
                var database = copy ? await CopyAsync(server, template, cancellationToken) : template;
                var result = (turn + run) % 2 == 0
                    ? await RunOursAsync(binary, command, database, expectedExit)
                    : await RunPsqlAsync(psql, database, script);
                if (copy)
                {
                    await DropAsync(server, database, cancellationToken);
                }
                if (run >= 0)
                {
                    ((turn + run) % 2 == 0 ? ours : theirs).Add(result);
                }
            }
        }

        static double Median(IEnumerable<double> values)
        {
            var sorted = values.Order().ToList();
            return sorted[sorted.Count / 2];
        }

        return new Result(
            Median(ours.Select(r => r.Elapsed.TotalMilliseconds)), Median(ours.Select(r => r.Cpu.TotalMilliseconds)),
            Median(theirs.Select(r => r.Elapsed.TotalMilliseconds)), Median(theirs.Select(r => r.Cpu.TotalMilliseconds)));
    }

    private static async Task<ProcessRun> RunOursAsync(string binary, string[] command, string connectionString, int expectedExit)
    {
        var result = await ProcessRun.RunAsync(binary, [.. command, "--connection", connectionString], Timeout, PublishedBinary.ImageEnvironment());
        return result.ExitCode == expectedExit
            ? result
            : throw new InvalidOperationException($"sequence-operator {command[0]}: exit code {result.ExitCode}, expected {expectedExit}: {result.Errors.Trim()}");
    }

    private static async Task<ProcessRun> RunPsqlAsync(string psql, string connectionString, string script)
    {
        var cs = new NpgsqlConnectionStringBuilder(connectionString);
        string[] arguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", cs.Host!, "-p", cs.Port.ToString(CultureInfo.InvariantCulture), "-U", cs.Username!, "-d", cs.Database!];
        var result = await ProcessRun.RunAsync(psql, arguments, Timeout, new Dictionary<string, string> { ["PGPASSWORD"] = cs.Password! }, script);
        return result.ExitCode == 0 ? result : throw new InvalidOperationException($"psql: exit code {result.ExitCode}: {result.Errors.Trim()}");
    }

    /// <summary>The psql binary itself, beside the server's (Debian's /usr/bin/psql is a Perl wrapper that costs about 50 ms more).</summary>
    private static string PsqlPath()
    {
        var initdb = new FileInfo(Path.Combine(PostgresServer.FindBinDir(), "initdb"));
        return Path.Combine(Path.GetDirectoryName((initdb.ResolveLinkTarget(returnFinalTarget: true) ?? initdb).FullName)!, "psql");
    }

    private static async Task<string> CopyAsync(PostgresServer server, string template, CancellationToken cancellationToken)
    {
        var source = new NpgsqlConnectionStringBuilder(template).Database!;
        var name = source + "_" + Guid.NewGuid().ToString("N")[..8];
        await PostgresServer.ExecuteAsync(server.AdminConnectionString,
            $"CREATE DATABASE \"{name}\" TEMPLATE \"{source}\" STRATEGY FILE_COPY", cancellationToken);
        return server.ConnectionStringFor(name);
    }

    private static Task DropAsync(PostgresServer server, string connectionString, CancellationToken cancellationToken) =>
        PostgresServer.ExecuteAsync(server.AdminConnectionString,
            $"DROP DATABASE \"{new NpgsqlConnectionStringBuilder(connectionString).Database}\" WITH (FORCE)", cancellationToken);

    private static async Task<string> CreateWorcesterAsync(PostgresServer server, CancellationToken cancellationToken)
    {
        var database = await WorcesterDatabase.CreateAsync(server, cancellationToken);
        await PostgresServer.ExecuteAsync(database, "VACUUM ANALYZE", cancellationToken);
        return database;
    }

    /// <summary>N tables, each with an explicit id 1000 written past its sequence, which handed out 1 to 3 first: all N behind.</summary>
    private static async Task<string> CreateDriftedAsync(PostgresServer server, int tables, CancellationToken cancellationToken)
    {
        var database = await server.CreateDatabaseAsync(string.Create(CultureInfo.InvariantCulture, $"drift{tables}"), cancellationToken);
        await DriftFixture.CreateAsync(database, tables, cancellationToken);
        return database;
    }

    private static async Task<string> CreateBigAsync(PostgresServer server, int rows, CancellationToken cancellationToken)
    {
        var database = await server.CreateDatabaseAsync("million", cancellationToken);
        await PostgresServer.ExecuteAsync(database, string.Create(CultureInfo.InvariantCulture, $"""
            CREATE TABLE big (id bigserial PRIMARY KEY, payload text);
            INSERT INTO big (payload) VALUES ('first');
            INSERT INTO big (id, payload) SELECT g, 'row ' || g FROM generate_series(2, {rows}) g;
            """), cancellationToken);
        await PostgresServer.ExecuteAsync(database, "VACUUM ANALYZE", cancellationToken);
        return database;
    }

    /// <summary>
    /// The notes' scripts for this database, one statement per sequence-fed column (as the notes' scripts list the
    /// tables): check-all-sequences.sql, or fix-all-sequences.sql.
    /// </summary>
    private static string NotesScriptSql(bool repair)
    {
        var sb = new StringBuilder("SELECT string_agg(format(");
        sb.Append(repair
            ? "'SELECT setval(%L, COALESCE((SELECT MAX(%I) FROM %I), 1), true);', pg_get_serial_sequence(quote_ident(table_name), column_name), column_name, table_name"
            : "'SELECT %L AS table_name, (SELECT MAX(%I) FROM %I) AS max_id, (SELECT last_value FROM %s) AS seq_value;', table_name, column_name, table_name, pg_get_serial_sequence(quote_ident(table_name), column_name)");
        sb.Append("), E'\\n' ORDER BY table_name) FROM information_schema.columns WHERE table_schema = 'public' AND column_default LIKE 'nextval(%'");
        return sb.ToString();
    }
}
