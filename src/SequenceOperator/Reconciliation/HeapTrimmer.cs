using Microsoft.Extensions.Logging;
using SequenceOperator.Logging;

namespace SequenceOperator.Reconciliation;

/// <summary>
/// Gives the garbage collector's spare memory back after reconciles. A round of checks allocates far more than it
/// keeps (each check's rows, SQL, JSON and HTTP buffers), and with several checks in flight much of that outlives a
/// gen0 collection, is promoted and dies in gen1 or gen2; the collector keeps the regions it grew for it committed,
/// so the process holds 10 to 20 MB more than it uses through a round (500 policies: a peak of 67 to 69 MB for a heap
/// of 15 MB). After a reconcile, when the memory committed at the last collection exceeds what it kept alive by more
/// than <c>slack</c>, one full compacting collection that also returns the free regions to the system
/// (<see cref="GCCollectionMode.Aggressive"/>) runs, at most once per <see cref="MinimumSpacing"/>. At 500 policies and the
/// default 8 MB that made the peak 58 to 63 MB, for 2 to 4 ms more CPU per check (the collections, and refilling what
/// they emptied); spacing them 10 s apart cost no CPU but only brought the peak to 64 MB. A slack of 0 turns it off.
/// </summary>
/// <param name="memory">Tests only: what the last collection left (committed bytes, live bytes).</param>
/// <param name="compact">Tests only: the collection to run.</param>
internal sealed partial class HeapTrimmer(
    long slackBytes,
    TimeProvider time,
    ILogger<HeapTrimmer> logger,
    Func<(long Committed, long Live)>? memory = null,
    Action? compact = null)
{
    /// <summary>The shortest time between two compactions: bounds their CPU during a busy round.</summary>
    public static readonly TimeSpan MinimumSpacing = TimeSpan.FromSeconds(2);

    private readonly Lock _lock = new();
    private readonly Func<(long Committed, long Live)> _memory = memory ?? LastCollection;
    private readonly Action _compact = compact ?? (() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, true, true));
    private DateTimeOffset? _lastCompaction;

    private int _calls;
    private int _compactions;

    /// <summary>The slack in bytes (0: never compacts).</summary>
    public long SlackBytes => slackBytes;

    /// <summary>Reconciles reported since start, for tests and diagnostics.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Compactions run since start, for tests and diagnostics.</summary>
    public int Compactions => Volatile.Read(ref _compactions);

    /// <summary>Called after each reconcile: compacts when the spare memory exceeds the slack and none ran lately.</summary>
    public void AfterReconcile()
    {
        Interlocked.Increment(ref _calls);
        if (slackBytes <= 0)
        {
            return;
        }

        var (committed, live) = _memory();
        if (committed - live <= slackBytes)
        {
            return;
        }

        var now = time.GetUtcNow();
        lock (_lock)
        {
            // A clock set back counts as time enough: it must not stop the compactions until it catches up.
            if (_lastCompaction is { } last && now - last >= TimeSpan.Zero && now - last < MinimumSpacing)
            {
                return;
            }

            _lastCompaction = now;
            Interlocked.Increment(ref _compactions);
        }

        _compact();
        var (after, _) = _memory();
        LogCompacted(logger, committed >> 20, live >> 20, after >> 20);
    }

    private static (long Committed, long Live) LastCollection()
    {
        var info = GC.GetGCMemoryInfo();
        return (info.TotalCommittedBytes, info.HeapSizeBytes - info.FragmentedBytes);
    }

    [LoggerMessage(EventId = LogEvents.Reconciliation.HeapCompacted, Level = LogLevel.Debug,
        Message = "Compacted the heap: {Committed} MB committed for {Live} MB alive, {After} MB after")]
    private static partial void LogCompacted(ILogger logger, long committed, long live, long after);
}
