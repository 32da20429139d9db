using System.Net;
using System.Net.Sockets;

namespace SequenceOperator.Testing.Operator;

/// <summary>
/// A database server that hangs, as one whose processes are stopped: a loopback listener that accepts TCP
/// connections and never answers them (it reads what the client sends, and writes nothing). After
/// <see cref="Answer"/> it forwards new connections to a real server instead, as when the hung server comes back.
/// </summary>
internal sealed class UnresponsiveServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _held = [];
    private readonly Lock _lock = new();
    private readonly Thread _accepting;
    private readonly List<TimeSpan> _acceptedAt = [];
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private volatile IPEndPoint? _target;

    private UnresponsiveServer()
    {
        _listener.Start();

        // A thread of its own, so the accept times are true even when the thread pool is busy (tests run in parallel).
        _accepting = new Thread(Accept) { IsBackground = true, Name = "unresponsive-server" };
        _accepting.Start();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>
    /// When each connection that came to open a session (not to send a CancelRequest, which Npgsql may send on a
    /// connection of its own after a timeout) was accepted while hanging, since the server started.
    /// </summary>
    public IReadOnlyList<TimeSpan> SessionAttempts
    {
        get
        {
            lock (_lock)
            {
                return [.. _acceptedAt.Order()];
            }
        }
    }

    public static UnresponsiveServer Start() => new();

    /// <summary>From now on, new connections are forwarded to <paramref name="host"/>:<paramref name="port"/>.</summary>
    public void Answer(string host, int port) => _target = new IPEndPoint(IPAddress.Parse(host), port);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _accepting.Join();

        lock (_lock)
        {
            _held.ForEach(c => c.Dispose());
            _held.Clear();
        }

        _stop.Dispose();
    }

    private void Accept()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = _listener.AcceptTcpClient();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }

            var accepted = _clock.Elapsed;
            lock (_lock)
            {
                _held.Add(client);
            }

            if (_target is { } target)
            {
                _ = ForwardAsync(client, target);
            }
            else
            {
                _ = HoldAsync(client, accepted);
            }
        }
    }

    /// <summary>Reads (and drops) what the client sends, answering nothing, until the client gives up and closes.</summary>
    private async Task HoldAsync(TcpClient client, TimeSpan accepted)
    {
        const int CancelRequestCode = 80877102;
        try
        {
            var buffer = new byte[1024];
            var stream = client.GetStream();
            await stream.ReadExactlyAsync(buffer.AsMemory(0, 8), _stop.Token); // the first message: its length, then its code
            if (System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(4, 4)) != CancelRequestCode)
            {
                lock (_lock)
                {
                    _acceptedAt.Add(accepted);
                }
            }

            while (await stream.ReadAsync(buffer, _stop.Token) > 0)
            {
            }
        }
        catch (Exception e) when (
            e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
        }
    }

    private async Task ForwardAsync(TcpClient client, IPEndPoint target)
    {
        using var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(target, _stop.Token);
            await using var down = client.GetStream();
            await using var up = upstream.GetStream();
            using var either = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var copies = new[] { down.CopyToAsync(up, either.Token), up.CopyToAsync(down, either.Token) };
            await Task.WhenAny(copies);
            await either.CancelAsync();
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // Either side went away.
        }
        finally
        {
            client.Dispose();
        }
    }
}
