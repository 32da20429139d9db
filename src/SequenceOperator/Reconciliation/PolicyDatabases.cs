using System.Collections.Concurrent;
using Npgsql;
using SequenceOperator.Metrics;
using SequenceOperator.Postgres;

namespace SequenceOperator.Reconciliation;

/// <summary>
/// The policies' connection pools. A policy's pool (at most <see cref="MaxConnectionsPerPolicy"/> connections, each
/// carrying the operator's application name) is built for a check from the Secret that check just read, and closed,
/// with its connections, when the check ends. So a rotated password or a changed target applies at the next check,
/// a deleted policy leaves nothing open, and no tenant database holds an idle connection of the operator between
/// checks. Checks are minutes apart: a pool kept between them would save one connection set-up per check and cost
/// Npgsql's per-pool state (about 70 KB, more with an idle connection) for every policy, all the time.
/// </summary>
internal sealed class PolicyDatabases
{
    public const int MaxConnectionsPerPolicy = 2;

    // Npgsql's largest Timeout, in seconds.
    private const int NpgsqlMaxTimeoutSeconds = 1024;

    // The pools open now: at most one per policy (the work queue runs one check of a policy at a time), which is what
    // keeps a database at MaxConnectionsPerPolicy connections.
    private readonly ConcurrentDictionary<PolicyKey, NpgsqlDataSource> _open = new();

    /// <summary>
    /// Opens the policy's pool for one check; dispose it when the check ends. A new connection gets at most
    /// <paramref name="connectTimeout"/> (whole seconds, at least 1) to be accepted and answered, less if the Secret
    /// asks for less; statements run under <paramref name="statementTimeout"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">A check of this policy is already running (the work queue prevents it).</exception>
    public PolicyPool Open(PolicyKey policy, NpgsqlConnectionStringBuilder settings, TimeSpan connectTimeout, TimeSpan statementTimeout)
    {
        var dataSource = DatabaseConnection.CreateDataSource(
            WithConnectTimeout(settings, connectTimeout),
            MaxConnectionsPerPolicy,
            statementTimeout);
        if (!_open.TryAdd(policy, dataSource))
        {
            dataSource.Dispose();
            throw new InvalidOperationException($"A check of policy {policy} is already running.");
        }

        return new PolicyPool(this, policy, dataSource);
    }

    /// <summary>
    /// The settings with Npgsql's Timeout bounded: a Secret's connect_timeout may shorten it, never lengthen or disable it (0).
    /// </summary>
    internal static NpgsqlConnectionStringBuilder WithConnectTimeout(NpgsqlConnectionStringBuilder settings, TimeSpan connectTimeout)
    {
        var bound = (int)Math.Clamp(Math.Ceiling(connectTimeout.TotalSeconds), 1, NpgsqlMaxTimeoutSeconds);
        var stated = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = settings.ConnectionString }.ContainsKey(
            nameof(NpgsqlConnectionStringBuilder.Timeout));
        return new NpgsqlConnectionStringBuilder(settings.ConnectionString)
        {
            Timeout = stated && settings.Timeout is > 0 && settings.Timeout < bound ? settings.Timeout : bound,
        };
    }

    private async ValueTask CloseAsync(PolicyKey policy, NpgsqlDataSource dataSource)
    {
        _open.TryRemove(new KeyValuePair<PolicyKey, NpgsqlDataSource>(policy, dataSource));
        await dataSource.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A policy's pool for the length of one check.</summary>
    internal sealed class PolicyPool(PolicyDatabases owner, PolicyKey policy, NpgsqlDataSource dataSource) : IAsyncDisposable
    {
        public NpgsqlDataSource DataSource { get; } = dataSource;

        public ValueTask DisposeAsync() => owner.CloseAsync(policy, DataSource);
    }
}
