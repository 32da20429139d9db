using Npgsql;

namespace SequenceOperator.Benchmarks.Operator;

/// <summary>
/// Samples <c>pg_stat_activity</c> (as superuser, from one connection of its own) for the operator's connections
/// (<c>application_name = 'sequence-operator'</c>), grouped by database, until disposed: the most seen on one database
/// and in total.
/// </summary>
internal sealed class ConnectionSampler : IAsyncDisposable
{
    public const string OperatorApplicationName = "sequence-operator";

    private const string Query = """
        SELECT datname, count(*)::int FROM pg_stat_activity
        WHERE application_name = @app AND backend_type = 'client backend'
        GROUP BY datname
        """;

    private readonly string _connectionString;
    private readonly TimeSpan _every;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private Task _loop = Task.CompletedTask;
    private int _maxPerDatabase;
    private string? _maxDatabase;
    private int _maxTotal;
    private int _lastTotal;
    private int _samples;

    private ConnectionSampler(string connectionString, TimeSpan every)
    {
        _connectionString = connectionString;
        _every = every;
    }

    public static ConnectionSampler Start(string adminConnectionString, TimeSpan every)
    {
        var sampler = new ConnectionSampler(adminConnectionString, every);
        sampler._loop = sampler.RunAsync(sampler._stop.Token);
        return sampler;
    }

    public sealed record Figures(int MaxPerDatabase, string? MaxDatabase, int MaxTotal, int LastTotal, int Samples);

    /// <summary>The figures so far; throws if sampling failed (a benchmark must not report figures it did not measure).</summary>
    public Figures Current
    {
        get
        {
            if (_loop.IsFaulted)
            {
                _loop.GetAwaiter().GetResult();
            }

            lock (_lock)
            {
                return new Figures(_maxPerDatabase, _maxDatabase, _maxTotal, _lastTotal, _samples);
            }
        }
    }

    /// <summary>One sample now, outside the loop: the operator's connections by database.</summary>
    public static async Task<IReadOnlyDictionary<string, int>> SampleAsync(string adminConnectionString, CancellationToken cancellationToken)
    {
        await using var conn = new NpgsqlConnection(adminConnectionString);
        await conn.OpenAsync(cancellationToken);
        return await SampleAsync(conn, cancellationToken);
    }

    private static async Task<IReadOnlyDictionary<string, int>> SampleAsync(NpgsqlConnection conn, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(Query, conn);
        cmd.Parameters.AddWithValue("app", OperatorApplicationName);
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.IsDBNull(0) ? "(none)" : reader.GetString(0)] = reader.GetInt32(1);
        }

        return result;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var conn = new NpgsqlConnection(_connectionString);
        await conn.OpenAsync(cancellationToken);
        using var timer = new PeriodicTimer(_every);
        do
        {
            var sample = await SampleAsync(conn, cancellationToken);
            lock (_lock)
            {
                _samples++;
                _lastTotal = sample.Values.Sum();
                _maxTotal = Math.Max(_maxTotal, _lastTotal);
                foreach (var (database, count) in sample)
                {
                    if (count > _maxPerDatabase)
                    {
                        _maxPerDatabase = count;
                        _maxDatabase = database;
                    }
                }
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    /// <summary>Stops sampling; rethrows a sampling failure (a benchmark must not report figures it did not measure).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _stop.Dispose();
        }
    }
}
