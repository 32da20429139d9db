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

        foreach (var stale in _trackers.Where(t => now - t.Value.LastSeen > options.ForgetAfter).Select(t => t.Key).ToList())
        {
            _trackers.Remove(stale);
        }

        _trackers.EnsureCapacity(Math.Min(samples.Count, options.MaxSequencesPerPolicy)); // room for a check's columns, no more
        var answered = new List<SequenceInsight>(samples.Count);
        var sampled = new HashSet<FedColumn>();
        var untracked = 0;
        foreach (var sample in samples)
        {
            var known = _trackers.TryGetValue(sample.Column, out var tracker);
            if (!known && _trackers.Count >= options.MaxSequencesPerPolicy)
            {
                untracked++;
                continue;
            }

            if (!sampled.Add(sample.Column))
            {
                throw new ArgumentException($"{sample.Column} is sampled twice in one check.", nameof(samples));
            }

            tracker ??= new SequenceTracker(restore?.Invoke(sample.Column), options);
            answered.Add(tracker.Record(sample, now, recurrenceWindow, options));
            if (!known)
            {
                _trackers.Add(sample.Column, tracker); // once its first sample is taken: a refused one leaves no tracker
            }
        }

        var others = _trackers.Where(t => !sampled.Contains(t.Key)).Select(t => t.Value.Answer(t.Key, options));
        return new InsightReport([.. answered, .. others], untracked);
    }
}
