using System.Buffers;
using System.Diagnostics.Metrics;

namespace SequenceOperator.Metrics;

/// <summary>
/// The <c>/metrics</c> page, read straight from the instruments of the exported meters at each scrape, without the
/// OpenTelemetry SDK's storage: an observable instrument's callback runs and each measurement it reports is written
/// as a sample at once, so nothing per series is kept between scrapes (the SDK keeps every series it ever saw, with
/// its tags, in slots allocated up front: about 20 MB at the default limits before the first policy). Only the
/// synchronous instruments (the check-duration histogram) are aggregated here, one small record per series.
/// Families come in name order, each with its samples in the order its instrument reports them. An instrument's
/// series beyond its cardinality limit are folded into one series labelled <c>otel_metric_overflow="true"</c>, as
/// the SDK does: the limit counts the series of one scrape (synchronous instruments: the series kept). Collect one
/// page at a time (the caller serializes scrapes); recording may go on meanwhile.
/// </summary>
internal sealed class PrometheusCollector : IDisposable
{
    /// <summary>OpenTelemetry's default histogram bounds, for a histogram without configured ones.</summary>
    private static readonly double[] DefaultBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private static readonly KeyValuePair<string, string>[] OverflowLabels = [new("otel_metric_overflow", "true")];

    private readonly Func<Meter, bool> _exports;
    private readonly Func<Instrument, int> _limitOf;
    private readonly Func<Instrument, IReadOnlyList<double>?> _boundsOf;
    private readonly PrometheusTextSerializer.SeriesFilter _include;
    private readonly Lock _familiesLock = new();
    private readonly List<Family> _families = [];
    private readonly MeterListener _recorder;
    private KeyValuePair<string, string>[] _labels = new KeyValuePair<string, string>[8];
    private bool _disposed;

    // The scrape in progress: where the observed family writes, and its count and overflow so far.
    private IBufferWriter<byte>? _output;
    private Family? _observing;

    /// <param name="exports">Which meters' instruments are exported.</param>
    /// <param name="limitOf">An instrument's cardinality limit (at least 1).</param>
    /// <param name="boundsOf">A histogram's bucket bounds (null: OpenTelemetry's defaults).</param>
    /// <param name="include">Which series are written, by their labels in name order; false hides one.</param>
    public PrometheusCollector(
        Func<Meter, bool> exports,
        Func<Instrument, int> limitOf,
        Func<Instrument, IReadOnlyList<double>?> boundsOf,
        PrometheusTextSerializer.SeriesFilter include)
    {
        _exports = exports;
        _limitOf = limitOf;
        _boundsOf = boundsOf;
        _include = include;
        _recorder = new MeterListener { InstrumentPublished = Published };
        _recorder.SetMeasurementEventCallback<double>((i, v, t, s) => (s as Family)?.Record(i, v, t));
        _recorder.SetMeasurementEventCallback<float>((i, v, t, s) => (s as Family)?.Record(i, v, t));
        _recorder.SetMeasurementEventCallback<long>((i, v, t, s) => (s as Family)?.Record(i, v, t));
        _recorder.SetMeasurementEventCallback<int>((i, v, t, s) => (s as Family)?.Record(i, v, t));
        _recorder.Start();
    }

