namespace SequenceOperator.Metrics;

/// <summary>
/// The metric names dashboards and alerts rely on: a contract. Changing one is a breaking change for every
/// Grafana dashboard and PrometheusRule that users deployed. The chart's rules and dashboard are checked
/// against this list by a test.
/// </summary>
public static class MetricNames
{
    public const string MeterName = "SequenceOperator";

    /// <summary>Gauge {namespace, policy, schema, table, column, sequence}: behindBy, 0 when in sync.</summary>
    public const string SequenceBehind = "sequence_operator_sequence_behind";

    /// <summary>Gauge, same labels: share of the usable range already handed out (0..1).</summary>
    public const string SequenceCapacityUsedRatio = "sequence_operator_sequence_capacity_used_ratio";

    /// <summary>Gauge {namespace, policy, state = in_sync | behind | repaired | error | skipped}.</summary>
    public const string Sequences = "sequence_operator_sequences";

    /// <summary>Counter {namespace, policy, result = success | failure}.</summary>
    public const string RepairsTotal = "sequence_operator_repairs_total";

    /// <summary>Counter {namespace, policy, result}.</summary>
    public const string ChecksTotal = "sequence_operator_checks_total";

    /// <summary>Histogram {namespace, policy}.</summary>
    public const string CheckDurationSeconds = "sequence_operator_check_duration_seconds";

    /// <summary>Gauge {namespace, policy}: unix time of the last check, successful or not.</summary>
    public const string LastCheckTimestampSeconds = "sequence_operator_last_check_timestamp_seconds";

    /// <summary>Gauge {namespace, policy}: unix time of the last successful check.</summary>
    public const string LastSuccessTimestampSeconds = "sequence_operator_last_success_timestamp_seconds";

    /// <summary>Gauge {namespace, policy}: 1 when the policy's Ready condition is True, else 0.</summary>
    public const string PolicyReady = "sequence_operator_policy_ready";

    /// <summary>Gauge: 1 on the instance that holds the leader lease (or runs without election), else 0.</summary>
    public const string Leader = "sequence_operator_leader";

    /// <summary>Counter: watch streams restarted (ended, broke, or 410 Gone).</summary>
    public const string WatchRestartsTotal = "sequence_operator_watch_restarts_total";

    /// <summary>Counter {namespace, policy, schema, table, column}: rows inserted with explicit ids (a lower bound).</summary>
    public const string ExplicitIdRowsTotal = "sequence_operator_explicit_id_rows_total";

    /// <summary>Counter {namespace, policy, schema, table, column}: transitions from not behind to behind.</summary>
    public const string DriftDetectedTotal = "sequence_operator_drift_detected_total";

    /// <summary>Gauge {namespace, policy, schema, table, column, sequence}: unix time the sequence runs out at its current rate.</summary>
    public const string SequenceExhaustionTimestampSeconds = "sequence_operator_sequence_exhaustion_timestamp_seconds";

    /// <summary>Every name above, for checks.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        SequenceBehind, SequenceCapacityUsedRatio, Sequences, RepairsTotal, ChecksTotal, CheckDurationSeconds,
        LastCheckTimestampSeconds, LastSuccessTimestampSeconds, PolicyReady, Leader, WatchRestartsTotal,
        ExplicitIdRowsTotal, DriftDetectedTotal, SequenceExhaustionTimestampSeconds,
    ];
}
