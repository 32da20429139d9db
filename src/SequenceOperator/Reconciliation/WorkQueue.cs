using System.Threading.Channels;

namespace SequenceOperator.Reconciliation;

/// <summary>
/// The controller-runtime work queue, small: a key is queued at most once; a key being processed is never processed
/// by two workers at once (added meanwhile, it runs again right after); failures back off per key, exponentially
/// with jitter; a timed requeue replaces the previous one for that key. No delay is longer than
/// <see cref="MaxDelay"/>, what a timer can wait: a longer one is cut to it, never an error.
/// </summary>
internal sealed class WorkQueue<TKey> : IDisposable
    where TKey : notnull
{
    /// <summary>The longest a .NET timer can wait (4294967294 ms, about 49.7 days).</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly Channel<TKey> _ready = Channel.CreateUnbounded<TKey>(new UnboundedChannelOptions
    {
        SingleWriter = false,
        SingleReader = false,
    });
    private readonly Lock _lock = new();
    private readonly HashSet<TKey> _queued = [];
    private readonly HashSet<TKey> _processing = [];
    private readonly HashSet<TKey> _dirty = [];
    private readonly Dictionary<TKey, int> _failures = [];
    private readonly Dictionary<TKey, ITimer> _timers = [];
    private readonly TimeProvider _time;
    private readonly TimeSpan _baseDelay;
    private readonly TimeSpan _maxDelay;
    private bool _shutDown;

    public WorkQueue(TimeProvider? timeProvider = null, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        _baseDelay = baseDelay ?? TimeSpan.FromSeconds(1);
        _maxDelay = maxDelay ?? TimeSpan.FromMinutes(5);
    }

    /// <summary>Keys waiting or being processed.</summary>
    public int Length
    {
        get
        {
            lock (_lock)
            {
                return _queued.Count + _processing.Count;
            }
        }
    }

    /// <summary>Queues the key now (deduplicated).</summary>
    public void Add(TKey key)
    {
        lock (_lock)
        {
            if (_shutDown)
            {
                return;
            }

            if (_processing.Contains(key))
            {
                _dirty.Add(key);
                return;
            }

            if (_queued.Add(key))
            {
                _ready.Writer.TryWrite(key);
            }
        }
    }

    /// <summary>
    /// Queues the key after <paramref name="delay"/> (at most <see cref="MaxDelay"/>), replacing an earlier timed
    /// requeue of the same key.
    /// </summary>
    public void AddAfter(TKey key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        if (delay > MaxDelay)
        {
            delay = MaxDelay;
        }

        lock (_lock)
        {
            if (_shutDown)
            {
                return;
            }

            if (_timers.Remove(key, out var previous))
            {
                previous.Dispose();
            }

            ITimer? timer = null;
            timer = _time.CreateTimer(_ =>
            {
                lock (_lock)
                {
                    if (_timers.TryGetValue(key, out var current) && ReferenceEquals(current, timer))
                    {
                        _timers.Remove(key);
                    }
                }

                timer?.Dispose();
                Add(key);
            }, null, delay, Timeout.InfiniteTimeSpan);
            _timers[key] = timer;
        }
    }

    /// <summary>
    /// Queues the key after its backoff: base × 2^(failures), with ±20 % jitter, never more than the queue's maximum
    /// nor <paramref name="cap"/> (a policy's interval). Returns the delay.
    /// </summary>
    public TimeSpan AddRateLimited(TKey key, TimeSpan? cap = null)
    {
        int failures;
        lock (_lock)
        {
            failures = _failures.GetValueOrDefault(key);
            _failures[key] = failures + 1;
        }

        var maxDelay = cap is { } c && c > TimeSpan.Zero && c < _maxDelay ? c : _maxDelay;
        var exponential = _baseDelay.TotalSeconds * Math.Pow(2, Math.Min(failures, 30));
        var capped = Math.Min(exponential, maxDelay.TotalSeconds);
        var delay = TimeSpan.FromSeconds(capped * (0.8 + (Random.Shared.NextDouble() * 0.4)));
        if (delay > maxDelay)
        {
            delay = maxDelay;
        }

        AddAfter(key, delay);
        return delay;
    }

    /// <summary>Clears the key's failure count (after a success).</summary>
    public void Forget(TKey key)
    {
        lock (_lock)
        {
            _failures.Remove(key);
        }
    }

    /// <summary>Drops every trace of the key: pending timer, failures (the object is gone).</summary>
    public void Remove(TKey key)
    {
        lock (_lock)
        {
            _failures.Remove(key);
            _dirty.Remove(key);
            if (_timers.Remove(key, out var timer))
            {
                timer.Dispose();
            }
        }
    }

    /// <summary>Waits for the next key and marks it as being processed. Call <see cref="Done"/> when finished.</summary>
    public async ValueTask<TKey> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var key = await _ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            lock (_lock)
            {
                if (!_queued.Remove(key))
                {
                    continue;
                }

                _processing.Add(key);
                return key;
            }
        }
    }

    /// <summary>Marks the key processed; if it was added meanwhile, it is queued again.</summary>
    public void Done(TKey key)
    {
        bool again;
        lock (_lock)
        {
            _processing.Remove(key);
            again = _dirty.Remove(key);
        }

        if (again)
        {
            Add(key);
        }
    }

    /// <summary>Stops accepting keys and cancels every timer.</summary>
    public void ShutDown()
    {
        lock (_lock)
        {
            _shutDown = true;
            foreach (var timer in _timers.Values)
            {
                timer.Dispose();
            }

            _timers.Clear();
            _ready.Writer.TryComplete();
        }
    }

    public void Dispose() => ShutDown();
}
