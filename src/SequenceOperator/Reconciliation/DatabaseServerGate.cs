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
/// At most one check in flight per database server, so that a slow or hung server costs its own policies time and
/// nobody else's: the checks of one server take turns, first come first served, while the controller's workers serve
/// the other servers. A reconcile waiting for its turn lends its worker back (<see cref="WorkerPermit"/>) and takes
/// one again when its turn comes. One gate lives as long as one run of the controller.
/// </summary>
internal sealed class DatabaseServerGate
{
    private readonly Lock _lock = new();

    // A server is busy while it has an entry; the entry holds the turns waiting for it, in order.
    private readonly Dictionary<DatabaseServer, Queue<TaskCompletionSource>> _busy = [];

    /// <summary>Reconciles waiting for a server now.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _busy.Values.Sum(q => q.Count(t => !t.Task.IsCompleted));
            }
        }
    }

    /// <summary>
    /// Waits for <paramref name="server"/>'s turn, without holding a worker meanwhile: returns the turn, to dispose
    /// when the database work ends (the next waiting check then goes). Cancelled, it gives up its place in line.
    /// </summary>
    public async ValueTask<IDisposable> EnterAsync(DatabaseServer server, WorkerPermit permit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(permit);
        TaskCompletionSource turn;
        lock (_lock)
        {
            if (!_busy.TryGetValue(server, out var waiting))
            {
                _busy[server] = new Queue<TaskCompletionSource>();
                return new Turn(this, server);
            }

            turn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiting.Enqueue(turn);
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
            return new Turn(this, server);
        }
        catch (OperationCanceledException) when (granted)
        {
            Release(server); // given the turn, but stopped before using it: pass it on
            throw;
        }
    }

    private void Release(DatabaseServer server)
    {
        lock (_lock)
        {
            var waiting = _busy[server];
            while (waiting.TryDequeue(out var next))
            {
                if (next.TrySetResult())
                {
                    return; // still busy: its turn now
                }
            }

            _busy.Remove(server);
        }
    }

    private sealed class Turn(DatabaseServerGate gate, DatabaseServer server) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                gate.Release(server);
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

/// <summary>A reconcile's way to its database server: one check per server at a time, waited for without a worker, until shutdown.</summary>
internal sealed class ServerTurns(DatabaseServerGate gate, WorkerPermit permit, CancellationToken stopWaiting)
{
    /// <summary>Waits for the server's turn; dispose the result when the database work ends.</summary>
    public async ValueTask<IDisposable> WaitAsync(DatabaseServer server, CancellationToken cancellationToken)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopWaiting);
        return await gate.EnterAsync(server, permit, either.Token).ConfigureAwait(false);
    }
}
