using System.ComponentModel;
using System.Text.Json.Serialization;
using SequenceOperator.Entities.Schema;

namespace SequenceOperator.Entities;

// Fields with a default use `set`, not `init`: the JSON source generator assigns every init-only property when it
// builds an object (a record with required members), so an absent field would get default(T) instead of the
// initializer's value (a test guards this). Required fields stay `required init`.

/// <summary>What a platform team asks for: which database, which tables, observe or repair, how often.</summary>
[Description("Which database and tables to keep in sync, whether to only report (Observe) or also repair (Repair), and how often.")]
[SchemaValidation("!has(self.interval) || duration(self.interval) <= duration('" + SequenceSyncPolicySpec.MaximumIntervalText + "')",
    "interval must be at most " + SequenceSyncPolicySpec.MaximumIntervalText + " (49 days)", FieldPath = ".interval")]
[SchemaValidation("!has(self.driftRecurrenceWindow) || duration(self.driftRecurrenceWindow) <= duration('"
    + SequenceSyncPolicySpec.MaximumDriftRecurrenceWindowText + "')",
    "driftRecurrenceWindow must be at most " + SequenceSyncPolicySpec.MaximumDriftRecurrenceWindowText + " (30 days)",
    FieldPath = ".driftRecurrenceWindow")]
public sealed record SequenceSyncPolicySpec
{
    /// <summary>The CRD default of <see cref="Interval"/>.</summary>
    public const string DefaultInterval = "5m";

    /// <summary>The smallest <see cref="Interval"/> the CRD accepts.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The largest <see cref="Interval"/> the CRD accepts, 1176h (49 days): the operator waits for the next check on a
    /// .NET timer, which holds at most 4294967294 ms (about 49.7 days). A rule on the spec rather than on the field
    /// states it, so the field keeps its one rule (the minimum).
    /// </summary>
    public const string MaximumIntervalText = "1176h";

    /// <summary><see cref="MaximumIntervalText"/> as a <see cref="TimeSpan"/>.</summary>
    public static readonly TimeSpan MaximumInterval = KubernetesDuration.Parse(MaximumIntervalText);

    /// <summary>The CRD default of <see cref="DriftRecurrenceWindow"/>.</summary>
    public const string DefaultDriftRecurrenceWindow = "24h";

    /// <summary>The smallest <see cref="DriftRecurrenceWindow"/> the CRD accepts.</summary>
    public const string MinimumDriftRecurrenceWindowText = "1m";

    /// <summary><see cref="MinimumDriftRecurrenceWindowText"/> as a <see cref="TimeSpan"/>.</summary>
    public static readonly TimeSpan MinimumDriftRecurrenceWindow = KubernetesDuration.Parse(MinimumDriftRecurrenceWindowText);

    /// <summary>
    /// The largest <see cref="DriftRecurrenceWindow"/> the CRD accepts, 720h (30 days): drift that comes back after a
    /// month is hardly one cause recurring, and a shorter bound keeps a typo (<c>8760h</c>) from flagging every drift.
    /// </summary>
    public const string MaximumDriftRecurrenceWindowText = "720h";

    /// <summary><see cref="MaximumDriftRecurrenceWindowText"/> as a <see cref="TimeSpan"/>.</summary>
    public static readonly TimeSpan MaximumDriftRecurrenceWindow = KubernetesDuration.Parse(MaximumDriftRecurrenceWindowText);

    [Description("The database to check: credentials from a Secret in this namespace, with connection settings as fallbacks.")]
    public required DatabaseSpec Database { get; init; }

    [Description("Tables to check, each optionally narrowed to one column. "
        + "Empty or absent: every sequence-fed column in the database (discovery).")]
    [SchemaMaxItems(500)]
    public IReadOnlyList<TableSpec>? Tables { get; init; }

    [Description("Observe only reports sequences that are behind; Repair also moves them forward (never backwards).")]
    [SchemaDefault(nameof(PolicyMode.Observe))]
    public PolicyMode Mode { get; set; } = PolicyMode.Observe;

    [Description("How often to check, as a duration such as 30s, 5m or 1h30m; "
        + "at least 10s and at most 1176h (49 days, as a .NET timer holds at most about 49.7 days).")]
    [SchemaDefault(DefaultInterval)]
    [SchemaPattern(KubernetesDuration.Pattern)]
    [SchemaLength(2, 64)]
    [SchemaValidation("duration(self) >= duration('10s')", "interval must be at least 10s")]
    public string Interval { get; set; } = DefaultInterval;

    [Description("How repairs are made (Repair mode).")]
    [SchemaDefault("{}")]
    public RepairSpec Repair { get; set; } = new();

    [Description("A sequence found behind again within this long after its last drift ended (it was repaired, or a check "
        + "saw it in sync) is recurring drift: a Warning Event DriftRecurring names the table, how often and the rows "
        + "inserted with explicit ids. A duration such as 24h or 90m; at least 1m and at most 720h (30 days).")]
    [SchemaDefault(DefaultDriftRecurrenceWindow)]
    [SchemaPattern(KubernetesDuration.Pattern)]
    [SchemaLength(2, 64)]
    [SchemaValidation("duration(self) >= duration('" + MinimumDriftRecurrenceWindowText + "')",
        "driftRecurrenceWindow must be at least " + MinimumDriftRecurrenceWindowText)]
    public string DriftRecurrenceWindow { get; set; } = DefaultDriftRecurrenceWindow;

    [Description("True pauses checks and repairs (Ready=False, reason Suspended) until set back to false.")]
    [SchemaDefault("false")]
    public bool Suspend { get; set; }

