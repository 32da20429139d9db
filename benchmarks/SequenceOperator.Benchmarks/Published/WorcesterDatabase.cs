using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Benchmarks.Published;

/// <summary>
/// The demo's database (<c>scripts/demo/cityforge.sql</c>): the worcester incident of 2025-11-28, tables whose
/// sequences an import left behind.
/// </summary>
internal static class WorcesterDatabase
{
    /// <summary>Creates it on <paramref name="server"/>; returns a superuser connection string to it.</summary>
    public static async Task<string> CreateAsync(PostgresServer server, CancellationToken cancellationToken)
    {
        var connectionString = await server.CreateDatabaseAsync("cityforge", cancellationToken);
        var sql = await File.ReadAllTextAsync(Path.Combine(PublishedBinary.RepositoryRoot, "scripts", "demo", "cityforge.sql"), cancellationToken);
        await PostgresServer.ExecuteAsync(connectionString, sql, cancellationToken);
        return connectionString;
    }
}
