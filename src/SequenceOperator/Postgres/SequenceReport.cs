using System.Text.Json.Serialization;

namespace SequenceOperator.Postgres;

/// <summary>Where a sequence-fed column stands.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SequenceStatus>))]
public enum SequenceStatus
{
    /// <summary>The sequence's next value passes the data.</summary>
    InSync,

    /// <summary>The next value would collide with existing data.</summary>
    Behind,

    /// <summary>It was behind and this run repaired it.</summary>
    Repaired,

    /// <summary>It could not be checked or repaired; see the message.</summary>
    Error,
}

/// <summary>One (table, column) fed by a sequence: the engine's answer for it.</summary>
public sealed record SequenceEntry
{
    public required string Schema { get; init; }

    public required string Table { get; init; }

    public required string Column { get; init; }

    public required string SequenceSchema { get; init; }

    public required string SequenceName { get; init; }

    /// <summary>MAX of the column (MIN for a descending sequence); null for an empty table or when unknown.</summary>
    public long? MaxValue { get; init; }

    /// <summary>The value the next <c>nextval</c> returns, before any repair; null when unknown.</summary>
    public long? NextValue { get; init; }

    /// <summary>How many values the next value must advance to pass the data (over every column the sequence feeds); 0 when in sync.</summary>
    public long BehindBy { get; init; }

    /// <summary>Share of the usable range (sequence bounds and column type) already handed out, 0..1.</summary>
    public double CapacityUsed { get; init; }

    public required SequenceStatus Status { get; init; }

    /// <summary>The next value after this run's repair; null when not repaired.</summary>
    public long? RepairedNextValue { get; init; }

    /// <summary>False when no index serves MAX on the column: the check scans the table.</summary>
    public bool Indexed { get; init; } = true;

    public string Message { get; init; } = string.Empty;
}

/// <summary>A table entry that could not be checked at all (unknown table, no sequence-fed column, ...).</summary>
public sealed record EntryError(string Entry, string Message);

/// <summary>What a check or a repair found.</summary>
public sealed record SequenceReport
{
    public required IReadOnlyList<SequenceEntry> Sequences { get; init; }

    public IReadOnlyList<EntryError> Errors { get; init; } = [];

    /// <summary>For a dry-run repair: the exact SQL the repair would run; else null.</summary>
    public string? RepairSql { get; init; }

    [JsonIgnore]
    public bool HasErrors => Errors.Count > 0 || Sequences.Any(s => s.Status == SequenceStatus.Error);

    [JsonIgnore]
    public bool HasBehind => Sequences.Any(s => s.Status == SequenceStatus.Behind);
}
