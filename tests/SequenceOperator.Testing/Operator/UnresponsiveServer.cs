using System.Net;
using System.Net.Sockets;

namespace SequenceOperator.Testing.Operator;

/// <summary>
/// A database server that hangs, as one whose processes are stopped: a loopback listener that accepts TCP
/// connections and never answers them (the kernel completes the handshake, nothing reads or writes). After
/// <see cref="Answer"/> it forwards new connections to a real server instead, as when the hung server comes back.
/// </summary>
internal sealed class UnresponsiveServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _held = [];
    private readonly Lock _lock = new();
    private readonly Task _accepting;
    private volatile IPEndPoint? _target;
    private int _accepted;
    private int _open;
    private int _maxOpen;

    private UnresponsiveServer()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Connections accepted so far (held or forwarded).</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>The most connections that were held open at the same time while hanging.</summary>
    public int MaxOpen => Volatile.Read(ref _maxOpen);

    public static UnresponsiveServer Start() => new();

    /// <summary>From now on, new connections are forwarded to <paramref name="host"/>:<paramref name="port"/>.</summary>
    public void Answer(string host, int port) => _target = new IPEndPoint(IPAddress.Parse(host), port);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        lock (_lock)
        {
            _held.ForEach(c => c.Dispose());
            _held.Clear();
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _accepted);
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
                _ = HoldAsync(client);
            }
        }
    }

    /// <summary>Reads (and drops) what the client sends, answering nothing, until the client gives up and closes.</summary>
    private async Task HoldAsync(TcpClient client)
    {
        var open = Interlocked.Increment(ref _open);
        for (var max = Volatile.Read(ref _maxOpen); open > max && Interlocked.CompareExchange(ref _maxOpen, open, max) != max; max = Volatile.Read(ref _maxOpen))
        {
        }

        try
        {
            var buffer = new byte[1024];
            var stream = client.GetStream();
            while (await stream.ReadAsync(buffer, _stop.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _open);
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
