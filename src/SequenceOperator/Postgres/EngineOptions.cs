namespace SequenceOperator.Postgres;

/// <summary>How a check runs.</summary>
public sealed record CheckOptions
{
    /// <summary>The entries to check; empty: every sequence-fed column in the database (system schemas excepted).</summary>
    public IReadOnlyList<TableSelector> Tables { get; init; } = [];

    /// <summary>Bound on every statement the engine runs.</summary>
    public TimeSpan StatementTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>How a repair runs.</summary>
public sealed record RepairOptions
{
    /// <summary>Extra values to skip past the data: the repaired next value is MAX + headroom + increment.</summary>
    public long Headroom { get; init; }

    /// <summary>How long to wait for the table locks before reporting the entry as an error.</summary>
    public TimeSpan LockTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Plan only: report and return the SQL without running it.</summary>
    public bool DryRun { get; init; }

    /// <summary>Sequences repaired in one transaction (one round trip); a failing group is retried one sequence at a time.</summary>
    public int SequencesPerTransaction { get; init; } = 50;
}
