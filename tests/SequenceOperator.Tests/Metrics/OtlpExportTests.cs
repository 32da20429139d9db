using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SequenceOperator.Metrics;
using SequenceOperator.Reconciliation.Insights;

namespace SequenceOperator.Tests.Metrics;

public sealed class OtlpExportTests
{
    [Fact]
    public async Task Otlp_WithoutEndpoint_IsNotWired()
    {
        await using var host = await MetricsHost.StartAsync();
        Assert.False(host.Pipeline.OtlpEnabled);
    }

    [Fact]
    public async Task Otlp_WithEndpoint_ExportsTheMetricsToTheCollector()
    {
        // A stand-in collector on loopback: Kestrel receiving OTLP/HTTP protobuf posts.
        var received = new ConcurrentQueue<(string Path, string? ContentType, byte[] Body)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var collector = builder.Build();
        collector.MapPost("/v1/metrics", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            received.Enqueue((context.Request.Path, context.Request.ContentType, body.ToArray()));
            context.Response.ContentType = "application/x-protobuf";
        });
        await collector.StartAsync();
        var address = collector.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [MetricsPipeline.OtlpEndpointKey] = address,
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        }).Build();
        using (var pipeline = new MetricsPipeline(
            new MetricsOptions(),
            configuration,
            TimeProvider.System,
            NullLogger<MetricsPipeline>.Instance))
        {
            Assert.True(pipeline.OtlpEnabled);
            pipeline.Metrics.RecordCheck(
                new PolicyLabels("worcester", "cityforge"),
                new CheckOutcome { Succeeded = true, Duration = TimeSpan.FromSeconds(1), Sequences = [] });
            pipeline.Metrics.RecordInsights(new PolicyLabels("worcester", "cityforge"),
            [
                new SequenceInsight
                {
                    Column = new FedColumn("public", "cards", "id"),
                    Sequence = "public.cards_id_seq",
                    History = new DriftHistory { DriftCount = 2, ExplicitIdRows = 40 },
                    Forecast = new ExhaustionForecast(1000, DateTimeOffset.UtcNow.AddDays(20), 20_000, "int4", TimeSpan.FromDays(36525)),
                },
            ]);
            Assert.True(pipeline.ForceFlush());
        }

        await collector.StopAsync();
        Assert.NotEmpty(received);
        var (path, contentType, body) = received.First();
        Assert.Equal("/v1/metrics", path);
        Assert.Equal("application/x-protobuf", contentType);
        var text = Encoding.UTF8.GetString(body);
        Assert.Contains(MetricNames.ChecksTotal, text, StringComparison.Ordinal);
        Assert.Contains(MetricNames.CheckDurationSeconds, text, StringComparison.Ordinal);
        Assert.Contains(MetricNames.DriftDetectedTotal, text, StringComparison.Ordinal);
        Assert.Contains(MetricNames.ExplicitIdRowsTotal, text, StringComparison.Ordinal);
        Assert.Contains(MetricNames.SequenceExhaustionTimestampSeconds, text, StringComparison.Ordinal);
        Assert.Contains("worcester", text, StringComparison.Ordinal);
    }
}