    /// <summary>True when <see cref="Tables"/> lists tables explicitly (false: discovery of every sequence-fed column).</summary>
    [JsonIgnore]
    public bool HasExplicitTables => Tables is { Count: > 0 };

    /// <summary><see cref="Interval"/> as a <see cref="TimeSpan"/>; throws <see cref="FormatException"/> if it is not a duration.</summary>
    public TimeSpan GetInterval() => KubernetesDuration.Parse(Interval);
}

/// <summary>Observe (report only) or Repair.</summary>
public enum PolicyMode
{
    Observe,
    Repair,
}

/// <summary>TLS use, named like Npgsql's <c>SslMode</c> values.</summary>
public enum DatabaseSslMode
{
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCA,
    VerifyFull,
}

/// <summary>The database connection. Values the Secret holds win over these fields.</summary>
[Description("The database connection. The Secret holds the credentials and may also hold host, port, dbname and sslmode "
    + "(or a uri / DATABASE_URL); values in the Secret win over these fields.")]
public sealed record DatabaseSpec
{
    public const string DefaultHost = "cityforge-db";
    public const int DefaultPort = 5432;
    public const string DefaultName = "cityforge";

    [Description("The Secret, in the policy's namespace, with the database credentials.")]
    public required SecretReference SecretRef { get; init; }

    [Description("Host name used when the Secret has none; by default the Service of the namespace's database.")]
    [SchemaDefault(DefaultHost)]
    [SchemaLength(1, 253)]
    public string Host { get; set; } = DefaultHost;

    [Description("Port used when the Secret has none.")]
    [SchemaDefault("5432")]
    [SchemaMinimum(1)]
    [SchemaMaximum(65535)]
    public int Port { get; set; } = DefaultPort;

    [Description("Database name used when the Secret has none.")]
    [SchemaDefault(DefaultName)]
    [SchemaLength(1, 63)]
    public string Name { get; set; } = DefaultName;

    [Description("TLS mode (Npgsql's SslMode names) used when the Secret has no sslmode.")]
    [SchemaDefault(nameof(DatabaseSslMode.Prefer))]
    public DatabaseSslMode SslMode { get; set; } = DatabaseSslMode.Prefer;
}

/// <summary>A Secret in the policy's own namespace (there is deliberately no namespace field).</summary>
[Description("A Secret in the policy's namespace.")]
public sealed record SecretReference
{
    public const string NamePattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

    [Description("The Secret's name.")]
    [SchemaLength(1, 253)]
    [SchemaPattern(NamePattern)]
    public required string Name { get; init; }
}

/// <summary>
/// One entry of <c>spec.tables</c> as written: a table (optionally <c>schema.table</c>), optionally narrowed to one
/// column. The reconciler parses it into the engine's <c>Postgres.TableSelector</c>, which resolves it in the catalog.
/// </summary>
[Description("A table to check.")]
public sealed record TableSpec
{
    [Description("The table, optionally schema-qualified (schema.table).")]
    [SchemaLength(1, 255)]
    public required string Name { get; init; }

    [Description("The sequence-fed column to check; absent: every sequence-fed column of the table.")]
    [SchemaLength(1, 63)]
    public string? Column { get; init; }
}

/// <summary>How a repair is made.</summary>
[Description("How a repair is made.")]
[SchemaValidation("!has(self.lockTimeout) || duration(self.lockTimeout) <= duration('" + RepairSpec.MaximumLockTimeoutText + "')",
    "lockTimeout must be at most " + RepairSpec.MaximumLockTimeoutText, FieldPath = ".lockTimeout")]
public sealed record RepairSpec
{
    /// <summary>The CRD default of <see cref="LockTimeout"/>.</summary>
    public const string DefaultLockTimeout = "2s";

    /// <summary>
    /// The largest <see cref="LockTimeout"/> the CRD accepts, 1h. PostgreSQL takes lock_timeout and statement_timeout up
    /// to 2147483647 ms (about 24.8 days), but a repair holds its database server's one check slot while it waits, so
    /// the bound is kept to what a person would still call a lock timeout.
    /// </summary>
    public const string MaximumLockTimeoutText = "1h";

    /// <summary><see cref="MaximumLockTimeoutText"/> as a <see cref="TimeSpan"/>.</summary>
    public static readonly TimeSpan MaximumLockTimeout = KubernetesDuration.Parse(MaximumLockTimeoutText);

    [Description("Extra values to skip beyond the highest value in use when moving a sequence forward.")]
    [SchemaDefault("0")]
    [SchemaMinimum(0)]
    public long Headroom { get; set; }

    [Description("How long a check waits for a lock another session holds before reporting that table as locked, "
        + "and a repair for its table locks (PostgreSQL lock_timeout), such as 2s or 500ms; more than 0 and at most 1h. "
        + "The repair's statements may take this long on top of the operator's command timeout.")]
    [SchemaDefault(DefaultLockTimeout)]
    [SchemaPattern(KubernetesDuration.Pattern)]
    [SchemaLength(2, 64)]
    [SchemaValidation("duration(self) > duration('0s')", "lockTimeout must be more than 0s")]
    public string LockTimeout { get; set; } = DefaultLockTimeout;

    /// <summary>
    /// <see cref="LockTimeout"/> as a <see cref="TimeSpan"/>; throws <see cref="FormatException"/> if it is not a
    /// duration.
    /// </summary>
    public TimeSpan GetLockTimeout() => KubernetesDuration.Parse(LockTimeout);
}
