using System.Collections.Concurrent;
using System.Diagnostics;

namespace SequenceOperator.Tests.Postgres;

/// <summary>
/// The batches sent to one database, in the order they finished, as Npgsql traces them (its <c>Npgsql</c>
/// ActivitySource: one activity per round trip, its statements joined in <c>db.query.text</c>), from creation until
/// disposed. Other databases' batches (tests running alongside) are left out by <c>db.namespace</c>.
/// </summary>
internal sealed class StatementRecorder : IDisposable
{
    private readonly ConcurrentQueue<string> _batches = new();
    private readonly ActivityListener _listener;

    public StatementRecorder(string database)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("db.namespace") as string == database && activity.GetTagItem("db.query.text") is string text)
                {
                    _batches.Enqueue(text);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Every batch so far, each the text of its statements.</summary>
    public IReadOnlyList<string> Batches => [.. _batches];

    public void Dispose() => _listener.Dispose();
}
