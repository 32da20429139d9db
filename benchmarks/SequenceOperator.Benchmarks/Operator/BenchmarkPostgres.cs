using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;
using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Benchmarks.Operator;

/// <summary>
/// The benchmark's own throwaway PostgreSQL server. <see cref="PostgresServer"/> (the tests' helper) fixes
/// <c>max_connections</c> at 300, but the operator keeps a connection per policy open for 60 s after each check, so
/// 500 policies need more than 500 server connections (up to 2 per database by design): this server is started with
/// <c>max_connections</c> sized for the run. Same recipe otherwise (initdb + pg_ctl on loopback, SCRAM, no fsync,
/// run as <c>postgres</c> when the benchmark runs as root). With <see cref="PostgresServer.ConnectionStringVariable"/>
/// set, that server is used instead (its <c>max_connections</c> is checked).
/// </summary>
internal sealed class BenchmarkPostgres : IAsyncDisposable
{
    private const string ServerUser = "postgres";
    private readonly string? _dataRoot;
    private readonly string? _binDir;
    private readonly bool _asPostgresUser;

    private BenchmarkPostgres(string adminConnectionString, int maxConnections, string? dataRoot, string? binDir, bool asPostgresUser)
    {
        AdminConnectionString = adminConnectionString;
        MaxConnections = maxConnections;
        _dataRoot = dataRoot;
        _binDir = binDir;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>A superuser connection string to the <c>postgres</c> database (no pooling, application name <c>seqop-bench</c>).</summary>
    public string AdminConnectionString { get; }

    public int MaxConnections { get; }

    public static async Task<BenchmarkPostgres> StartAsync(int maxConnections, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(PostgresServer.ConnectionStringVariable) is { Length: > 0 } existing)
        {
            var admin = new NpgsqlConnectionStringBuilder(existing) { Pooling = false, ApplicationName = "seqop-bench" }.ConnectionString;
            var actual = int.Parse(await ScalarAsync(admin, "SHOW max_connections", cancellationToken), CultureInfo.InvariantCulture);
            return actual >= maxConnections
                ? new BenchmarkPostgres(admin, actual, null, null, false)
                : throw new InvalidOperationException(
                    $"the server from {PostgresServer.ConnectionStringVariable} has max_connections {actual}; this run needs {maxConnections}");
        }

        var binDir = PostgresServer.FindBinDir();
        var asPostgresUser = Environment.UserName == "root";
        var dataRoot = Path.Combine(Path.GetTempPath(), "seqop-bench-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataRoot);
        var server = new BenchmarkPostgres(string.Empty, maxConnections, dataRoot, binDir, asPostgresUser);
        try
        {
            var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
            var pwFile = Path.Combine(dataRoot, "pwfile");
            await File.WriteAllTextAsync(pwFile, password + "\n", cancellationToken);
            if (asPostgresUser)
            {
                await RunAsync("chown", ["-R", ServerUser + ":", dataRoot], false, cancellationToken);
            }

            var dataDir = Path.Combine(dataRoot, "data");
            await RunAsync(Path.Combine(binDir, "initdb"),
                ["-D", dataDir, "-U", ServerUser, "--pwfile", pwFile, "-A", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync"],
                asPostgresUser, cancellationToken);
            File.Delete(pwFile);

            var port = FreePort();
            var settings = string.Create(CultureInfo.InvariantCulture,
                $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{dataRoot}' -c max_connections={maxConnections} ") +
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB -c max_locks_per_transaction=128";
            await RunAsync(Path.Combine(binDir, "pg_ctl"),
                ["-D", dataDir, "-l", Path.Combine(dataRoot, "server.log"), "-w", "-t", "120", "-o", settings, "start"],
                asPostgresUser, cancellationToken);
            var cs = new NpgsqlConnectionStringBuilder
            {
                Host = "127.0.0.1", Port = port, Username = ServerUser, Password = password, Database = "postgres",
                Pooling = false, Timeout = 30, CommandTimeout = 600, ApplicationName = "seqop-bench",
            }.ConnectionString;
            return new BenchmarkPostgres(cs, maxConnections, dataRoot, binDir, asPostgresUser);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A superuser connection string to <paramref name="database"/> (no pooling).</summary>
    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = database }.ConnectionString;

    public static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<string> ScalarAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToString(await cmd.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) ?? string.Empty;
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataRoot is null)
        {
            return;
        }

        try
        {
            if (File.Exists(Path.Combine(_dataRoot, "data", "postmaster.pid")))
            {
                await RunAsync(Path.Combine(_binDir!, "pg_ctl"), ["-D", Path.Combine(_dataRoot, "data"), "-m", "immediate", "-w", "stop"],
                    _asPostgresUser, CancellationToken.None);
            }
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }

        try
        {
            Directory.Delete(_dataRoot, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args, bool asPostgresUser, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo
        {
            FileName = asPostgresUser ? "runuser" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        if (asPostgresUser)
        {
            foreach (var a in new[] { "-u", ServerUser, "--", file })
            {
                psi.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }
}
