using System.Collections.Concurrent;

namespace SequenceOperator.Tests.Deployment;

/// <summary>Renders the Helm chart with the real helm binary (cached per set of values).</summary>
internal static class Chart
{
    public const string Release = "so";
    public const string Namespace = "sequence-operator";
    public const string FullName = "so-sequence-operator";

    /// <summary>Every optional feature on, and every pass-through value set.</summary>
    public const string EverythingOn = """
        serviceMonitor:
          enabled: true
          labels: {release: kube-prometheus-stack}
        prometheusRule:
          enabled: true
          labels: {release: kube-prometheus-stack}
        grafana:
          dashboard:
            enabled: true
            namespace: monitoring
          alerts:
            enabled: true
            namespace: monitoring
            datasourceUid: prom-main
        alerts:
          labels: {team: platform}
        extraEnv:
          - name: OTEL_EXPORTER_OTLP_ENDPOINT
            value: http://otel-collector.observability:4317
        nodeSelector: {kubernetes.io/os: linux}
        tolerations:
          - {key: dedicated, operator: Equal, value: operators, effect: NoSchedule}
        affinity:
          nodeAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              nodeSelectorTerms:
                - matchExpressions:
                    - {key: kubernetes.io/arch, operator: In, values: [amd64, arm64]}
        imagePullSecrets:
          - name: registry
        podAnnotations: {example.com/team: platform}
        priorityClassName: system-cluster-critical
        """;

    public const string WatchNamespaces = """
        watchNamespaces: [worcester, shrewsbuddy]
        """;

    private static readonly ConcurrentDictionary<string, Lazy<List<Manifest>>> Cache = new(StringComparer.Ordinal);

    /// <summary>`helm template` with these values (YAML); fails the test with helm's message when helm fails.</summary>
    public static List<Manifest> Render(string values = "") =>
        Cache.GetOrAdd(values, v => new Lazy<List<Manifest>>(() =>
            Yaml.Manifests(Template(v).EnsureSuccess("helm template").Stdout))).Value;

    public static ToolResult Template(string values, params string[] extra) =>
        RunWithValues(values, ["template", Release, RepoPaths.Chart, "--namespace", Namespace, .. extra]);

    public static ToolResult Lint(string values) =>
        RunWithValues(values, ["lint", "--strict", RepoPaths.Chart, "--namespace", Namespace]);

    public static ToolResult InstallDryRun(string values) =>
        RunWithValues(values, ["install", Release, RepoPaths.Chart, "--namespace", Namespace, "--dry-run=client"]);

    private static ToolResult RunWithValues(string values, string[] arguments)
    {
        var helm = RepoPaths.Helm;
        var file = Path.Combine(Path.GetTempPath(), $"sequence-operator-values-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, values);
        try
        {
            return Tool.Run(helm, [.. arguments, "--values", file]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static Manifest Single(this IEnumerable<Manifest> manifests, string kind, string? name = null)
    {
        var matches = manifests.Where(m => m.Kind == kind && (name is null || m.Name == name)).ToList();
        return matches.Count == 1
            ? matches[0]
            : throw new InvalidOperationException(
                $"Expected one {kind} {name}, found {matches.Count}: {string.Join(", ", manifests.Select(m => m.ToString()))}");
    }

    public static List<Manifest> OfKind(this IEnumerable<Manifest> manifests, string kind) =>
        manifests.Where(m => m.Kind == kind).ToList();
}
