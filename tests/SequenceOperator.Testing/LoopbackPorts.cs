using System.Net;
using System.Net.Sockets;

namespace SequenceOperator.Testing;

/// <summary>Free TCP ports on 127.0.0.1, for servers the tests and benchmarks start (nothing listens on them yet).</summary>
public static class LoopbackPorts
{
    /// <summary>One free port.</summary>
    public static int Free() => Free(1)[0];

    /// <summary><paramref name="count"/> distinct free ports (all held while probing, so none repeats).</summary>
    public static int[] Free(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}
