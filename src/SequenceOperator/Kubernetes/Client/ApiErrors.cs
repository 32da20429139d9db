using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using SequenceOperator.Kubernetes.Models;

namespace SequenceOperator.Kubernetes;

/// <summary>Turns failed responses and ERROR watch events into typed exceptions.</summary>
internal static class ApiErrors
{
    /// <summary>Reads the Status body of a failed response (or makes one up when the body is not a Status).</summary>
    public static async Task<KubernetesApiException> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        Status? status = null;
        try
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (bytes.Length > 0 && bytes[0] == (byte)'{')
            {
                status = JsonSerializer.Deserialize(bytes, KubernetesJsonContext.Default.Status);
            }
        }
        catch (JsonException)
        {
            status = null;
        }

        var code = (int)response.StatusCode;
        if (status is null || status.Kind is not (null or "Status"))
        {
            // A proxy's HTML page or similar: never echo the body, only what HTTP itself said.
            status = new Status
            {
                Kind = "Status",
                ApiVersion = "v1",
                Outcome = "Failure",
                Code = code,
                Reason = DefaultReason(response.StatusCode),
                Message = $"the server answered HTTP {code} ({response.ReasonPhrase ?? response.StatusCode.ToString()})",
            };
        }
        else if (status.Code == 0)
        {
            status = status with { Code = code };
        }

        return FromStatus(status, RetryAfter(response.Headers.RetryAfter, status));
    }

    /// <summary>The exception for a Status (from a response or an ERROR watch event).</summary>
    public static KubernetesApiException FromStatus(Status status, TimeSpan? retryAfter = null)
    {
        retryAfter ??= status.Details?.RetryAfterSeconds is int seconds ? TimeSpan.FromSeconds(seconds) : null;
        return (status.Code, status.Reason) switch
        {
            (409, "AlreadyExists") => new AlreadyExistsException(status),
            (_, "AlreadyExists") => new AlreadyExistsException(status),
            (404, _) or (_, "NotFound") => new NotFoundException(status),
            (409, _) or (_, "Conflict") => new ConflictException(status),
            (401, _) or (_, "Unauthorized") => new UnauthorizedException(status),
            (403, _) or (_, "Forbidden") => new ForbiddenException(status),
            (410, _) or (_, "Expired" or "Gone") => new GoneException(status),
            (429, _) or (_, "TooManyRequests") => new TooManyRequestsException(status, retryAfter),
            (422, _) or (_, "Invalid") => new InvalidException(status),
            (400, _) or (_, "BadRequest") => new BadRequestException(status),
            ( >= 500 and < 600, _) => new ServerErrorException(status),
            _ => new KubernetesApiException(status),
        };
    }

    /// <summary>The <c>Retry-After</c> header as a delay (seconds or an HTTP date), else the Status' retryAfterSeconds.</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, Status? status = null, DateTimeOffset? now = null)
    {
        if (header?.Delta is TimeSpan delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (header?.Date is DateTimeOffset date)
        {
            var wait = date - (now ?? DateTimeOffset.UtcNow);
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return status?.Details?.RetryAfterSeconds is int seconds ? TimeSpan.FromSeconds(seconds) : null;
    }

    private static string DefaultReason(HttpStatusCode code) => code switch
    {
        HttpStatusCode.BadRequest => "BadRequest",
        HttpStatusCode.Unauthorized => "Unauthorized",
        HttpStatusCode.Forbidden => "Forbidden",
        HttpStatusCode.NotFound => "NotFound",
        HttpStatusCode.Conflict => "Conflict",
        HttpStatusCode.Gone => "Gone",
        HttpStatusCode.UnprocessableEntity => "Invalid",
        HttpStatusCode.TooManyRequests => "TooManyRequests",
        HttpStatusCode.ServiceUnavailable => "ServiceUnavailable",
        HttpStatusCode.GatewayTimeout => "Timeout",
        >= HttpStatusCode.InternalServerError => "InternalError",
        _ => "Unknown",
    };
}
