namespace SequenceOperator.Tests.Deployment;

public sealed class ChartSchemaTests
{
    [ToolTheory]
    [InlineData("replicaCount: 0", "/replicaCount")]
    [InlineData("replicaCount: two", "/replicaCount")]
    [InlineData("replicaCount: 2\nleaderElection: {enabled: false, id: sequence-operator}", "/leaderElection/enabled")]
    [InlineData("image: {repository: ghcr.io/cityforge/sequence-operator, tag: '', pullPolicy: Sometimes}", "/image/pullPolicy")]
    [InlineData(
        "image: {repository: ghcr.io/cityforge/sequence-operator, tag: '', digest: 'md5:abc', pullPolicy: Always}",
        "/image/digest")]
    [InlineData("watchNamespaces: [Worcester]", "/watchNamespaces/0")]
    [InlineData("watchNamespaces: worcester", "/watchNamespaces")]
    [InlineData("watchNamespaces: [worcester, worcester]", "/watchNamespaces")]
    [InlineData("logFormat: xml", "/logFormat")]
    [InlineData("maxConcurrentReconciles: 0", "/maxConcurrentReconciles")]
    [InlineData("metricsPort: 70000", "/metricsPort")]
    [InlineData("podSecurityContext: {runAsUser: 0, runAsGroup: 1654}", "/podSecurityContext/runAsUser")]
    [InlineData("podSecurityContext: {runAsUser: 1654, runAsGroup: 1654, privileged: true}", "/podSecurityContext")]
    [InlineData("serviceAccount: {create: false}", "/serviceAccount/name")]
    [InlineData("serviceMonitor: {enabled: true, interval: soon}", "/serviceMonitor/interval")]
    [InlineData("alerts: {nearExhaustion: {warningRatio: 1.5}}", "/alerts/nearExhaustion/warningRatio")]
    [InlineData("alerts: {runbookBaseUrl: 'not a url'}", "/alerts/runbookBaseUrl")]
    [InlineData("alerts: {exhaustionForecast: {within: 30days}}", "/alerts/exhaustionForecast/within")]
    [InlineData("alerts: {exhaustionForecast: {within: 1y}}", "/alerts/exhaustionForecast/within")]
    [InlineData("alerts: {exhaustionForecast: {within: 0d}}", "/alerts/exhaustionForecast/within")]
    [InlineData("alerts: {driftRecurring: {minTransitions: 1}}", "/alerts/driftRecurring/minTransitions")]
    [InlineData("grafana: {alerts: {enabled: yes-please}}", "/grafana/alerts/enabled")]
    [InlineData("replicas: 3", "replicas")]
    [InlineData("resources: {requests: {cpu: 1}, limit: {}}", "limit")]
    public void Schema_RejectsBadValues(string values, string where)
    {
        var result = Chart.Template(values + "\n");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("values don't meet the specifications of the schema", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(where, result.Stderr, StringComparison.Ordinal);
    }

    [ToolTheory]
    [InlineData("metricsPort: 8081\nhealthPort: 8081", "metricsPort and healthPort must differ")]
    [InlineData("alerts: {nearExhaustion: {warningRatio: 0.9, criticalRatio: 0.85}}", "criticalRatio must be greater than warningRatio")]
    public void Chart_RejectsContradictoryValues(string values, string message)
    {
        var result = Chart.Template(values + "\n");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
    }

    [ToolFact]
    public void Schema_AcceptsASingleReplicaWithoutLeaderElection()
    {
        var manifests = Chart.Render("replicaCount: 1\nleaderElection: {enabled: false, id: sequence-operator}\n");

        Assert.Equal("1", manifests.Single("Deployment").Root.Str("spec", "replicas"));
    }
}
