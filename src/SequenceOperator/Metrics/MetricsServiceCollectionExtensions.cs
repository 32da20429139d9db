using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace SequenceOperator.Metrics;

/// <summary>DI registration and the <c>/metrics</c> endpoint.</summary>
internal static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="SequenceOperatorMetrics"/> (singleton) and the <see cref="MetricsPipeline"/> that exports it:
    /// resolving either builds the meter provider, so nothing recorded is lost, and the container disposes it. OTLP
    /// export is added when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set in <paramref name="configuration"/> (environment
    /// variables are part of a host's configuration). Options: section <c>Metrics</c> (<see cref="MetricsOptions"/>).
    /// </summary>
    public static IServiceCollection AddSequenceOperatorMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<MetricsOptions>()
            .Bind(configuration.GetSection(MetricsOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new MetricsPipeline(
            sp.GetRequiredService<IOptions<MetricsOptions>>().Value,
            configuration,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<MetricsPipeline>>() ?? NullLogger<MetricsPipeline>.Instance));
        services.TryAddSingleton(sp => sp.GetRequiredService<MetricsPipeline>().Metrics);
        return services;
    }

    /// <summary>
    /// Maps GET <paramref name="path"/> to a Prometheus scrape: collects on each request (one at a time) and answers
    /// in the text format 0.0.4 (<c>text/plain; version=0.0.4; charset=utf-8</c>).
    /// </summary>
    public static IEndpointConventionBuilder MapPrometheusScrapingEndpoint(this IEndpointRouteBuilder endpoints, string path = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapGet(path, static async context =>
        {
            var pipeline = context.RequestServices.GetRequiredService<MetricsPipeline>();
            var gzip = AcceptsGzip(context.Request);
            await pipeline.ScrapeAsync(async page =>
            {
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = PrometheusTextSerializer.ContentType;
                context.Response.Headers.CacheControl = "no-store";
                context.Response.Headers.Vary = "Accept-Encoding";
                if (gzip)
                {
                    context.Response.Headers.ContentEncoding = "gzip";
                }

                context.Response.ContentLength = page.Length;
                await page.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
            }, context.RequestAborted, gzip).ConfigureAwait(false);
        });
    }

    /// <summary>Whether the request's Accept-Encoding allows gzip (Prometheus sends <c>gzip</c>), by RFC 9110 rules.</summary>
    internal static bool AcceptsGzip(HttpRequest request)
    {
        if (!StringWithQualityHeaderValue.TryParseList([.. request.Headers.AcceptEncoding.OfType<string>()], out var codings))
        {
            return false;
        }

        var gzip = codings.FirstOrDefault(c => string.Equals(c.Value.Value, "gzip", StringComparison.OrdinalIgnoreCase))
            ?? codings.FirstOrDefault(c => c.Value.Value == "*");
        return gzip is not null && (gzip.Quality ?? 1) > 0;
    }
}
