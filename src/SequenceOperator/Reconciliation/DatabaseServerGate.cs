using System.Globalization;
using Npgsql;

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
/// Bounds the checks in flight per database server, so that a slow or hung server costs its own policies time and
/// nobody else's. A server that answers may have <c>slots</c> checks at once (the controller gives it half of its
/// workers), so that many tenants on one shared server still get through a round quickly; a server whose last check
/// found it not answering (a connect or statement timeout, a refused or lost connection) gets one at a time until a
/// check reaches it again. Checks of one server take turns first come first served, and a reconcile waiting for its
/// turn lends its worker back (<see cref="WorkerPermit"/>), taking one again when its turn comes: however many
/// policies a hung server has, it holds at most <c>slots</c> workers, and one once it is known not to answer. One gate
/// lives as long as one run of the controller.
/// </summary>
internal sealed class DatabaseServerGate(int slots = 1)
{
    private readonly Lock _lock = new();

    // A server has an entry while checks of it are in flight or waiting, or while it is known not to answer.
    private readonly Dictionary<DatabaseServer, ServerState> _servers = [];

    /// <summary>Reconciles waiting for a server now.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _servers.Values.Sum(s => s.Waiting.Count(t => !t.Task.IsCompleted));
            }
        }
    }

    /// <summary>
    /// Waits for <paramref name="server"/>'s turn, without holding a worker meanwhile: returns the turn, to dispose
    /// when the database work ends (the next waiting check then goes). Cancelled, it gives up its place in line.
    /// </summary>
    public async ValueTask<ServerTurn> EnterAsync(DatabaseServer server, WorkerPermit permit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(permit);
        TaskCompletionSource turn;
        lock (_lock)
        {
            if (!_servers.TryGetValue(server, out var state))
            {
                state = new ServerState();
                _servers[server] = state;
            }

            if (state.InFlight < Limit(state))
            {
                state.InFlight++;
                return new ServerTurn(this, server);
            }

            turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            state.Waiting.Enqueue(turn);
        }

        permit.Lend();
        var granted = false;
        try
        {
            await using (cancellationToken.Register(() => turn.TrySetCanceled(cancellationToken)))
            {
                await turn.Task.ConfigureAwait(false);
            }

            granted = true;
            await permit.ReclaimAsync(cancellationToken).ConfigureAwait(false);
            return new ServerTurn(this, server);
        }
        catch (OperationCanceledException) when (granted)
        {
            Release(server, answered: null); // given the turn, but stopped before using it: pass it on
            throw;
        }
    }

    private int Limit(ServerState state) => state.NotAnswering ? 1 : Math.Max(1, slots);

    /// <summary>Ends a turn; <paramref name="answered"/> says whether the server answered (null: not tried).</summary>
    private void Release(DatabaseServer server, bool? answered)
    {
        lock (_lock)
        {
            var state = _servers[server];
            state.InFlight--;
            if (answered is { } a)
            {
                state.NotAnswering = !a;
            }

            while (state.InFlight < Limit(state) && state.Waiting.TryDequeue(out var next))
            {
                if (next.TrySetResult())
                {
                    state.InFlight++; // its turn now
                }
            }

            if (state.InFlight == 0 && state.Waiting.Count == 0 && !state.NotAnswering)
            {
                _servers.Remove(server);
            }
        }
    }

    private sealed class ServerState
    {
        public int InFlight { get; set; }

        public bool NotAnswering { get; set; }

        public Queue<TaskCompletionSource> Waiting { get; } = new();
    }

    /// <summary>
    /// One check's turn on its server. Disposing it ends the turn; a check that found the server not answering says so
    /// first (<see cref="NotAnswering"/>), and the server's checks then go one at a time until one reaches it again.
    /// </summary>
    internal sealed class ServerTurn(DatabaseServerGate gate, DatabaseServer server) : IDisposable
    {
        private int _disposed;
        private bool _notAnswering;

        /// <summary>The server did not answer this check (timeout, refused or lost connection).</summary>
        public void NotAnswering() => _notAnswering = true;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                gate.Release(server, answered: !_notAnswering);
            }
        }
    }
}

/// <summary>
/// One work item's share of the controller's workers (a semaphore of <c>--max-concurrent-reconciles</c>): held while
/// it works, lent back while it waits for its database server, released when it ends.
/// </summary>
internal sealed class WorkerPermit(SemaphoreSlim workers) : IDisposable
{
    private bool _held = true;

    /// <summary>Gives the worker back while waiting.</summary>
    public void Lend()
    {
        if (_held)
        {
            _held = false;
            workers.Release();
        }
    }

    /// <summary>Takes a worker again (waiting for one if all are busy).</summary>
    public async Task ReclaimAsync(CancellationToken cancellationToken)
    {
        if (!_held)
        {
            await workers.WaitAsync(cancellationToken).ConfigureAwait(false);
            _held = true;
        }
    }

    public void Dispose() => Lend();
}

/// <summary>
/// A reconcile's way to its database server: a bounded number of checks per server, waited for without a worker, until shutdown.
/// </summary>
internal sealed class ServerTurns(DatabaseServerGate gate, WorkerPermit permit, CancellationToken stopWaiting)
{
    /// <summary>Waits for the server's turn; dispose the result when the database work ends.</summary>
    public async ValueTask<DatabaseServerGate.ServerTurn> WaitAsync(DatabaseServer server, CancellationToken cancellationToken)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopWaiting);
        return await gate.EnterAsync(server, permit, either.Token).ConfigureAwait(false);
    }
}
