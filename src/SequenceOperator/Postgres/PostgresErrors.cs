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
            return await dataSource.OpenConnectionAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or SocketException or IOException)
        {
            throw Map(ex, Target(dataSource.ConnectionString));
        }
    }

    /// <summary>
    /// Runs database work: a lost connection becomes a <see cref="SequenceEngineException"/>; a statement error
    /// (<see cref="PostgresException"/> of a statement-level class) is left for the caller to handle per entry.
    /// </summary>
    public static async Task<T> RunAsync<T>(NpgsqlConnection connection, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            return await work();
        }
        catch (PostgresException ex) when (!IsConnectionLevel(ex.SqlState))
        {
            throw;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException && !cancellationToken.IsCancellationRequested)
        {
            throw Map(ex, Target(connection.ConnectionString));
        }
    }

    public static Task RunAsync(NpgsqlConnection connection, Func<Task> work, CancellationToken cancellationToken) =>
        RunAsync(connection, async () =>
        {
            await work();
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

    /// <summary>Maps any failure at the connection level.</summary>
    public static SequenceEngineException Map(Exception ex, string target)
    {
        if (ex is PostgresException pg)
        {
            return pg.SqlState switch
            {
                PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification =>
                    new SequenceEngineException(EngineFailure.AuthenticationFailed, $"authentication failed for {target}: {pg.MessageText}", pg),
                PostgresErrorCodes.InvalidCatalogName =>
                    new SequenceEngineException(EngineFailure.DatabaseNotFound, $"{pg.MessageText} ({target})", pg),
                PostgresErrorCodes.InsufficientPrivilege =>
                    new SequenceEngineException(EngineFailure.PermissionDenied, $"permission denied for {target}: {pg.MessageText}", pg),
                _ => new SequenceEngineException(EngineFailure.ConnectionFailed, $"the database at {target} refused or dropped the connection: {pg.MessageText}", pg),
            };
        }

        if (ex is TimeoutException || ex.InnerException is TimeoutException)
        {
            return new SequenceEngineException(EngineFailure.Timeout, $"timed out connecting to {target}", ex);
        }

        var socket = ex as SocketException ?? ex.InnerException as SocketException ?? ex.InnerException?.InnerException as SocketException;
        if (socket is not null)
        {
            return new SequenceEngineException(EngineFailure.ConnectionFailed, $"could not connect to {target}: {socket.Message}", ex);
        }

        return new SequenceEngineException(EngineFailure.ConnectionFailed, $"could not talk to the database at {target}: {ex.Message}", ex);
    }

    /// <summary><c>user@host:port/database</c>, for messages.</summary>
    public static string Target(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var user = string.IsNullOrEmpty(builder.Username) ? string.Empty : builder.Username + "@";
        return $"{user}{builder.Host}:{builder.Port.ToString(CultureInfo.InvariantCulture)}/{builder.Database}";
    }

    private static bool IsConnectionLevel(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
        || sqlState.StartsWith("28", StringComparison.Ordinal) // authorization
        || sqlState.StartsWith("53", StringComparison.Ordinal) // insufficient resources
        || sqlState.StartsWith("57P", StringComparison.Ordinal) // admin shutdown, crash shutdown, cannot connect now
        || sqlState == PostgresErrorCodes.InvalidCatalogName;
}
