using System.Globalization;
using Npgsql;
using SequenceOperator.Metrics;

namespace SequenceOperator.Reconciliation;

/// <summary>A database server as policies reach it: host (as written, case-insensitive) and port.</summary>
internal readonly record struct DatabaseServer(string Host, int Port)
{
    public static DatabaseServer Of(NpgsqlConnectionStringBuilder settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new DatabaseServer((settings.Host ?? string.Empty).ToLowerInvariant(), settings.Port);
    }

    public override string ToString() => Host + ":" + Port.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// At most one check in flight per database server, so that a slow or hung server costs its own policies time and
/// nobody else's. A policy whose server is busy waits here without holding a worker; when the server's check ends,
/// the server is reserved for the policy that has waited longest, which <c>resume</c> queues again (first come,
/// first served per server, while the workers serve the other servers). A policy checked before is held back on the
/// server of its last check before its Secret is even read. One gate lives as long as one run of the controller.
/// </summary>
internal sealed class DatabaseServerGate(Action<PolicyKey> resume)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<DatabaseServer, Server> _servers = [];
    private readonly Dictionary<PolicyKey, DatabaseServer> _lastServer = [];

    /// <summary>Policies waiting for a server now.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _servers.Values.Sum(s => s.Waiting.Count);
            }
        }
    }

    /// <summary>
    /// True when the server of the policy's last check is busy with (or reserved for) another policy: the policy then
    /// waits for it, and is resumed when its turn comes.
    /// </summary>
    public bool WaitIfBusy(PolicyKey policy)
    {
        lock (_lock)
        {
            if (!_lastServer.TryGetValue(policy, out var last) || !_servers.TryGetValue(last, out var server) || server.Holder is not { } holder || holder == policy)
            {
                return false;
            }

            server.Enqueue(policy);
            return true;
        }
    }

    /// <summary>
    /// Takes <paramref name="server"/> for the policy's check: a slot to dispose when the database work ends, or null
    /// when another policy's check holds it (the policy then waits, and is resumed when its turn comes).
    /// </summary>
    public IDisposable? TryEnter(PolicyKey policy, DatabaseServer server)
    {
        PolicyKey? next = null;
        try
        {
            lock (_lock)
            {
                if (_lastServer.TryGetValue(policy, out var last) && last != server)
                {
                    next = ReleaseLocked(policy, last); // its Secret now names another server: give up its turn on the old one
                }

                _lastServer[policy] = server;
                var state = _servers.TryGetValue(server, out var existing) ? existing : _servers[server] = new Server();
                if (state.Holder is { } holder && holder != policy)
                {
                    state.Enqueue(policy);
                    return null;
                }

                state.Holder = policy;
                return new Slot(this, policy, server);
            }
        }
        finally
        {
            Resume(next);
        }
    }

    /// <summary>Gives up the server the policy holds or has reserved, if any (its reconcile ended, with or without a check).</summary>
    public void Leave(PolicyKey policy)
    {
        PolicyKey? next = null;
        lock (_lock)
        {
            if (_lastServer.TryGetValue(policy, out var last))
            {
                next = ReleaseLocked(policy, last);
            }
        }

        Resume(next);
    }

    /// <summary>The policy is gone: it holds, reserves and waits for nothing any more.</summary>
    public void Forget(PolicyKey policy)
    {
        PolicyKey? next = null;
        lock (_lock)
        {
            if (_lastServer.Remove(policy, out var last) && _servers.TryGetValue(last, out var server))
            {
                server.Remove(policy);
                next = ReleaseLocked(policy, last);
            }
        }

        Resume(next);
    }

    private void Release(PolicyKey policy, DatabaseServer server)
    {
        PolicyKey? next;
        lock (_lock)
        {
            next = ReleaseLocked(policy, server);
        }

        Resume(next);
    }

    /// <summary>If <paramref name="policy"/> holds <paramref name="server"/>, passes it to the next waiting policy (returned, to resume) or frees it.</summary>
    private PolicyKey? ReleaseLocked(PolicyKey policy, DatabaseServer server)
    {
        if (!_servers.TryGetValue(server, out var state) || state.Holder != policy)
        {
            return null;
        }

        state.Holder = state.Dequeue();
        if (state.Holder is null)
        {
            _servers.Remove(server);
        }

        return state.Holder;
    }

    private void Resume(PolicyKey? next)
    {
        if (next is { } key)
        {
            resume(key);
        }
    }

    private sealed class Server
    {
        private readonly LinkedList<PolicyKey> _order = [];
        private readonly Dictionary<PolicyKey, LinkedListNode<PolicyKey>> _nodes = [];

        /// <summary>The policy checking now, or the one the server is reserved for.</summary>
        public PolicyKey? Holder { get; set; }

        public IReadOnlyCollection<PolicyKey> Waiting => _nodes.Keys;

        public void Enqueue(PolicyKey policy)
        {
            if (!_nodes.ContainsKey(policy))
            {
                _nodes[policy] = _order.AddLast(policy);
            }
        }

        public PolicyKey? Dequeue()
        {
            if (_order.First is not { } first)
            {
                return null;
            }

            _order.RemoveFirst();
            _nodes.Remove(first.Value);
            return first.Value;
        }

        public void Remove(PolicyKey policy)
        {
            if (_nodes.Remove(policy, out var node))
            {
                _order.Remove(node);
            }
        }
    }

    private sealed class Slot(DatabaseServerGate gate, PolicyKey policy, DatabaseServer server) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                gate.Release(policy, server);
            }
        }
    }
}
