using System.Globalization;
using Npgsql;
using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Benchmarks.Published;

/// <summary>
/// A whole <c>check</c>, from process start to exit, on the demo's worcester database: the published (NativeAOT)
/// binary with the image's <c>DOTNET_*</c> settings, psql running the troubleshooting notes' check query (per table:
/// <c>MAX(id)</c> and the sequence's <c>last_value</c>, the script piped into one session), and the JIT build
/// (<c>dotnet sequence-operator.dll</c>, what <c>dotnet build</c> makes) for reference. Runs are interleaved, after
/// two warm-up runs of each; wall-clock times, and the command's own CPU time, which other load on the machine moves
/// less. Usage: <c>startup [--binary PATH] [--runs 21]</c>.
/// </summary>
internal static class StartupBenchmark
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        string? binaryPath = null;
        var runs = 21;
        BenchmarkArguments.Read(args, [
            ("--binary", value => binaryPath = value),
            ("--runs", value => runs = BenchmarkArguments.WholeNumber(value)),
        ]);

        var binary = PublishedBinary.Resolve(binaryPath);
        var jit = Path.Combine(PublishedBinary.RepositoryRoot, "src", "SequenceOperator", "bin", "Release", "net10.0", "sequence-operator.dll");
        await using var postgres = await PostgresServer.StartAsync(cancellationToken: cancellationToken);
        var database = await WorcesterDatabase.CreateAsync(postgres, cancellationToken);
        var script = await PostgresServer.ScalarAsync(database, NotesCheckScriptSql, cancellationToken);
        var cs = new NpgsqlConnectionStringBuilder(database);
        string[] psqlArguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", cs.Host!, "-p", cs.Port.ToString(CultureInfo.InvariantCulture), "-U", cs.Username!, "-d", cs.Database!];
        // The psql binary itself, beside the server's (links followed), as in the database's container where the notes run
        // it; Debian's /usr/bin/psql is a Perl wrapper that costs about 50 ms more.
        var initdb = new FileInfo(Path.Combine(PostgresServer.FindBinDir(), "initdb"));
        var psql = Path.Combine(Path.GetDirectoryName((initdb.ResolveLinkTarget(returnFinalTarget: true) ?? initdb).FullName)!, "psql");
        var psqlEnvironment = new Dictionary<string, string> { ["PGPASSWORD"] = cs.Password! };

        var contenders = new List<(string Name, Func<Task<ProcessRun>> Run, int ExpectedExit)>
        {
            ("sequence-operator check (NativeAOT, the published binary)", () => ProcessRun.RunAsync(binary, ["check", "--connection", database], Timeout, PublishedBinary.ImageEnvironment()), 1),
            ("psql, the notes' check query", () => ProcessRun.RunAsync(psql, psqlArguments, Timeout, psqlEnvironment, script), 0),
        };
        if (File.Exists(jit))
        {
            contenders.Add(("dotnet sequence-operator.dll check (JIT build)", () => ProcessRun.RunAsync("dotnet", [jit, "check", "--connection", database], Timeout), 1));
        }

        var times = contenders.Select(_ => new List<ProcessRun>()).ToList();
        for (var run = -2; run < runs; run++)
        {
            for (var c = 0; c < contenders.Count; c++)
            {
                var result = await contenders[c].Run();
                if (result.ExitCode != contenders[c].ExpectedExit)
                {
                    throw new InvalidOperationException($"{contenders[c].Name}: exit code {result.ExitCode}, expected {contenders[c].ExpectedExit}: {result.Errors.Trim()}");
                }

                if (run >= 0)
                {
                    times[c].Add(result);
                }
            }
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"check of the worcester database ({script.Split('\n').Length} tables), whole process, {Environment.ProcessorCount} cores, {runs} interleaved runs of each; milliseconds:"));
        output.WriteLine();
        output.WriteLine("| command | median | fastest | slowest | CPU (user + system), median |");
        output.WriteLine("|---|---:|---:|---:|---:|");
        for (var c = 0; c < contenders.Count; c++)
        {
            var wall = times[c].Select(r => r.Elapsed.TotalMilliseconds).Order().ToList();
            var cpu = times[c].Select(r => r.Cpu.TotalMilliseconds).Order().ToList();
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {contenders[c].Name} | {wall[wall.Count / 2]:F0} | {wall[0]:F0} | {wall[^1]:F0} | {cpu[cpu.Count / 2]:F0} |"));
        }

        return 0;
    }

    /// <summary>The notes' check-all-sequences.sql for this database: one row per sequence-fed column, its MAX and its sequence's last_value.</summary>
    private const string NotesCheckScriptSql = """
        SELECT string_agg(format('SELECT %L AS table_name, (SELECT MAX(%I) FROM %I) AS max_id, (SELECT last_value FROM %s) AS seq_value;',
                                 table_name, column_name, table_name, pg_get_serial_sequence(quote_ident(table_name), column_name)), E'\n' ORDER BY table_name)
        FROM information_schema.columns
        WHERE table_schema = 'public' AND column_default LIKE 'nextval(%'
        """;
}
