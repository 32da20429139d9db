using System.Text.Json.Serialization;

namespace SequenceOperator.Kubernetes.Models;

/// <summary><c>meta/v1</c> Status: what the server answers on failures (and in watch ERROR events).</summary>
internal sealed record Status
{
    public string? ApiVersion { get; init; }

    public string? Kind { get; init; }

    /// <summary><c>Success</c> or <c>Failure</c> (the JSON <c>status</c> field).</summary>
    [JsonPropertyName("status")]
    public string? Outcome { get; init; }

    public string? Message { get; init; }

    /// <summary>Machine-readable: <c>NotFound</c>, <c>AlreadyExists</c>, <c>Conflict</c>, <c>Expired</c>, ...</summary>
    public string? Reason { get; init; }

    public StatusDetails? Details { get; init; }

    public int Code { get; init; }
}

/// <summary><c>StatusDetails</c>.</summary>
internal sealed record StatusDetails
{
    public string? Name { get; init; }

    public string? Group { get; init; }

    public string? Kind { get; init; }

    public string? Uid { get; init; }

    public IReadOnlyList<StatusCause>? Causes { get; init; }

    public int? RetryAfterSeconds { get; init; }
}

/// <summary><c>StatusCause</c>.</summary>
internal sealed record StatusCause
{
    public string? Reason { get; init; }

    public string? Message { get; init; }

    public string? Field { get; init; }
}
