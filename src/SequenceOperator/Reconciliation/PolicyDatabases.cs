using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using SequenceOperator.Metrics;
using SequenceOperator.Postgres;

namespace SequenceOperator.Reconciliation;

/// <summary>
/// One small connection pool per policy (at most <see cref="MaxConnectionsPerPolicy"/> connections, idle ones closed
/// after 15 s), rebuilt when the Secret's resourceVersion or the connection target changes, closed when the policy goes away.
/// Every connection carries the operator's application name.
/// </summary>
internal sealed class PolicyDatabases : IAsyncDisposable
{
    public const int MaxConnectionsPerPolicy = 2;

    private readonly ConcurrentDictionary<PolicyKey, Entry> _pools = new();

    private sealed record Entry(string Fingerprint, NpgsqlDataSource DataSource);

    /// <summary>The policy's pool for these settings, building (and closing the old one) when they changed.</summary>
    public async Task<NpgsqlDataSource> GetAsync(PolicyKey policy, string secretResourceVersion, NpgsqlConnectionStringBuilder settings, TimeSpan statementTimeout)
    {
        var fingerprint = Fingerprint(secretResourceVersion, settings, statementTimeout);
        if (_pools.TryGetValue(policy, out var existing) && existing.Fingerprint == fingerprint)
        {
            return existing.DataSource;
        }

        // Checks are minutes apart: close idle connections soon after a check rather than hold one per database.
        var tuned = new NpgsqlConnectionStringBuilder(settings.ConnectionString)
        {
            ConnectionIdleLifetime = 15,
            ConnectionPruningInterval = 5,
        };
        var created = new Entry(fingerprint, DatabaseConnection.CreateDataSource(tuned, MaxConnectionsPerPolicy, statementTimeout));
        _pools[policy] = created;
        if (existing is not null)
        {
            await existing.DataSource.DisposeAsync();
        }

        return created.DataSource;
    }

    /// <summary>Closes the policy's pool, if any.</summary>
    public async Task RemoveAsync(PolicyKey policy)
    {
        if (_pools.TryRemove(policy, out var entry))
        {
            await entry.DataSource.DisposeAsync();
        }
    }

    public int Count => _pools.Count;

    public async ValueTask DisposeAsync()
    {
        foreach (var key in _pools.Keys)
        {
            await RemoveAsync(key);
        }
    }

    /// <summary>A hash of everything the pool depends on; the password is part of it but never kept in clear.</summary>
    private static string Fingerprint(string secretResourceVersion, NpgsqlConnectionStringBuilder settings, TimeSpan statementTimeout) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{secretResourceVersion}\n{settings.ConnectionString}\n{statementTimeout.Ticks}")));
}
