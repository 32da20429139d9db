using System.Net;
using SequenceOperator.Kubernetes.Models;

namespace SequenceOperator.Kubernetes;

/// <summary>
/// The API server refused a request. Carries the server's <see cref="Status"/> (<c>code</c>, <c>reason</c>,
/// <c>message</c>). Subclasses name the cases callers branch on. Messages never contain request bodies or
/// credentials: they are the server's Status message (or a generic one when the body was not a Status).
/// </summary>
internal class KubernetesApiException : Exception
{
    public KubernetesApiException(Status status)
        : base(DescribeStatus(status))
    {
        Status = status;
    }

    public KubernetesApiException()
        : this(new Status { Code = 0, Message = "Kubernetes API request failed." })
    {
    }

    public KubernetesApiException(string message)
        : this(new Status { Code = 0, Message = message })
    {
    }

    public KubernetesApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Status = new Status { Code = 0, Message = message };
    }

    public Status Status { get; }

    /// <summary>The HTTP status code (<c>Status.code</c>).</summary>
    public HttpStatusCode Code => (HttpStatusCode)Status.Code;

    /// <summary>The machine-readable reason (<c>Status.reason</c>), e.g. <c>NotFound</c>.</summary>
    public string? Reason => Status.Reason;

    private static string DescribeStatus(Status status)
    {
        var message = string.IsNullOrWhiteSpace(status.Message) ? "no message" : status.Message;
        if (message.Length > 1024)
        {
            message = message[..1024] + "…";
        }

        return $"Kubernetes API error {status.Code} {status.Reason ?? "Unknown"}: {message}";
    }
}

/// <summary>404: the object (or its namespace, or the resource type) does not exist.</summary>
internal sealed class NotFoundException(Status status) : KubernetesApiException(status);

/// <summary>409 with reason <c>AlreadyExists</c>: create of a name that is taken.</summary>
internal sealed class AlreadyExistsException(Status status) : KubernetesApiException(status);

/// <summary>409 (other reasons): the <c>resourceVersion</c> or another precondition no longer matches.</summary>
internal sealed class ConflictException(Status status) : KubernetesApiException(status);

/// <summary>401: no or bad credentials.</summary>
internal sealed class UnauthorizedException(Status status) : KubernetesApiException(status);

/// <summary>403: authenticated, but RBAC does not allow the request.</summary>
internal sealed class ForbiddenException(Status status) : KubernetesApiException(status);

/// <summary>410 (reason <c>Expired</c> or <c>Gone</c>): the requested resourceVersion or continue token is too old.</summary>
internal sealed class GoneException(Status status) : KubernetesApiException(status);

/// <summary>429: throttled (API Priority and Fairness). <see cref="RetryAfter"/> is the server's <c>Retry-After</c>.</summary>
internal sealed class TooManyRequestsException(Status status, TimeSpan? retryAfter) : KubernetesApiException(status)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>400: the server could not decode or accept the request.</summary>
internal sealed class BadRequestException(Status status) : KubernetesApiException(status);

/// <summary>422 (reason <c>Invalid</c>): the object failed validation.</summary>
internal sealed class InvalidException(Status status) : KubernetesApiException(status);

/// <summary>5xx: the server (or a proxy in front of it) failed.</summary>
internal sealed class ServerErrorException(Status status) : KubernetesApiException(status);
