namespace SequenceOperator.Postgres;

/// <summary>How a check runs.</summary>
public sealed record CheckOptions
{
    /// <summary>The entries to check; empty: every sequence-fed column in the database (system schemas excepted).</summary>
    public IReadOnlyList<TableSelector> Tables { get; init; } = [];

    /// <summary>Bound on every statement the engine runs.</summary>
    public TimeSpan StatementTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long to wait for a lock: reading a table another session holds in ACCESS EXCLUSIVE mode (a migration's
    /// ALTER TABLE, a VACUUM FULL) gives up after this, and the table becomes an error entry while the rest is
    /// checked. A repair uses the same bound for its table locks unless <see cref="RepairOptions.LockTimeout"/> is set.
    /// </summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>How a repair runs.</summary>
public sealed record RepairOptions
{
    /// <summary>Extra values to skip past the data: the repaired next value is MAX + headroom + increment.</summary>
    public long Headroom { get; init; }

    /// <summary>
    /// The lock timeout of the whole repair run, its reads and its table locks alike (a locked table becomes an
    /// error entry); null: <see cref="CheckOptions.LockTimeout"/>.
    /// </summary>
    public TimeSpan? LockTimeout { get; init; }

    /// <summary>Plan only: report and return the SQL without running it.</summary>
    public bool DryRun { get; init; }

    /// <summary>
    /// At most this many sequences are repaired in one transaction (one round trip, one statement); the lock budget
    /// bounds a transaction as well (about 400 locked relations, as a check's chunks). A failing transaction is
    /// retried one sequence at a time.
    /// </summary>
    public int SequencesPerTransaction { get; init; } = 1000;
}

/// <summary>The bounds one run applies to every transaction it opens.</summary>
internal readonly record struct RunSettings(TimeSpan StatementTimeout, TimeSpan LockTimeout);
