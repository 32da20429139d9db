namespace SequenceOperator.Kubernetes.Events;

/// <summary>Options of the <see cref="EventRecorder"/>.</summary>
internal sealed class EventRecorderOptions
{
    /// <summary>The default <see cref="SeriesHeartbeat"/>, client-go's.</summary>
    public static readonly TimeSpan DefaultSeriesHeartbeat = TimeSpan.FromMinutes(30);

    /// <summary><c>reportingController</c>: who emits the events.</summary>
    public string ReportingController { get; set; } = "sequence-operator";

    /// <summary><c>reportingInstance</c>: which replica (the pod name).</summary>
    public string ReportingInstance { get; set; } = Environment.MachineName;

    /// <summary>
    /// A repeat within this long of the previous occurrence (same object, type, reason, action and note) joins the
    /// existing Event's series instead of creating a new Event; a series not observed for longer has ended. client-go
    /// uses six minutes.
    /// </summary>
    public TimeSpan AggregationWindow { get; set; } = TimeSpan.FromMinutes(6);

    /// <summary>
    /// Repeats are counted in memory; a series' count and last-observed time are written at most this often (and when
    /// the series ends). Zero writes every repeat at once.
    /// </summary>
    public TimeSpan SeriesHeartbeat { get; set; } = DefaultSeriesHeartbeat;

    /// <summary>
    /// Series writes (heartbeat refreshes and final counts) per minute, at most: refreshes that fall due together are
    /// spread out. More are written only when needed to refresh every series within eleven twelfths of
    /// <see cref="EventTimeToLive"/> (55 of 60 minutes), so that an Event still being observed never expires: in
    /// steady state that is one write a minute for each 55 series beyond 550.
    /// </summary>
    public int SeriesUpdatesPerMinute { get; set; } = 10;

    /// <summary>How long the API server keeps an Event after its last write (kube-apiserver <c>--event-ttl</c>, 1 h by default).</summary>
    public TimeSpan EventTimeToLive { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How many distinct series are remembered (when full, the quarter last observed longest ago is forgotten; a
    /// forgotten series' next occurrence is a new Event). A series is remembered until it ends (or its Event expires),
    /// so this bounds the series seen within <see cref="AggregationWindow"/> of each other: 2,000 policies need about
    /// 22,000. Each costs a 76-byte slot in a dictionary whose capacity grows by doubling, so 80 to 160 bytes a series
    /// (the benchmarks' <c>events</c> mode: 130 at 22,000, 87 at 16,500); this default fits the dictionary's
    /// 36,353-slot step: 2.8 MB at most.
    /// </summary>
    public int MaxTrackedSeries { get; set; } = 32768;
}
