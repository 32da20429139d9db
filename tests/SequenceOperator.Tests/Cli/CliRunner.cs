using System.Net;
using System.Net.Sockets;
using Npgsql;
using SequenceOperator.Cli;
using SequenceOperator.Tests.Deployment;

namespace SequenceOperator.Tests.Cli;

/// <summary>What one run of the command line printed and returned.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public IReadOnlyList<string> StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public IReadOnlyList<string> StdoutLines => Stdout.Split('\n');

    /// <summary>The run said what went wrong in one line on stderr, with no stack trace or exception dump.</summary>
    public string SingleErrorLine()
    {
        var line = Assert.Single(StderrLines);
        Assert.StartsWith("sequence-operator: ", line);
        Assert.DoesNotContain("   at ", Stderr);
        Assert.DoesNotContain("Exception", Stderr);
        return line;
    }
}

/// <summary>Runs the command line in process (as the tests do) or as the built program (the real flow).</summary>
internal static class CliRunner
{
    public static async Task<CliResult> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.RunAsync(args, stdout, stderr, CancellationToken.None, environment: _ => null);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// Runs the <c>sequence-operator</c> program built next to the tests: Program.cs, the real console, the real exit code.
    /// </summary>
    public static CliResult RunProgram(params string[] args)
    {
        var result = Tool.Run(Path.Combine(AppContext.BaseDirectory, "sequence-operator"), args);
        return new CliResult(result.ExitCode, result.Stdout, result.Stderr);
    }
}

/// <summary>A server that accepts TCP connections and never says a word, like a PostgreSQL whose processes are stopped.</summary>
internal sealed class SilentServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<TcpClient> _clients = [];
    private readonly CancellationTokenSource _stop = new();
    private int _accepted;

    public SilentServer()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many connections were accepted.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_clients)
                {
                    _clients.Add(client);
                }

                Interlocked.Increment(ref _accepted);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            // stopped
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients)
        {
            _clients.ForEach(c => c.Dispose());
        }

        _stop.Dispose();
    }
}

/// <summary>
/// A TCP proxy in front of the real PostgreSQL server that interferes once a connection is established: when the
/// client sends its first query (after start-up and authentication), the proxy runs <c>atFirstQuery</c> before
/// forwarding it, then either forwards it or cuts the connection (a reset, as when the server's host dies).
/// </summary>
internal sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _sockets = [];
    private readonly string _host;
    private readonly int _port;
    private readonly Func<CancellationToken, Task<bool>> _atFirstQuery;
    private int _triggered;

    /// <param name="upstream">A connection string to the real server.</param>
    /// <param name="atFirstQuery">Runs when the first query arrives; returns true to forward it, false to cut the connection.</param>
    public FaultProxy(string upstream, Func<CancellationToken, Task<bool>> atFirstQuery)
    {
        var b = new NpgsqlConnectionStringBuilder(upstream);
        _host = b.Host!;
        _port = b.Port;
        _atFirstQuery = atFirstQuery;
        _listener.Start();
        _ = AcceptAsync();
    }

    /// <summary>The upstream connection string, pointed at the proxy (no TLS, so the proxy sees message boundaries).</summary>
    public string ConnectionString(string upstream) =>
        new NpgsqlConnectionStringBuilder(upstream)
        {
            Host = "127.0.0.1",
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port,
            SslMode = SslMode.Disable,
        }.ConnectionString;

    public static FaultProxy CutAtFirstQuery(string upstream) => new(upstream, _ => Task.FromResult(false));

    /// <summary>Holds the first query and never answers it, as a server that stops mid-run (until the proxy is disposed).</summary>
    public static FaultProxy StallAtFirstQuery(string upstream) => new(upstream, async stop =>
    {
        await Task.Delay(Timeout.Infinite, stop);
        return false;
    });

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(_host, _port, _stop.Token);
                lock (_sockets)
                {
                    _sockets.Add(client);
                    _sockets.Add(server);
                }

                _ = PumpAsync(client, server, fromClient: true);
                _ = PumpAsync(server, client, fromClient: false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
        {
            // stopped
        }
    }

    private async Task PumpAsync(TcpClient from, TcpClient to, bool fromClient)
    {
        var buffer = new byte[65536];
        try
        {
            var input = from.GetStream();
            var output = to.GetStream();
            int n;
            while ((n = await input.ReadAsync(buffer, _stop.Token)) > 0)
            {
                // Start-up and authentication messages are the start-up packet (no type byte) and 'p'; the first
                // Parse ('P') or simple Query ('Q') is the client's first real work on an established connection.
                if (fromClient && buffer[0] is (byte)'P' or (byte)'Q' && Interlocked.Exchange(ref _triggered, 1) == 0
                    && !await _atFirstQuery(_stop.Token))
                {
                    from.Client.LingerState = new LingerOption(true, 0); // a reset, not a polite close
                    from.Dispose();
                    to.Dispose();
                    return;
                }

                await output.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception ex) when (
            ex is IOException or ObjectDisposedException or OperationCanceledException or SocketException or InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_sockets)
        {
            _sockets.ForEach(s => s.Dispose());
        }

        _stop.Dispose();
    }
}
