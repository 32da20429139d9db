using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SequenceOperator.Crd;
using SequenceOperator.Hosting;
using SequenceOperator.Kubernetes.Configuration;
using SequenceOperator.Postgres;

namespace SequenceOperator.Cli;

/// <summary>
/// Entry point for every command. Exit codes for check and repair: 0 nothing behind (repair: all repaired),
/// 1 sequences behind (check, repair --dry-run), 2 any error. Errors go to stderr, one line each, with no secret.
/// </summary>
internal static class CommandLine
{
    public const int Ok = 0;
    public const int Behind = 1;
    public const int Error = 2;

    public static string Version { get; } =
        typeof(CommandLine).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
            ?? "0.0.0";

    public static async Task<int> RunAsync(
        string[] args,
        TextWriter stdout,
        TextWriter stderr,
        CancellationToken cancellationToken,
        ILoggerFactory? loggerFactory = null,
        Func<string, string?>? environment = null)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            stdout.Write(Usage);
            return args.Length == 0 ? Error : Ok;
        }

        if (args[0] is "--version" or "version")
        {
            stdout.WriteLine($"sequence-operator {Version}");
            return Ok;
        }

        var command = args[0];
        var rest = args.Skip(1).ToList();
        try
        {
            return command switch
            {
                "check" or "repair" when rest.Contains("--help") => WriteUsage(stdout),
                "crd" when rest.Count == 0 => WriteCrd(stdout),
                "run" when rest.Contains("--help") => WriteUsage(stdout),
                "run" => await RunOperatorAsync(
                    rest,
                    stderr,
                    environment ?? Environment.GetEnvironmentVariable,
                    cancellationToken).ConfigureAwait(false),
                "check" or "repair" => await RunDatabaseCommandAsync(
                    command,
                    rest,
                    stdout,
                    stderr,
                    loggerFactory ?? NullLoggerFactory.Instance,
                    environment ?? Environment.GetEnvironmentVariable,
                    cancellationToken).ConfigureAwait(false),
                _ => throw new UsageException($"unknown command '{command}'."),
            };
        }
        catch (UsageException ex)
        {
            WriteError(stderr, $"{ex.Message} See 'sequence-operator --help'.");
            return Error;
        }
    }

    /// <summary>One line on stderr, whatever the message holds (a name with a newline is escaped, not broken).</summary>
    private static void WriteError(TextWriter stderr, string message) =>
        stderr.WriteLine("sequence-operator: " + ReportWriter.OneLine(message));

    private static async Task<int> RunOperatorAsync(
        List<string> args,
        TextWriter stderr,
        Func<string, string?> environment,
        CancellationToken cancellationToken)
    {
        var settings = OperatorArguments.Parse(args, environment);
        OperatorArguments.AddOpenTelemetry(settings, Environment.GetEnvironmentVariables());
        WebApplication app;
        try
        {
            app = OperatorHost.Build(settings);
        }
        catch (OptionsValidationException ex)
        {
            WriteError(stderr, string.Join("; ", ex.Failures) + ".");
            return Error;
        }
        catch (KubeconfigException ex)
        {
            WriteError(stderr, ex.Message);
            return Error;
        }

        await using (app)
        {
            await app.RunAsync(cancellationToken).ConfigureAwait(false);
        }

        return Ok;
    }

    private static int WriteCrd(TextWriter stdout)
    {
        stdout.Write(CrdGenerator.GenerateYaml());
        return Ok;
    }

    private static int WriteUsage(TextWriter stdout)
    {
        stdout.Write(Usage);
        return Ok;
    }

    private static async Task<int> RunDatabaseCommandAsync(
        string command,
        List<string> args,
        TextWriter stdout,
        TextWriter stderr,
        ILoggerFactory loggerFactory,
        Func<string, string?> environment,
        CancellationToken cancellationToken)
    {
        var options = DatabaseCommandOptions.Parse(command, args, environment("DATABASE_URL"));
        var repair = command == "repair";
        SequenceReport report;
        RunFailure? failure = null;
        try
        {
            report = await RunEngineAsync(options, repair, loggerFactory, cancellationToken).ConfigureAwait(false);
        }
        catch (SequenceEngineException ex)
        {
            // The run failed as a whole; what it measured or repaired before that is still reported.
            report = ex.PartialReport ?? new SequenceReport { Sequences = [] };
            failure = new RunFailure(ex.Failure, ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A failure nobody foresaw is still one line (and a JSON document), never a stack trace.
            report = new SequenceReport { Sequences = [] };
            failure = new RunFailure(EngineFailure.Failed, $"unexpected error, please report it: {ex.GetType().Name}: {ex.Message}");
        }

        if (options.Output == OutputFormat.Json)
        {
            ReportWriter.WriteJson(report, failure, stdout);
        }
        else if (failure is null || report.Sequences.Count > 0 || report.Errors.Count > 0)
        {
            ReportWriter.WriteText(report, failure, stdout, repair);
        }

        foreach (var entry in report.Sequences.Where(s => s.Status == SequenceStatus.Error))
        {
            WriteError(stderr, $"{Identifiers.Display(entry.Schema, entry.Table)}.{Identifiers.Display(entry.Column)}: {entry.Message}");
        }

        foreach (var error in report.Errors)
        {
            WriteError(stderr, $"{error.Entry}: {error.Message}");
        }

        if (failure is not null)
        {
            WriteError(stderr, failure.Message);
            return Error;
        }

        // The report's own definition of success, the one the operator's Ready condition and checks counter use.
        if (!report.Succeeded)
        {
            return Error;
        }

        return report.Behind.Count > 0 ? Behind : Ok;
    }

    private static async Task<SequenceReport> RunEngineAsync(
        DatabaseCommandOptions options,
        bool repair,
        ILoggerFactory loggerFactory,
        CancellationToken cancellationToken)
    {
        var settings = DatabaseConnection.Parse(options.Connection);
        if (string.IsNullOrEmpty(settings.Host))
        {
            settings.Host = "localhost"; // as libpq: a URI without a host means this machine
        }

        var dataSource = DatabaseConnection.CreateDataSource(
            settings, maxPoolSize: options.Jobs, statementTimeout: options.StatementTimeout);
        await using var dataSourceScope = dataSource.ConfigureAwait(false);
        var engine = new SequenceEngine(loggerFactory.CreateLogger<SequenceEngine>());
        var check = new CheckOptions
        {
            Tables = options.Tables,
            StatementTimeout = options.StatementTimeout,
            LockTimeout = options.LockTimeout,
            Connections = options.Jobs,
        };
        return repair
            ? await engine.RepairAsync(
                dataSource,
                check,
                new RepairOptions { Headroom = options.Headroom, LockTimeout = options.LockTimeout, DryRun = options.DryRun },
                cancellationToken).ConfigureAwait(false)
            : await engine.CheckAsync(dataSource, check, cancellationToken).ConfigureAwait(false);
    }

    // One indentation level less than the code around it, so that its longest lines fit in 140 characters.
    public const string Usage = """
    sequence-operator: keeps PostgreSQL sequences ahead of the data they feed.

    Usage:
      sequence-operator check  [--connection <conn>] [--table [schema.]table[:column]]... [--lock-timeout 2s] [--jobs 2]
                               [--output text|json]
      sequence-operator repair [--connection <conn>] [--table ...]... [--dry-run] [--headroom N] [--lock-timeout 2s] [--jobs 2]
                               [--output text|json]
      sequence-operator run    [--kubeconfig F] [--context C] [--watch-namespaces a,b] [--leader-elect]
                               [--leader-election-namespace NS] [--leader-election-id ID]
                               [--max-concurrent-reconciles 4] [--metrics-port 8080] [--health-port 8081]
                               [--connect-timeout 10s] [--command-timeout 30s] [--event-heartbeat 30m]
                               [--log-format text|json] [--runtime-metrics false] [--heap-slack 8]
                               run the Kubernetes operator; every flag also reads SEQUENCE_OPERATOR_<FLAG>
                               (e.g. SEQUENCE_OPERATOR_WATCH_NAMESPACES)
      sequence-operator crd                         print the SequenceSyncPolicy CustomResourceDefinition
      sequence-operator --version

    Options for check and repair:
      --connection, -c   an Npgsql connection string (Host=...;Database=...;Username=...;Password=...)
                         or a postgres:// / postgresql:// URI; default: the DATABASE_URL environment variable
      --table, -t        a table to check, [schema.]table[:column]; repeat for more; default: every column
                         fed by a sequence in the database. Quote names as in SQL: '"My Table":"Id"'
      --output, -o       text (default) or json: one object, also when the run fails (then exit 2)
      --statement-timeout  bound on each statement (default 30s; 1ms to 596h31m23.647s)
      --dry-run          repair: print the exact SQL the repair would run, change nothing
      --headroom N       repair: leave N spare values past the data (default 0)
      --lock-timeout D   how long to wait for a lock another session holds before reporting that table as
                         locked (repair: also for its own table locks); default 2s; 1ms to 596h31m23.647s
      --jobs, -j N       connections that measure at once on a database of more than about 130 tables
                         (default 2; 1 to 8); each holds at most about 400 locks at a time

    Exit codes: 0 nothing behind (repair: everything behind was repaired),
                1 sequences behind (check, repair --dry-run), 2 any error.

    """;
}
