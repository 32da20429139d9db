namespace SequenceOperator.Testing.Kubernetes;

/// <summary>
/// A fault the double injects into matching requests, <see cref="Times"/> times (null: until removed).
/// Latency applies first; then a reset connection, an error status, or (for watches) a drop after some events.
/// </summary>
public sealed class FaultRule
{
    private readonly Lock _gate = new();
    private int _hits;

    public required Func<RequestInfo, bool> Match { get; init; }

    /// <summary>How many more requests this rule hits; null for all.</summary>
    public int? Times { get; set; }

    public TimeSpan? Latency { get; init; }

    /// <summary>Answer this status (with a Status body) instead of serving the request.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The <c>Retry-After</c> header (seconds) sent with <see cref="StatusCode"/>.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>Abort the connection without an answer (a connection reset for the client).</summary>
    public bool ResetConnection { get; init; }

    /// <summary>For watches: abort the connection after sending this many events (0: right after the headers).</summary>
    public int? DropWatchAfterEvents { get; init; }

    /// <summary>For watches: send the headers, then nothing at all, ignoring timeoutSeconds (a dead connection).</summary>
    public bool StallWatch { get; init; }

    /// <summary>How many requests this rule hit.</summary>
    public int Hits => Volatile.Read(ref _hits);

    /// <summary>Answer <paramref name="statusCode"/> to requests with <paramref name="verb"/> (any when null).</summary>
    public static FaultRule Error(
        string? verb,
        int statusCode,
        int? times = 1,
        int? retryAfterSeconds = null,
        string? plural = null) => new()
    {
        Match = r => (verb is null || r.Verb == verb) && (plural is null || r.Resource?.Plural == plural),
        StatusCode = statusCode,
        RetryAfterSeconds = retryAfterSeconds,
        Times = times,
    };

    public static FaultRule Reset(string? verb, int? times = 1, string? plural = null) => new()
    {
        Match = r => (verb is null || r.Verb == verb) && (plural is null || r.Resource?.Plural == plural),
        ResetConnection = true,
        Times = times,
    };

    public static FaultRule DropWatch(int afterEvents, int? times = 1, string? plural = null) => new()
    {
        Match = r => r.Verb == "watch" && (plural is null || r.Resource?.Plural == plural),
        DropWatchAfterEvents = afterEvents,
        Times = times,
    };

    public static FaultRule Stall(int? times = 1, string? plural = null) => new()
    {
        Match = r => r.Verb == "watch" && (plural is null || r.Resource?.Plural == plural),
        StallWatch = true,
        Times = times,
    };

    public static FaultRule Delay(TimeSpan latency, string? verb = null, int? times = null) => new()
    {
        Match = r => verb is null || r.Verb == verb,
        Latency = latency,
        Times = times,
    };

    internal bool TryTake(RequestInfo request)
    {
        lock (_gate)
        {
            if (Times is 0 || !Match(request))
            {
                return false;
            }

            if (Times is int remaining)
            {
                Times = remaining - 1;
            }

            _hits++;
            return true;
        }
    }
}

/// <summary>The switchable faults of the double.</summary>
public sealed class FaultInjector
{
    private readonly Lock _lock = new();
    private readonly List<FaultRule> _rules = [];

    public FaultRule Add(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        lock (_lock)
        {
            _rules.Add(rule);
        }

        return rule;
    }

    public void Remove(FaultRule rule)
    {
        lock (_lock)
        {
            _rules.Remove(rule);
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _rules.Clear();
        }
    }

    /// <summary>The rules that hit this request (each consumes one of its <see cref="FaultRule.Times"/>).</summary>
    internal List<FaultRule> Take(RequestInfo request)
    {
        lock (_lock)
        {
            return _rules.Where(r => r.TryTake(request)).ToList();
        }
    }
}
