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

    // The pools open now: at most one per policy (the work queue runs one check of a policy at a time), which is what
    // keeps a database at MaxConnectionsPerPolicy connections.
    private readonly ConcurrentDictionary<PolicyKey, NpgsqlDataSource> _open = new();

    /// <summary>Opens the policy's pool for one check; dispose it when the check ends.</summary>
    /// <exception cref="InvalidOperationException">A check of this policy is already running (the work queue prevents it).</exception>
    public PolicyPool Open(PolicyKey policy, NpgsqlConnectionStringBuilder settings, TimeSpan statementTimeout)
    {
        var dataSource = DatabaseConnection.CreateDataSource(settings, MaxConnectionsPerPolicy, statementTimeout);
        if (!_open.TryAdd(policy, dataSource))
        {
            dataSource.Dispose();
            throw new InvalidOperationException($"A check of policy {policy} is already running.");
        }

        return new PolicyPool(this, policy, dataSource);
    }

    private async ValueTask CloseAsync(PolicyKey policy, NpgsqlDataSource dataSource)
    {
        _open.TryRemove(new KeyValuePair<PolicyKey, NpgsqlDataSource>(policy, dataSource));
        await dataSource.DisposeAsync();
    }

    /// <summary>A policy's pool for the length of one check.</summary>
    internal sealed class PolicyPool(PolicyDatabases owner, PolicyKey policy, NpgsqlDataSource dataSource) : IAsyncDisposable
    {
        public NpgsqlDataSource DataSource { get; } = dataSource;

        public ValueTask DisposeAsync() => owner.CloseAsync(policy, DataSource);
    }
}
