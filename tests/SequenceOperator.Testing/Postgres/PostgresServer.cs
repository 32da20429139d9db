using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace SequenceOperator.Testing.Postgres;

/// <summary>
/// A real, throwaway PostgreSQL server: <c>initdb</c> + <c>pg_ctl</c> in a temporary folder, listening on a free
/// loopback port with password (SCRAM) authentication, stopped and deleted on dispose. When the process runs as
/// root the server runs as the <c>postgres</c> user through <c>runuser</c>, as PostgreSQL refuses to run as root.
/// Set <see cref="ConnectionStringVariable"/> to a superuser connection string to use an existing server instead.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string ConnectionStringVariable = "SEQUENCE_OPERATOR_TEST_POSTGRES";
    private const string ServerUser = "postgres";

    private readonly string? _dataRoot;
    private readonly string? _binDir;
    private readonly bool _asPostgresUser;
    private readonly int _maxConnections;
    private readonly int? _maxLocksPerTransaction;
    private int _databaseCounter;

    private PostgresServer(
        string adminConnectionString,
        string? dataRoot,
        string? binDir,
        bool asPostgresUser,
        int maxConnections = DefaultMaxConnections,
        int? maxLocksPerTransaction = TestMaxLocksPerTransaction)
    {
        _maxConnections = maxConnections;
        _maxLocksPerTransaction = maxLocksPerTransaction;
        AdminConnectionString = adminConnectionString;
        _dataRoot = dataRoot;
        _binDir = binDir;
        _asPostgresUser = asPostgresUser;
        var builder = new NpgsqlConnectionStringBuilder(adminConnectionString);
        Host = builder.Host ?? "127.0.0.1";
        Port = builder.Port;
        Password = builder.Password ?? string.Empty;
    }

    /// <summary>A superuser connection string to the <c>postgres</c> database.</summary>
    public string AdminConnectionString { get; }

    public string Host { get; }

    public int Port { get; }

    /// <summary>The superuser's password (random per server).</summary>
    public string Password { get; }

    /// <summary>True when this object started the server (and so can stop and start it).</summary>
    public bool IsOwned => _dataRoot is not null;

    public const int DefaultMaxConnections = 300;

    /// <summary>
    /// The tests' max_locks_per_transaction, above PostgreSQL's 64: set-up scripts (and the benchmark's drift step)
    /// create or touch thousands of tables in one transaction. The engine itself needs no such room; see
    /// <see cref="StartWithStockLockSettingsAsync"/>.
    /// </summary>
    public const int TestMaxLocksPerTransaction = 256;

    /// <summary>
    /// Starts a server (or takes the one <see cref="ConnectionStringVariable"/> names) that allows <paramref name="maxConnections"/>
    /// connections.
    /// </summary>
    public static Task<PostgresServer> StartAsync(
        int maxConnections = DefaultMaxConnections,
        CancellationToken cancellationToken = default) =>
        StartAsync(maxConnections, TestMaxLocksPerTransaction, cancellationToken);

    /// <summary>
    /// Starts a server with PostgreSQL's own lock settings (max_connections 100, max_locks_per_transaction 64: a shared
    /// lock table of 6,400 slots for every session), as a stock production server has them. (With
    /// <see cref="ConnectionStringVariable"/> set, that server is used as it is configured.)
    /// </summary>
    public static Task<PostgresServer> StartWithStockLockSettingsAsync(CancellationToken cancellationToken = default) =>
        StartAsync(100, null, cancellationToken);

    private static async Task<PostgresServer> StartAsync(
        int maxConnections,
        int? maxLocksPerTransaction,
        CancellationToken cancellationToken)
    {
        var existing = Environment.GetEnvironmentVariable(ConnectionStringVariable);
        if (!string.IsNullOrWhiteSpace(existing))
        {
            return new PostgresServer(existing, null, null, false);
        }

        var binDir = FindBinDir();
        var asPostgresUser = Environment.UserName == "root";
        var dataRoot = Path.Combine(Path.GetTempPath(), "seqop-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataRoot);
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
        var pwFile = Path.Combine(dataRoot, "pwfile");
        await File.WriteAllTextAsync(pwFile, password + "\n", cancellationToken);
        if (asPostgresUser)
        {
            await RunAsync("chown", ["-R", ServerUser + ":", dataRoot], null, false, cancellationToken);
        }

        var dataDir = Path.Combine(dataRoot, "data");
        await RunAsync(Path.Combine(binDir, "initdb"),
            ["-D", dataDir, "-U", ServerUser, "--pwfile", pwFile, "-A", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync"],
            null, asPostgresUser, cancellationToken);
        File.Delete(pwFile);

        var server = new PostgresServer(string.Empty, dataRoot, binDir, asPostgresUser, maxConnections, maxLocksPerTransaction);
        Exception? last = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var port = LoopbackPorts.Free();
            try
            {
                await RunAsync(Path.Combine(binDir, "pg_ctl"),
                    [
                        "-D",
                        dataDir,
                        "-l",
                        Path.Combine(dataRoot, "server.log"),
                        "-w",
                        "-t",
                        "120",
                        "-o",
                        ServerSettings(port, dataRoot, maxConnections, maxLocksPerTransaction),
                        "start",
                    ],
                    null, asPostgresUser, cancellationToken);
                var cs = new NpgsqlConnectionStringBuilder
                {
                    Host = "127.0.0.1", Port = port, Username = ServerUser, Password = password, Database = "postgres",
                    Pooling = false, Timeout = 30,
                }.ConnectionString;
                return new PostgresServer(cs, dataRoot, binDir, asPostgresUser, maxConnections, maxLocksPerTransaction);
            }
            catch (InvalidOperationException ex)
            {
                last = ex; // most likely the port was taken between probing and binding: try another
            }
        }

        await server.DisposeAsync();
        throw new InvalidOperationException("Could not start a throwaway PostgreSQL server.", last);
    }

    /// <summary>Creates a fresh, empty database and returns a superuser connection string to it.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "test", CancellationToken cancellationToken = default)
    {
        var counter = Interlocked.Increment(ref _databaseCounter);
        var name = $"{prefix}_{Environment.ProcessId}_{counter}_{Guid.NewGuid().ToString("N")[..6]}".ToLowerInvariant();
        await using (var conn = new NpgsqlConnection(AdminConnectionString))
        {
            await conn.OpenAsync(cancellationToken);
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        return ConnectionStringFor(name);
    }

    /// <summary>A superuser connection string to the given database on this server.</summary>
    public string ConnectionStringFor(string database, string? username = null, string? password = null) =>
        new NpgsqlConnectionStringBuilder(AdminConnectionString)
        {
            Database = database,
            Username = username ?? new NpgsqlConnectionStringBuilder(AdminConnectionString).Username,
            Password = password ?? Password,
        }.ConnectionString;

    /// <summary>Runs SQL (several statements allowed) against a connection string.</summary>
    public static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken = default)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Runs a query and returns its one value as text.</summary>
    public static async Task<string> ScalarAsync(string connectionString, string sql, CancellationToken cancellationToken = default)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(cancellationToken);
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToString(
            await cmd.ExecuteScalarAsync(cancellationToken),
            System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
    }

    /// <summary>Stops an owned server (fast shutdown) without deleting its data; <see cref="RestartAsync"/> brings it back.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        EnsureOwned();
        await RunAsync(Path.Combine(_binDir!, "pg_ctl"), ["-D", Path.Combine(_dataRoot!, "data"), "-m", "fast", "-w", "stop"],
            null, _asPostgresUser, cancellationToken);
    }

    /// <summary>Starts an owned server stopped by <see cref="StopAsync"/> again, on the same port.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        EnsureOwned();
        await RunAsync(Path.Combine(_binDir!, "pg_ctl"),
            ["-D", Path.Combine(_dataRoot!, "data"), "-l", Path.Combine(_dataRoot!, "server.log"), "-w", "-t", "120",
             "-o", ServerSettings(Port, _dataRoot!, _maxConnections, _maxLocksPerTransaction), "start"],
            null, _asPostgresUser, cancellationToken);
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
                    null, _asPostgresUser, CancellationToken.None);
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

    private void EnsureOwned()
    {
        if (!IsOwned)
        {
            throw new InvalidOperationException($"The server comes from {ConnectionStringVariable}; it cannot be stopped by the tests.");
        }
    }

    /// <summary>The folder holding initdb and pg_ctl: PATH first, then Debian's /usr/lib/postgresql/N/bin (highest N).</summary>
    public static string FindBinDir()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl")))
            {
                return dir;
            }
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var best = Directory.GetDirectories(debianRoot)
                .Select(d => (dir: d, version: int.TryParse(Path.GetFileName(d), out var v) ? v : -1))
                .Where(x => x.version > 0 && File.Exists(Path.Combine(x.dir, "bin", "initdb")))
                .OrderByDescending(x => x.version)
                .FirstOrDefault();
            if (best.dir is not null)
            {
                return Path.Combine(best.dir, "bin");
            }
        }

        throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them (apt-get install -y postgresql) " +
            $"or set {ConnectionStringVariable} to a superuser connection string.");
    }

    /// <summary>
    /// A server for tests: loopback only, durability off (throwaway data), and unless null, room for many tables per transaction.
    /// </summary>
    private static string ServerSettings(int port, string dataRoot, int maxConnections, int? maxLocksPerTransaction) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{dataRoot}' -c max_connections={maxConnections} ") +
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_wal_size=4GB" +
        (maxLocksPerTransaction is { } locks ? string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $" -c max_locks_per_transaction={locks}") : string.Empty);

    private static async Task RunAsync(
        string file,
        IReadOnlyList<string> args,
        string? workingDirectory,
        bool asPostgresUser,
        CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo
        {
            FileName = asPostgresUser ? "runuser" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        if (asPostgresUser)
        {
            psi.ArgumentList.Add("-u");
            psi.ArgumentList.Add(ServerUser);
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(file);
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
            throw new InvalidOperationException(
                $"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }
}
