namespace SequenceOperator.Tests.Deployment;

public sealed class ChartDeploymentTests
{
    private static Dictionary<string, object?> Container(IEnumerable<Manifest> manifests) =>
        manifests.Single("Deployment").Root.At("spec", "template", "spec", "containers").List()[0].Map();

    [ToolTheory]
    [InlineData("")]
    [InlineData(Chart.WatchNamespaces)]
    [InlineData(Chart.EverythingOn)]
    public void Chart_Deployment_MeetsTheRestrictedPodSecurityStandard(string values)
    {
        var deployment = Chart.Render(values).Single("Deployment");

        PodSecurity.AssertRestricted(deployment);
        PodSecurity.AssertProbes(deployment);
    }

    [ToolFact]
    public void Chart_ByDefault_RunsTwoReplicasWithLeaderElectionAndAPodDisruptionBudget()
    {
        var manifests = Chart.Render();
        var deployment = manifests.Single("Deployment");

        Assert.Equal("2", deployment.Root.Str("spec", "replicas"));
        var container = Container(manifests);
        Assert.Equal("run", container.Strings("args")[0]);
        Assert.Contains("--leader-elect", container.Strings("args"));
        Assert.DoesNotContain(container.Strings("args"), a => a.StartsWith("--watch-namespaces", StringComparison.Ordinal));

        var pdb = manifests.Single("PodDisruptionBudget");
        Assert.Equal("1", pdb.Root.Str("spec", "maxUnavailable"));
        var podLabels = deployment.Root.At("spec", "template", "metadata", "labels").Map();
        foreach (var (key, value) in pdb.Root.At("spec", "selector", "matchLabels").Map())
        {
            Assert.Equal(value, podLabels[key]);
        }
    }

    [ToolFact]
    public void Chart_Deployment_PassesTheOperatorFlagsAndPodIdentity()
    {
        var container = Container(Chart.Render(
            "maxConcurrentReconciles: 7\nheapSlack: 0\nlogFormat: text\nmetricsPort: 9090\nhealthPort: 9091\n"));

        Assert.Equal(
            ["run", "--leader-elect", "--leader-election-id=sequence-operator", $"--leader-election-namespace={Chart.Namespace}",
             "--max-concurrent-reconciles=7", "--heap-slack=0", "--metrics-port=9090", "--health-port=9091", "--log-format=text"],
            container.Strings("args"));
        var ports = container.At("ports").List().ToDictionary(p => p.Str("name"), p => p.Str("containerPort"));
        Assert.Equal("9090", ports["metrics"]);
        Assert.Equal("9091", ports["health"]);

        var env = container.At("env").List();
        Assert.Equal("metadata.name", env.Single(e => e.Str("name") == "POD_NAME").Str("valueFrom", "fieldRef", "fieldPath"));
        Assert.Equal("metadata.namespace", env.Single(e => e.Str("name") == "POD_NAMESPACE").Str("valueFrom", "fieldRef", "fieldPath"));
    }

    [ToolFact]
    public void Chart_WithEverythingOn_PassesSchedulingAndExtraEnvThrough()
    {
        var manifests = Chart.Render(Chart.EverythingOn);
        var pod = manifests.Single("Deployment").Root.At("spec", "template", "spec");
        var container = Container(manifests);

        Assert.Equal("http://otel-collector.observability:4317",
            container.At("env").List().Single(e => e.Str("name") == "OTEL_EXPORTER_OTLP_ENDPOINT").Str("value"));
        Assert.Equal("linux", pod.Str("nodeSelector", "kubernetes.io/os"));
        Assert.Equal("operators", Assert.Single(pod.At("tolerations").List()).Str("value"));
        Assert.NotNull(pod.At("affinity", "nodeAffinity"));
        Assert.Null(pod.At("affinity", "podAntiAffinity"));
        Assert.Equal("registry", Assert.Single(pod.At("imagePullSecrets").List()).Str("name"));
        Assert.Equal("system-cluster-critical", pod.Str("priorityClassName"));
        Assert.Equal(
            "platform",
            manifests.Single("Deployment").Root.Str("spec", "template", "metadata", "annotations", "example.com/team"));
    }

    [ToolFact]
    public void Chart_ByDefault_SpreadsReplicasAcrossNodes()
    {
        var pod = Chart.Render().Single("Deployment").Root.At("spec", "template", "spec");

        var term = Assert.Single(pod.At("affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution").List());
        Assert.Equal("kubernetes.io/hostname", term.Str("podAffinityTerm", "topologyKey"));
    }

    [ToolFact]
    public void Chart_Image_DefaultsToTheAppVersionAndAcceptsADigest()
    {
        var appVersion = Yaml.Parse(RepoPaths.ReadText("charts", "sequence-operator", "Chart.yaml")).Str("appVersion");

        Assert.Equal($"ghcr.io/cityforge/sequence-operator:{appVersion}", Container(Chart.Render()).Str("image"));
        Assert.Equal("registry.example.com/so:1.2.3", Container(Chart.Render(
            "image: {repository: registry.example.com/so, tag: 1.2.3, pullPolicy: Always}\n")).Str("image"));
        var digest = "sha256:" + new string('a', 64);
        Assert.Equal($"registry.example.com/so@{digest}", Container(Chart.Render(
            $"image: {{repository: registry.example.com/so, tag: '', digest: '{digest}', pullPolicy: IfNotPresent}}\n")).Str("image"));
    }

    [ToolFact]
    public void Chart_MetricsService_SelectsTheOperatorPodsOnTheMetricsPort()
    {
        var manifests = Chart.Render();
        var service = manifests.Single("Service");
        var podLabels = manifests.Single("Deployment").Root.At("spec", "template", "metadata", "labels").Map();

        foreach (var (key, value) in service.Root.At("spec", "selector").Map())
        {
            Assert.Equal(value, podLabels[key]);
        }

        var port = Assert.Single(service.Root.At("spec", "ports").List());
        Assert.Equal("metrics", port.Str("name"));
        Assert.Equal("metrics", port.Str("targetPort"));
        Assert.Contains(Container(manifests).At("ports").List(), p => p.Str("name") == "metrics");
    }

    [ToolFact]
    public void Chart_ServiceAccount_IsTheOneThePodsRunAs()
    {
        var manifests = Chart.Render();

        var account = manifests.Single("ServiceAccount");
        Assert.Equal(account.Name, manifests.Single("Deployment").Root.Str("spec", "template", "spec", "serviceAccountName"));
        Assert.Equal(Chart.Namespace, account.Namespace);
    }

    [ToolFact]
    public void Chart_WithMinAvailable_UsesItInsteadOfMaxUnavailable()
    {
        var spec = Chart.Render("podDisruptionBudget: {enabled: true, minAvailable: 1}\n").Single("PodDisruptionBudget").Root.At("spec");

        Assert.Equal("1", spec.Str("minAvailable"));
        Assert.Null(spec.At("maxUnavailable"));
    }
}
