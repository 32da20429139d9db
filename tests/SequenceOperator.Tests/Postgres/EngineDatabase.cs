using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using SequenceOperator.Postgres;
using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Tests.Postgres;

/// <summary>
/// A fresh database on the shared throwaway server, with the engine pointed at it through the data source the CLI and
/// the operator build (<see cref="DatabaseConnection.CreateDataSource"/>: its type mappings are all the engine has).
/// </summary>
internal sealed class EngineDatabase : IAsyncDisposable
{
    private readonly List<NpgsqlDataSource> _dataSources = [];

    private EngineDatabase(PostgresServer server, string connectionString)
    {
        Server = server;
        ConnectionString = connectionString;
        DataSource = Track(ProductDataSource(connectionString));
    }

    public PostgresServer Server { get; }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public string Name => new NpgsqlConnectionStringBuilder(ConnectionString).Database!;

    public SequenceEngine Engine { get; } = new(NullLogger<SequenceEngine>.Instance);

    public static async Task<EngineDatabase> CreateAsync(PostgresServer server, string setupSql)
    {
        var db = new EngineDatabase(server, await server.CreateDatabaseAsync("engine"));
        if (setupSql.Length > 0)
        {
            await db.ExecuteAsync(setupSql);
        }

        return db;
    }

    public Task ExecuteAsync(string sql) => PostgresServer.ExecuteAsync(ConnectionString, sql);

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var cmd = DataSource.CreateCommand(sql);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>(last_value, is_called) read from the sequence relation.</summary>
    public async Task<(long Last, bool Called)> SequenceStateAsync(string qualifiedSequence)
    {
        await using var cmd = DataSource.CreateCommand($"SELECT last_value, is_called FROM {qualifiedSequence}");
        await using var reader = await cmd.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetBoolean(1));
    }

    public Task<SequenceReport> CheckAsync(params string[] tables) =>
        Engine.CheckAsync(DataSource, Options(tables), CancellationToken.None);

    public Task<SequenceReport> RepairAsync(RepairOptions? repair = null, params string[] tables) =>
        Engine.RepairAsync(DataSource, Options(tables), repair ?? new RepairOptions(), CancellationToken.None);

    /// <summary>
    /// A second session that runs <c>BEGIN; <paramref name="sql"/></c> and keeps the transaction (and its locks) open
    /// until disposed, as a migration or a writer would.
    /// </summary>
    public async Task<NpgsqlConnection> HoldAsync(string sql)
    {
        var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("BEGIN; " + sql, connection);
        await command.ExecuteNonQueryAsync();
        return connection;
    }

    /// <summary>A data source for another role on this database.</summary>
    public NpgsqlDataSource As(string role, string password) =>
        Track(ProductDataSource(Server.ConnectionStringFor(Name, role, password)));

    public static CheckOptions Options(params string[] tables) =>
        new() { Tables = tables.Select(TableSelector.Parse).ToList() };

    public async ValueTask DisposeAsync()
    {
        foreach (var ds in _dataSources)
        {
            await ds.DisposeAsync();
        }
    }

    private static NpgsqlDataSource ProductDataSource(string connectionString) =>
        DatabaseConnection.CreateDataSource(new NpgsqlConnectionStringBuilder(connectionString), CheckOptions.MaxConnections + 2);

    private NpgsqlDataSource Track(NpgsqlDataSource ds)
    {
        _dataSources.Add(ds);
        return ds;
    }
}

internal static class ReportExtensions
{
    public static SequenceEntry Entry(this SequenceReport report, string table, string? column = null) =>
        Assert.Single(report.Sequences, s => s.Table == table && (column is null || s.Column == column));
}
