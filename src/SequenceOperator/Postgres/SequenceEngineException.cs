namespace SequenceOperator.Postgres;

/// <summary>Why a whole run failed (as opposed to one entry).</summary>
public enum EngineFailure
{
    ConnectionFailed,
    AuthenticationFailed,
    DatabaseNotFound,
    PermissionDenied,
    Timeout,
    InvalidConnectionString,
    Failed,
}

/// <summary>
/// A failure of the whole run, with a message a person can act on. Never carries a password or a connection string.
/// </summary>
public sealed class SequenceEngineException : Exception
{
    public SequenceEngineException(EngineFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public SequenceEngineException()
        : this(EngineFailure.Failed, "The sequence engine failed.")
    {
    }

    public SequenceEngineException(string message)
        : this(EngineFailure.Failed, message)
    {
    }

    public SequenceEngineException(string message, Exception innerException)
        : this(EngineFailure.Failed, message, innerException)
    {
    }

    public EngineFailure Failure { get; }

    /// <summary>
    /// What the run had measured and repaired when it failed (a repair that committed 2,850 of 5,000 sequences shows
    /// those as repaired, the rest as behind); null when it failed before measuring anything.
    /// </summary>
    public SequenceReport? PartialReport { get; init; }
}
