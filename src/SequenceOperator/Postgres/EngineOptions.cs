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

    /// <summary>The most connections this check opens to measure (from 1 to <see cref="MaxConnections"/>).</summary>
    public const int MaxConnections = 8;

    /// <summary>
    /// How many connections measure at once (1 to <see cref="MaxConnections"/>). With more than 1, a database with more
    /// tables than one chunk (about 130 serial tables) is measured on that many backends at once, each its own chunks
    /// under the same lock bound; a smaller one uses one connection. The data source's pool must allow as many.
    /// </summary>
    public int Connections { get; init; } = 1;

    /// <exception cref="ArgumentOutOfRangeException"><see cref="Connections"/> out of range.</exception>
    internal static void Validate(CheckOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Connections, 1, nameof(Connections));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Connections, MaxConnections, nameof(Connections));
    }
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
