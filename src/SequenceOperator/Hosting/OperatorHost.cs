using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SequenceOperator.Entities;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Configuration;
using SequenceOperator.Kubernetes.Events;
using SequenceOperator.Kubernetes.Informers;
using SequenceOperator.Kubernetes.LeaderElection;
using SequenceOperator.Metrics;
using SequenceOperator.Postgres;
using SequenceOperator.Reconciliation;
using SequenceOperator.Reconciliation.Insights;

namespace SequenceOperator.Hosting;

/// <summary>
/// The composition root of <c>sequence-operator run</c>: the Kubernetes client, the policy informer, the reconciler,
/// leader election, metrics on the metrics port and <c>/healthz</c> and <c>/readyz</c> on the health port.
/// </summary>
internal static class OperatorHost
{
    /// <summary>Builds the host. <paramref name="kubernetes"/> replaces the kubeconfig / in-cluster configuration (tests).</summary>
    public static WebApplication Build(
        IDictionary<string, string?> settings,
        KubernetesClientConfiguration? kubernetes = null,
        Action<IServiceCollection>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "sequence-operator" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings); // OTEL_* variables come in here too (OperatorArguments)
        var options = builder.Configuration.GetSection(OperatorOptions.SectionName).Get<OperatorOptions>() ?? new OperatorOptions();
        var validation = new OperatorOptionsValidator().Validate(Options.DefaultName, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(OperatorOptions.SectionName, typeof(OperatorOptions), validation.Failures);
        }

        ConfigureLogging(builder.Logging, options.LogFormat);
        var bind = IPAddress.Parse(options.BindAddress);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(bind, options.MetricsPort);
            kestrel.Listen(bind, options.HealthPort);
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);

        var services = builder.Services;
        services.AddSingleton(Options.Create(options)); // validated above, once: not bound and checked again
        services.AddSequenceOperatorMetrics(builder.Configuration);
        var identity = options.Identity ?? $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..6]}";
        var kube = kubernetes ?? KubernetesConfigurationLoader.Load(KubernetesConfigurationSource.FromEnvironment(
            options.Kubeconfig,
            options.Context));

        services.AddSingleton<IKubernetesClient>(sp => KubernetesClient.Create(
            kube,
            new KubernetesClientOptions(),
            sp.GetRequiredService<ILoggerFactory>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new Informer<V1Alpha1SequenceSyncPolicy>(
            sp.GetRequiredService<IKubernetesClient>(),
            PolicyReconciler.PolicyType,
            SequenceSyncPolicyJsonContext.Default.V1Alpha1SequenceSyncPolicy,
            new InformerOptions
            {
                Namespaces = options.WatchNamespaces.Count > 0 ? [.. options.WatchNamespaces] : null,
                WatchTimeout = options.WatchTimeout,
            },
            sp.GetRequiredService<ILogger<Informer<V1Alpha1SequenceSyncPolicy>>>(),
            sp.GetRequiredService<TimeProvider>(),
            CachedPolicy.Slim));
        services.AddSingleton<IEventRecorder>(sp => new EventRecorder(
            sp.GetRequiredService<IKubernetesClient>(),
            new EventRecorderOptions { ReportingInstance = identity, SeriesHeartbeat = options.EventHeartbeat },
            sp.GetRequiredService<ILogger<EventRecorder>>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<SequenceEngine>();
        services.AddSingleton<PolicyDatabases>();
        services.AddSingleton(new CheckTimeouts { Connect = options.ConnectTimeout, Command = options.CommandTimeout });
        services.AddSingleton(_ => new InsightStore());
        services.AddSingleton<PolicyReconciler>();
        services.AddSingleton(sp => new HeapTrimmer(
            (long)options.HeapSlack << 20,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<HeapTrimmer>>()));
        services.AddSingleton<PolicyController>();
        if (options.LeaderElect)
        {
            var leaseNamespace = options.LeaderElectionNamespace ?? ReadServiceAccountNamespace() ?? kube.Namespace;
            services.AddSingleton(sp => new LeaderElector(
                sp.GetRequiredService<IKubernetesClient>(),
                new LeaderElectionOptions
                {
                    LeaseName = options.LeaderElectionId,
                    LeaseNamespace = leaseNamespace,
                    Identity = identity,
                    LeaseDuration = options.LeaseDuration,
                    RenewDeadline = options.RenewDeadline,
                    RetryPeriod = options.RetryPeriod,
                },
                sp.GetRequiredService<ILogger<LeaderElector>>(),
                sp.GetRequiredService<TimeProvider>()));
        }

        services.AddSingleton(sp => new OperatorService(
            sp.GetRequiredService<Informer<V1Alpha1SequenceSyncPolicy>>(),
            sp.GetRequiredService<PolicyController>(),
            sp.GetRequiredService<SequenceOperatorMetrics>(),
            sp.GetRequiredService<IOptions<OperatorOptions>>(),
            sp.GetRequiredService<ILogger<OperatorService>>(),
            sp.GetService<LeaderElector>()));
        services.AddHostedService(sp => sp.GetRequiredService<OperatorService>());
        configure?.Invoke(services);

        var app = builder.Build();
        app.MapPrometheusScrapingEndpoint().RequireHost($"*:{options.MetricsPort}");
        app.MapGet("/healthz", (OperatorService service, Informer<V1Alpha1SequenceSyncPolicy> informer, TimeProvider time) =>
            Health.Live(service, informer, time)).RequireHost($"*:{options.HealthPort}");
        app.MapGet(
            "/readyz",
            (Informer<V1Alpha1SequenceSyncPolicy> informer) => Health.Ready(informer)).RequireHost($"*:{options.HealthPort}");
        return app;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, string format)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(LogLevel.Information);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        if (format == "json")
        {
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.IncludeScopes = true;
                o.SingleLine = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }
    }

    private static string? ReadServiceAccountNamespace()
    {
        var path = Path.Combine(KubernetesConfigurationSource.DefaultServiceAccountDirectory, "namespace");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }
}

/// <summary>The probes: live while the watch makes progress and the loop runs; ready once the cache has synced.</summary>
internal static class Health
{
    public static IResult Live(OperatorService service, Informer<V1Alpha1SequenceSyncPolicy> informer, TimeProvider time)
    {
        if (service.Failure is not null)
        {
            return Results.Text(
                "the operator loop stopped: " + service.Failure.GetType().Name,
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var idle = time.GetUtcNow() - informer.LastActivity;
        return idle > informer.StallThreshold
            ? Results.Text(
                $"the watch on sequencesyncpolicies made no progress for {idle.TotalSeconds:F0}s",
                statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ok");
    }

    public static IResult Ready(Informer<V1Alpha1SequenceSyncPolicy> informer) =>
        informer.HasSynced ? Results.Text("ok") : Results.Text(
            "the policy cache has not synced yet",
            statusCode: StatusCodes.Status503ServiceUnavailable);
}