    /// <summary>Writes the whole page to <paramref name="output"/>.</summary>
    public void Collect(IBufferWriter<byte> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Family[] families;
        lock (_familiesLock)
        {
            families = [.. _families];
        }

        _output = output;
        try
        {
            foreach (var family in families)
            {
                if (family.Observer is { } observer)
                {
                    _observing = family;
                    family.Start();
                    observer.RecordObservableInstruments();
                    _observing = null;
                    family.WriteOverflow(output);
                }
                else
                {
                    family.WriteRecorded(output, _include, ref _labels);
                }
            }
        }
        finally
        {
            _observing = null;
            _output = null;
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _recorder.Dispose();
        lock (_familiesLock)
        {
            foreach (var family in _families)
            {
                family.Observer?.Dispose();
            }
        }
    }

    private void Published(Instrument instrument, MeterListener listener)
    {
        if (!_exports(instrument.Meter))
        {
            return;
        }

        var (type, counter) = instrument switch
        {
            ObservableCounter<long> or ObservableCounter<double> or ObservableCounter<int> or ObservableCounter<float> => ("counter", true),
            Counter<long> or Counter<double> or Counter<int> or Counter<float> => ("counter", true),
            Histogram<long> or Histogram<double> or Histogram<int> or Histogram<float> => ("histogram", false),
            _ => ("gauge", false), // gauges and up-down counters, observable or not
        };
        var name = PrometheusTextSerializer.SanitizeMetricName(instrument.Name);
        if (counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }

        var bounds = type == "histogram" ? _boundsOf(instrument) ?? DefaultBounds : null;
        var family = new Family(name, instrument.Description ?? string.Empty, type, counter, Math.Max(1, _limitOf(instrument)), bounds);
        if (instrument.IsObservable)
        {
            // A listener of its own, never started: it observes this instrument alone, when this family's turn comes.
            family.Observer = new MeterListener();
            family.Observer.SetMeasurementEventCallback<double>((_, v, t, _) => Observed(v, t));
            family.Observer.SetMeasurementEventCallback<float>((_, v, t, _) => Observed(v, t));
            family.Observer.SetMeasurementEventCallback<long>((_, v, t, _) => Observed(v, t));
            family.Observer.SetMeasurementEventCallback<int>((_, v, t, _) => Observed(v, t));
            family.Observer.EnableMeasurementEvents(instrument);
        }
        else
        {
            listener.EnableMeasurementEvents(instrument, family);
        }

        lock (_familiesLock)
        {
            var at = _families.FindIndex(f => string.CompareOrdinal(f.Name, name) > 0);
            _families.Insert(at < 0 ? _families.Count : at, family);
        }
    }

    private void Observed(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => Observed(value, 0, false, tags);

    private void Observed(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) => Observed(0, value, true, tags);

    // On the scrape's thread, inside RecordObservableInstruments: one measurement, written at once.
    private void Observed(double number, long whole, bool isWhole, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (_observing is not { } family || _output is not { } output)
        {
            return;
        }

        var count = PrometheusTextSerializer.Labels(tags, ref _labels);
        var labels = _labels.AsSpan(0, count);
        if (!_include(labels))
        {
            return;
        }

        if (family.Written >= family.Limit - 1)
        {
            family.Overflow(number, whole, isWhole);
            return;
        }

        if (family.Written++ == 0)
        {
            PrometheusTextSerializer.Header(output, family.Name, family.Help, family.Type);
        }

        if (isWhole)
        {
            PrometheusTextSerializer.Sample(output, family.Name, labels, whole);
        }
        else
        {
            PrometheusTextSerializer.Sample(output, family.Name, labels, number);
        }
    }

    /// <summary>One instrument's family: its text name and type, and for a synchronous instrument its series.</summary>
    private sealed class Family(string name, string help, string type, bool counter, int limit, IReadOnlyList<double>? bounds)
    {
        private const string OverflowKey = "\0overflow";
        private readonly Lock _lock = new();
        private readonly Dictionary<string, RecordedSeries> _recorded = new(StringComparer.Ordinal);
        private double _overflowNumber;
        private long _overflowWhole;
        private bool _overflowIsWhole;
        private bool _overflowed;

        public string Name { get; } = name;

        public string Help { get; } = help;

        public string Type { get; } = type;

        public int Limit { get; } = limit;

        /// <summary>The listener that observes an observable instrument; null for a synchronous one.</summary>
        public MeterListener? Observer { get; set; }

        /// <summary>Samples written in this scrape.</summary>
        public int Written { get; set; }

        public void Start()
        {
            Written = 0;
            _overflowed = false;
            _overflowNumber = 0;
            _overflowWhole = 0;
        }

        /// <summary>Folds a measurement past the limit into the overflow series: counters add up, gauges keep the last.</summary>
        public void Overflow(double number, long whole, bool isWhole)
        {
            _overflowIsWhole = isWhole;
            _overflowNumber = counter && _overflowed ? _overflowNumber + number : number;
            _overflowWhole = counter && _overflowed ? _overflowWhole + whole : whole;
            _overflowed = true;
        }

        public void WriteOverflow(IBufferWriter<byte> output)
        {
            if (!_overflowed)
            {
                return;
            }

            if (Written == 0)
            {
                PrometheusTextSerializer.Header(output, Name, Help, Type);
            }

            if (_overflowIsWhole)
            {
                PrometheusTextSerializer.Sample(output, Name, OverflowLabels, _overflowWhole);
            }
            else
            {
                PrometheusTextSerializer.Sample(output, Name, OverflowLabels, _overflowNumber);
            }
        }

        /// <summary>A synchronous instrument's measurement (on the recording thread).</summary>
        public void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = KeyOf(tags);
            lock (_lock)
            {
                if (!_recorded.TryGetValue(key, out var series))
                {
                    var overflow = _recorded.Count >= Limit - 1;
                    if (overflow)
                    {
                        key = OverflowKey;
                    }

                    if (!_recorded.TryGetValue(key, out series))
                    {
                        series = new RecordedSeries(overflow ? [new("otel.metric.overflow", "true")] : tags.ToArray(), bounds);
                        _recorded.Add(key, series);
                    }
                }

                series.Add(instrument, value, bounds);
            }
        }

        /// <summary>Writes the synchronous instrument's series; those the filter hides are dropped once nothing records to them.</summary>
        public void WriteRecorded(
            IBufferWriter<byte> output, PrometheusTextSerializer.SeriesFilter include, ref KeyValuePair<string, string>[] labels)
        {
            List<(string Key, RecordedSeries Series, long Version, long[] Counts, double Value)> snapshot;
            lock (_lock)
            {
                snapshot = new(_recorded.Count);
                foreach (var (key, series) in _recorded)
                {
                    snapshot.Add((key, series, series.Version, series.Counts is { } counts ? [.. counts] : [], series.Value));
                }
            }

            // Outside the lock: the filter may take the metrics' own lock, which a recording thread holds while it records here.
            List<(string Key, RecordedSeries Series, long Version)>? hidden = null;
            var written = 0;
            foreach (var (key, series, version, counts, value) in snapshot)
            {
                var count = PrometheusTextSerializer.Labels(series.Tags, ref labels);
                var sorted = labels.AsSpan(0, count);
                if (!include(sorted))
                {
                    (hidden ??= []).Add((key, series, version));
                    continue;
                }

                if (written++ == 0)
                {
                    PrometheusTextSerializer.Header(output, Name, Help, Type);
                }

                if (bounds is not null)
                {
                    PrometheusTextSerializer.Histogram(output, Name, sorted, bounds, counts, value);
                }
                else
                {
                    PrometheusTextSerializer.Sample(output, Name, sorted, value);
                }
            }

            if (hidden is not null)
            {
                lock (_lock)
                {
                    foreach (var (key, series, version) in hidden)
                    {
                        if (series.Version == version)
                        {
                            _recorded.Remove(key);
                        }
                    }
                }
            }
        }

        private static string KeyOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = new System.Text.StringBuilder();
            foreach (var (name, value) in tags)
            {
                key.Append(name).Append('\u0001').Append(value).Append('\u0002');
            }

            return key.ToString();
        }
    }

    /// <summary>
    /// One series of a synchronous instrument: a histogram's bucket counts and sum, or a counter's sum, or a gauge's value.
    /// </summary>
    private sealed class RecordedSeries(KeyValuePair<string, object?>[] tags, IReadOnlyList<double>? bounds)
    {
        public KeyValuePair<string, object?>[] Tags { get; } = tags;

        /// <summary>Per bucket (the last one above every bound), not cumulated; null unless a histogram.</summary>
        public long[]? Counts { get; } = bounds is null ? null : new long[bounds.Count + 1];

        /// <summary>A histogram's or counter's sum, a gauge's last value.</summary>
        public double Value { get; private set; }

        /// <summary>Moves on at every measurement.</summary>
        public long Version { get; private set; }

        public void Add(Instrument instrument, double value, IReadOnlyList<double>? bounds)
        {
            Version++;
            if (Counts is { } counts && bounds is not null)
            {
                var bucket = 0;
                while (bucket < bounds.Count && value > bounds[bucket])
                {
                    bucket++;
                }

                counts[bucket]++;
                Value += value;
            }
            else
            {
                Value = instrument is Gauge<double> or Gauge<long> or Gauge<int> or Gauge<float> ? value : Value + value;
            }
        }
    }
}
