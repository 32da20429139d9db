using System.Globalization;
using System.Net.Sockets;
using Npgsql;

namespace SequenceOperator.Postgres;

/// <summary>
/// Turns driver failures into <see cref="SequenceEngineException"/>s with a message a person can act on. Messages
/// name the host, port, database and user, never a password or a connection string.
/// </summary>
internal static class PostgresErrors
{
    public static async Task<NpgsqlConnection> OpenAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        try
        {
            return await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or SocketException or IOException)
        {
            throw MapOpenFailure(ex, new NpgsqlConnectionStringBuilder(dataSource.ConnectionString));
        }
    }

    /// <summary>
    /// Runs database work on an open connection: a lost connection or a server that stops answering becomes a
    /// <see cref="SequenceEngineException"/>; a statement error (<see cref="PostgresException"/> of a statement-level
    /// class, on a connection that survived it) is left for the caller to handle per entry.
    /// </summary>
    public static async Task<T> RunAsync<T>(NpgsqlConnection connection, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (PostgresException ex) when (!IsConnectionLevel(ex.SqlState) && !IsBroken(connection))
        {
            throw;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw MapRunFailure(ex, connection);
        }
    }

    public static Task RunAsync(NpgsqlConnection connection, Func<Task> work, CancellationToken cancellationToken) =>
        RunAsync(connection, async () =>
        {
            await work().ConfigureAwait(false);
            return 0;
        }, cancellationToken);

    /// <summary>One line for a statement error.</summary>
    public static string Describe(PostgresException ex, TimeSpan statementTimeout) => ex.SqlState switch
    {
        PostgresErrorCodes.QueryCanceled => string.Create(CultureInfo.InvariantCulture,
            $"the statement did not finish within the statement timeout ({statementTimeout.TotalSeconds}s)"),
        PostgresErrorCodes.InsufficientPrivilege => "permission denied: " + ex.MessageText,
        PostgresErrorCodes.LockNotAvailable => "could not get a lock in time: " + ex.MessageText,
        PostgresErrorCodes.DeadlockDetected => "deadlock with another session: " + ex.MessageText,
        _ => ex.MessageText,
    };

    /// <summary>Maps a failure to open a connection: refused, unreachable, no answer, or turned away by the server.</summary>
    public static SequenceEngineException MapOpenFailure(Exception ex, NpgsqlConnectionStringBuilder settings)
    {
        var target = Target(settings);
        if (ex is PostgresException pg)
        {
            return pg.SqlState switch
            {
                PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification =>
                    new SequenceEngineException(
                        EngineFailure.AuthenticationFailed,
                        $"authentication failed for {target}: {pg.MessageText}",
                        pg),
                PostgresErrorCodes.InvalidCatalogName =>
                    new SequenceEngineException(EngineFailure.DatabaseNotFound, $"{pg.MessageText} ({target})", pg),
                PostgresErrorCodes.InsufficientPrivilege =>
                    new SequenceEngineException(EngineFailure.PermissionDenied, $"permission denied for {target}: {pg.MessageText}", pg),
                _ => new SequenceEngineException(
                    EngineFailure.ConnectionFailed,
                    $"the database at {target} refused the connection: {pg.MessageText}",
                    pg),
            };
        }

        if (IsTimeout(ex))
        {
            // Nothing (or not enough) came back in time: a host that drops packets, or a server that accepts
            // connections and then says nothing (its processes stopped, a full backlog, a proxy with no backend).
            return new SequenceEngineException(EngineFailure.Timeout, string.Create(CultureInfo.InvariantCulture,
                $"the server at {HostPort(settings)} did not answer within {settings.Timeout} s (the connect timeout)"), ex);
        }

        return new SequenceEngineException(EngineFailure.ConnectionFailed, $"could not connect to {target}: {Reason(ex)}", ex);
    }

    /// <summary>Maps a failure on a connection that was open: it was lost, or the server stopped answering.</summary>
    public static SequenceEngineException MapRunFailure(Exception ex, NpgsqlConnection connection)
    {
        var settings = new NpgsqlConnectionStringBuilder(connection.ConnectionString);
        var target = Target(settings);
        if (IsTimeout(ex))
        {
            return new SequenceEngineException(EngineFailure.Timeout, string.Create(CultureInfo.InvariantCulture,
                $"the server at {HostPort(settings)} stopped answering: "
                + $"no reply within {connection.CommandTimeout} s (the command timeout)"), ex);
        }

        if (ex is PostgresException pg && !IsBroken(connection))
        {
            // A connection-level class on a connection that survived it (e.g. 53200 out of shared memory).
            return new SequenceEngineException(EngineFailure.Failed, $"the database at {target} failed the run: {pg.MessageText}", pg);
        }

        return new SequenceEngineException(EngineFailure.ConnectionFailed, $"the connection to {target} was lost: {Reason(ex)}", ex);
    }

    /// <summary><c>user@host:port/database</c>, for messages.</summary>
    public static string Target(NpgsqlConnectionStringBuilder settings)
    {
        var user = string.IsNullOrEmpty(settings.Username) ? string.Empty : settings.Username + "@";
        return $"{user}{HostPort(settings)}/{settings.Database}";
    }

    private static string HostPort(NpgsqlConnectionStringBuilder settings) =>
        settings.Host + ":" + settings.Port.ToString(CultureInfo.InvariantCulture);

    private static bool IsTimeout(Exception ex) => Chain(ex).Any(e => e is TimeoutException);

    private static bool IsBroken(NpgsqlConnection connection) =>
        connection.FullState.HasFlag(System.Data.ConnectionState.Broken) || connection.State == System.Data.ConnectionState.Closed;

    /// <summary>Why, in a few words: the server's message, the socket error, or that the server closed the connection.</summary>
    private static string Reason(Exception ex)
    {
        var chain = Chain(ex).ToList();
        return chain.OfType<PostgresException>().FirstOrDefault()?.MessageText
               ?? chain.OfType<SocketException>().FirstOrDefault()?.Message
               ?? (chain.Any(e => e is EndOfStreamException) ? "the server closed the connection" : null)
               ?? chain[^1].Message;
    }

    private static IEnumerable<Exception> Chain(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            yield return e;
        }
    }

    private static bool IsConnectionLevel(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
        || sqlState.StartsWith("28", StringComparison.Ordinal) // authorization
        || sqlState.StartsWith("53", StringComparison.Ordinal) // insufficient resources
        || sqlState.StartsWith("57P", StringComparison.Ordinal) // admin shutdown, crash shutdown, cannot connect now
        || sqlState == PostgresErrorCodes.InvalidCatalogName;
}
