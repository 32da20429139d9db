namespace SequenceOperator.Kubernetes.Events;

/// <summary>Options of the <see cref="EventRecorder"/>.</summary>
internal sealed class EventRecorderOptions
{
    /// <summary><c>reportingController</c>: who emits the events.</summary>
    public string ReportingController { get; set; } = "sequence-operator";

    /// <summary><c>reportingInstance</c>: which replica (the pod name).</summary>
    public string ReportingInstance { get; set; } = Environment.MachineName;

    /// <summary>
    /// A repeat within this long of the previous occurrence (same object, type, reason, action and note) increments
    /// the existing Event's series instead of creating a new Event. client-go uses six minutes.
    /// </summary>
    public TimeSpan AggregationWindow { get; set; } = TimeSpan.FromMinutes(6);

    /// <summary>How many distinct series are remembered (the oldest are forgotten first).</summary>
    public int MaxTrackedSeries { get; set; } = 16384;
}
