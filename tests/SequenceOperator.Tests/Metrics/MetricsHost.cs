using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SequenceOperator.Metrics;
using SequenceOperator.Testing.Prometheus;

namespace SequenceOperator.Tests.Metrics;

/// <summary>An ASP.NET Core TestServer with the metrics registered and /metrics mapped, as the operator wires them.</summary>
internal sealed class MetricsHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _client;

    private MetricsHost(WebApplication app, ManualTimeProvider time)
    {
        _app = app;
        Time = time;
        _client = app.GetTestClient();
    }

    /// <summary>The clock the metrics service reads.</summary>
    public ManualTimeProvider Time { get; }

    public SequenceOperatorMetrics Metrics => _app.Services.GetRequiredService<SequenceOperatorMetrics>();

    public MetricsPipeline Pipeline => _app.Services.GetRequiredService<MetricsPipeline>();

    public static async Task<MetricsHost> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();

        // Only what the test gives: the machine's environment (OTEL_* variables) must not leak in.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var time = new ManualTimeProvider(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddSequenceOperatorMetrics(configuration);
        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint();
        await app.StartAsync();
        return new MetricsHost(app, time);
    }

    public async Task<HttpResponseMessage> GetAsync(string path = "/metrics") => await _client.GetAsync(new Uri(path, UriKind.Relative));

    /// <summary>GET /metrics with this Accept-Encoding header; the body is left as sent (not decompressed).</summary>
    public async Task<HttpResponseMessage> GetWithAcceptEncodingAsync(string acceptEncoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/metrics", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        return await _client.SendAsync(request);
    }

    public async Task<string> ScrapeTextAsync()
    {
        using var response = await GetAsync();
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    public async Task<PrometheusDocument> ScrapeAsync() => PrometheusTextParser.Parse(await ScrapeTextAsync());

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset UtcNow { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => UtcNow;
}
