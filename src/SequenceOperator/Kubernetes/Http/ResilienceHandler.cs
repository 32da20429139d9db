using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using SequenceOperator.Logging;

namespace SequenceOperator.Kubernetes.Http;

/// <summary>
/// Retries transient failures with a Polly.Core pipeline: exponential backoff with jitter, a server's
/// <c>Retry-After</c> honoured (capped), a timeout per attempt. Which failures are retried depends on the verb:
/// <list type="bullet">
/// <item>GET, PUT, PATCH, DELETE: connection failures, timeouts, a response cut short, 429 and 5xx (not 501/505).</item>
/// <item>POST (create, which is not idempotent): only what the server says is safe to repeat — 429, or a 5xx that
/// carries <c>Retry-After</c> (as client-go does) — and failures to connect at all.</item>
/// </list>
/// Other 4xx are never retried. Watch requests (<see cref="KubernetesRequestOptions.NoRetry"/>) pass straight through:
/// the informer resumes them itself.
/// </summary>
internal sealed partial class ResilienceHandler : DelegatingHandler
{
    private readonly ResiliencePipeline<HttpResponseMessage> _idempotent;
    private readonly ResiliencePipeline<HttpResponseMessage> _create;
    private readonly ILogger _logger;

    public ResilienceHandler(KubernetesClientOptions options, TimeProvider timeProvider, ILogger logger)
    {
        _logger = logger;
        _idempotent = Build(options, timeProvider, idempotent: true);
        _create = Build(options, timeProvider, idempotent: false);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Options.TryGetValue(KubernetesRequestOptions.NoRetry, out var noRetry) && noRetry)
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        if (request.Content is not null)
        {
            await request.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        }

        var pipeline = request.Method == HttpMethod.Post ? _create : _idempotent;
        var attempt = 0;
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var outcome = await pipeline.ExecuteOutcomeAsync(
                async (ctx, state) =>
                {
                    try
                    {
                        var message = attempt++ == 0 ? state : await RequestCloner.CloneAsync(
                            state,
                            ctx.CancellationToken).ConfigureAwait(false);
                        var response = await base.SendAsync(message, ctx.CancellationToken).ConfigureAwait(false);

                        // Read the body inside the attempt so a timeout or a reset while reading is retried too.
                        await response.Content.LoadIntoBufferAsync(ctx.CancellationToken).ConfigureAwait(false);
                        return Outcome.FromResult(response);
                    }
                    catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                    {
                        return Outcome.FromException<HttpResponseMessage>(e);
                    }
                },
                context,
                request).ConfigureAwait(false);
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ResiliencePipeline<HttpResponseMessage> Build(KubernetesClientOptions options, TimeProvider timeProvider, bool idempotent)
    {
        var retry = new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = Math.Max(options.MaxRetryAttempts, 1),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.RetryBaseDelay,
            MaxDelay = options.RetryMaxDelay,
            ShouldHandle = args => ValueTask.FromResult(
                options.MaxRetryAttempts > 0 && (idempotent ? IsTransient(args.Outcome) : IsSafeToRepeatCreate(args.Outcome))),
            DelayGenerator = args =>
            {
                var retryAfter = args.Outcome.Result is { } response
                    ? ApiErrors.RetryAfter(response.Headers.RetryAfter, now: timeProvider.GetUtcNow())
                    : null;
                return ValueTask.FromResult(retryAfter is { } wait ? (TimeSpan?)Min(wait, options.MaxRetryAfter) : null);
            },
            OnRetry = args =>
            {
                var what = args.Outcome.Result is { } response
                    ? ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : args.Outcome.Exception?.GetType().Name ?? "unknown";
                LogRetry(_logger, args.AttemptNumber + 1, what, args.RetryDelay);
                return ValueTask.CompletedTask;
            },
        };

        return new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = timeProvider }
            .AddRetry(retry)
            .AddTimeout(new TimeoutStrategyOptions { Timeout = options.RequestTimeout })
            .Build();
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        // A server certificate that fails verification will fail again: report it at once.
        { Exception: HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException } } => false,
        { Exception: HttpRequestException or TimeoutRejectedException or IOException } => true,
        { Result: { } response } => IsRetriableStatus(response.StatusCode),
        _ => false,
    };

    private static bool IsSafeToRepeatCreate(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        {
            Exception: HttpRequestException
            {
                HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError,
            },
        } => true,
        { Result: { StatusCode: HttpStatusCode.TooManyRequests } } => true,
        { Result: { } response } => IsRetriableStatus(response.StatusCode) && response.Headers.RetryAfter is not null,
        _ => false,
    };

    private static bool IsRetriableStatus(HttpStatusCode code) =>
        code == HttpStatusCode.TooManyRequests
        || ((int)code >= 500 && code is not HttpStatusCode.NotImplemented and not HttpStatusCode.HttpVersionNotSupported);

    [LoggerMessage(
        EventId = LogEvents.Kubernetes.RequestRetry,
        Level = LogLevel.Warning,
        Message = "Kubernetes API request failed ({Failure}); retry {Attempt} in {Delay}")]
    private static partial void LogRetry(ILogger logger, int attempt, string failure, TimeSpan delay);
}
