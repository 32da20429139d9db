using System.Globalization;
using SequenceOperator.Postgres;

namespace SequenceOperator.Cli;

internal enum OutputFormat
{
    Text,
    Json,
}

/// <summary>What <c>check</c> and <c>repair</c> were asked to do.</summary>
internal sealed record DatabaseCommandOptions
{
    public required string Connection { get; init; }

    public IReadOnlyList<TableSelector> Tables { get; init; } = [];

    public OutputFormat Output { get; init; } = OutputFormat.Text;

    public bool DryRun { get; init; }

    public long Headroom { get; init; }

    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan StatementTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Connections that measure at once (<c>--jobs</c>, as pg_dump's and vacuumdb's): 2 by default, so a large
    /// database is measured by two backends while a small one (one chunk) still opens one.
    /// </summary>
    public int Jobs { get; init; } = 2;

    /// <summary>
    /// Parses the options after the command name. <c>--connection</c> falls back to <paramref name="databaseUrl"/>
    /// (the <c>DATABASE_URL</c> environment variable).
    /// </summary>
    /// <exception cref="UsageException">Bad or missing options.</exception>
    public static DatabaseCommandOptions Parse(string command, IReadOnlyList<string> args, string? databaseUrl)
    {
        var repair = command == "repair";
        string? connection = null;
        var tables = new List<TableSelector>();
        var result = new DatabaseCommandOptions { Connection = string.Empty };
        for (var i = 0; i < args.Count; i++)
        {
            var (name, inline) = SplitInline(args[i]);
            string Value()
            {
                if (inline is not null)
                {
                    return inline;
                }

                if (i + 1 >= args.Count)
                {
                    throw new UsageException($"{name} needs a value.");
                }

                return args[++i];
            }

            switch (name)
            {
                case "--connection" or "-c":
                    connection = Value();
                    break;
                case "--table" or "-t":
                    var entry = Value();
                    try
                    {
                        tables.Add(TableSelector.Parse(entry));
                    }
                    catch (FormatException ex)
                    {
                        throw new UsageException(ex.Message);
                    }

                    break;
                case "--output" or "-o":
                    result = result with
                    {
                        Output = Value() switch
                        {
                            "text" => OutputFormat.Text,
                            "json" => OutputFormat.Json,
                            var other => throw new UsageException($"--output must be text or json, not '{other}'."),
                        },
                    };
                    break;
                case "--statement-timeout":
                    result = result with { StatementTimeout = ParseDuration(name, Value()) };
                    break;
                case "--dry-run" when repair:
                    result = result with { DryRun = true };
                    break;
                case "--headroom" when repair:
                    var headroom = Value();
                    result = result with
                    {
                        Headroom = long.TryParse(headroom, NumberStyles.None, CultureInfo.InvariantCulture, out var h)
                            ? h
                            : throw new UsageException(
                                $"--headroom must be a whole number from 0 to {long.MaxValue.ToString(CultureInfo.InvariantCulture)}, not "
                                    + $"'{headroom}'."),
                    };
                    break;
                case "--lock-timeout":
                    result = result with { LockTimeout = ParseDuration(name, Value()) };
                    break;
                case "--jobs" or "-j":
                    var jobs = Value();
                    result = result with
                    {
                        Jobs = int.TryParse(jobs, NumberStyles.None, CultureInfo.InvariantCulture, out var j)
                            && j is >= 1 and <= CheckOptions.MaxConnections
                            ? j
                            : throw new UsageException(
                                $"--jobs must be a whole number from 1 to {CheckOptions.MaxConnections}, not '{jobs}'."),
                    };
                    break;
                default:
                    // An argument that is not an option is not echoed: it may be a connection string with a password.
                    throw new UsageException(name.StartsWith('-')
                        ? $"unknown option '{name}' for {command}."
                        : $"unexpected argument #{i + 1} for {command}: options start with -- (a database goes in --connection).");
            }
        }

        connection ??= databaseUrl;
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new UsageException("no database given: pass --connection <connection string or postgres:// URI>, or set DATABASE_URL.");
        }

        return result with { Connection = connection, Tables = tables };
    }

    private static (string Name, string? Inline) SplitInline(string arg)
    {
        if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 2)
        {
            return (arg[..eq], arg[(eq + 1)..]);
        }

        return (arg, null);
    }

    /// <summary>
    /// The most PostgreSQL takes for <c>statement_timeout</c> and <c>lock_timeout</c>: INT_MAX milliseconds,
    /// 596h31m23.647s (about 24.8 days). The least that means anything is 1ms (0 would mean no limit at all).
    /// </summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    private static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(1);

    private static TimeSpan ParseDuration(string name, string value) =>
        Entities.KubernetesDuration.TryParse(value, out var duration) && duration >= MinTimeout && duration <= MaxTimeout
            ? duration
            : throw new UsageException(
                $"{name} must be a duration from 1ms to 596h31m23.647s (PostgreSQL's limit), such as 500ms, 2s or 1m, not '{value}'.");
}

/// <summary>The command line was wrong: exit 2 with the message and a hint to --help.</summary>
internal sealed class UsageException(string message) : Exception(message)
{
    public UsageException()
        : this("invalid command line")
    {
    }

    public UsageException(string message, Exception innerException)
        : this(message + " " + innerException.Message)
    {
    }
}
