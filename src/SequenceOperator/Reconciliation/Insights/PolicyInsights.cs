namespace SequenceOperator.Reconciliation.Insights;

/// <summary>
/// The tracked columns of one policy, at most <see cref="InsightOptions.MaxSequencesPerPolicy"/>: past the cap, new
/// columns are not tracked (the ones already tracked keep their baselines); a column no sample mentioned for
/// <see cref="InsightOptions.ForgetAfter"/> is forgotten. Not thread-safe: <see cref="InsightStore"/> serializes the calls.
/// </summary>
internal sealed class PolicyInsights(InsightOptions options)
{
    private readonly Dictionary<FedColumn, SequenceTracker> _trackers = [];

    /// <summary>Columns tracked now.</summary>
    public int Count => _trackers.Count;

    /// <summary>
    /// Records one check's samples at <paramref name="now"/>. <paramref name="restore"/> gives the kept history of
    /// a column seen for the first time (from the policy's status), or null.
    /// </summary>
    public InsightReport Observe(
        IReadOnlyList<SequenceSample> samples,
        DateTimeOffset now,
        TimeSpan recurrenceWindow,
        Func<FedColumn, DriftHistory?>? restore = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (recurrenceWindow < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(recurrenceWindow), "The drift recurrence window cannot be negative.");
        }

        foreach (var stale in _trackers.Values.Where(t => now - t.LastSeen > options.ForgetAfter).ToList())
        {
            _trackers.Remove(stale.Column);
        }

        var answered = new List<SequenceInsight>(samples.Count);
        var sampled = new HashSet<FedColumn>();
        var untracked = 0;
        foreach (var sample in samples)
        {
            if (!_trackers.TryGetValue(sample.Column, out var tracker))
            {
                if (_trackers.Count >= options.MaxSequencesPerPolicy)
                {
                    untracked++;
                    continue;
                }

                tracker = new SequenceTracker(sample.Column, restore?.Invoke(sample.Column), options);
                _trackers.Add(sample.Column, tracker);
            }

            if (!sampled.Add(sample.Column))
            {
                throw new ArgumentException($"{sample.Column} is sampled twice in one check.", nameof(samples));
            }

            answered.Add(tracker.Record(sample, now, recurrenceWindow));
        }

        var others = _trackers.Values.Where(t => !sampled.Contains(t.Column)).Select(t => t.Current).OfType<SequenceInsight>();
        return new InsightReport([.. answered, .. others], untracked);
    }
}
