namespace SequenceOperator.Tests.Deployment;

public sealed class PlainManifestTests
{
    private const string OperatorNamespace = "sequence-operator-system";

    private static readonly Lazy<List<Manifest>> Default = new(() => Yaml.Manifests(
        Tool.Run(
            RepoPaths.Kubectl,
            ["kustomize", RepoPaths.File("config", "default")]).EnsureSuccess("kubectl kustomize config/default").Stdout));

    [ToolFact]
    public void Kustomize_ConfigDefault_RendersTheWholeOperatorInItsNamespace()
    {
        var manifests = Default.Value;

        Assert.Equal(
            ["ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "Deployment", "Namespace", "PodDisruptionBudget",
             "Role", "RoleBinding", "Service", "ServiceAccount"],
            manifests.Select(m => m.Kind).Order(StringComparer.Ordinal));
        Assert.Equal("restricted", manifests.Single("Namespace").Root.Str("metadata", "labels", "pod-security.kubernetes.io/enforce"));
        foreach (
            var manifest in manifests.Where(
                m => m.Kind is not ("Namespace" or "CustomResourceDefinition" or "ClusterRole" or "ClusterRoleBinding")))
        {
            Assert.Equal(OperatorNamespace, manifest.Namespace);
        }

        foreach (var binding in manifests.Where(m => m.Kind.EndsWith("Binding", StringComparison.Ordinal)))
        {
            var subject = Assert.Single(binding.Root.At("subjects").List());
            Assert.Equal("ServiceAccount", subject.Str("kind"));
            Assert.Equal(manifests.Single("ServiceAccount").Name, subject.Str("name"));
            Assert.Equal(OperatorNamespace, subject.Str("namespace"));
            var role = manifests.Single(binding.Root.Str("roleRef", "kind"), binding.Root.Str("roleRef", "name"));
            Assert.Equal(binding.Kind == "RoleBinding" ? OperatorNamespace : null, role.Namespace);
        }
    }

    [ToolFact]
    public void PlainRbac_GrantsExactlyWhatTheChartGrants()
    {
        var manifests = Default.Value;

        Assert.Equal(Rbac.PolicyNamespaceGrants, Rbac.Grants(manifests.Single("ClusterRole")));
        Assert.Equal(Rbac.Grants(Chart.Render().Single("ClusterRole")), Rbac.Grants(manifests.Single("ClusterRole")));
        Assert.Equal(Rbac.LeaseGrants("sequence-operator"), Rbac.Grants(manifests.Single("Role")));
    }

    [ToolFact]
    public void PlainDeployment_MeetsTheRestrictedPodSecurityStandardAndRunsTheOperator()
    {
        var manifests = Default.Value;
        var deployment = manifests.Single("Deployment");

        PodSecurity.AssertRestricted(deployment);
        PodSecurity.AssertProbes(deployment);
        var pod = deployment.Root.At("spec", "template", "spec");
        Assert.Equal(manifests.Single("ServiceAccount").Name, pod.Str("serviceAccountName"));
        var container = pod.At("containers").List()[0];
        var args = container.Strings("args");
        Assert.Equal("run", args[0]);
        Assert.Contains("--leader-elect", args);
        Assert.Contains("--leader-election-id=sequence-operator", args);
        Assert.Equal("2", deployment.Root.Str("spec", "replicas"));
        var appVersion = Yaml.Parse(RepoPaths.ReadText("charts", "sequence-operator", "Chart.yaml")).Str("appVersion");
        Assert.Equal($"ghcr.io/cityforge/sequence-operator:{appVersion}", container.Str("image"));

        var podLabels = deployment.Root.At("spec", "template", "metadata", "labels").Map();
        foreach (var selector in new[] { manifests.Single("Service").Root.At(
            "spec",
            "selector"), manifests.Single("PodDisruptionBudget").Root.At("spec", "selector", "matchLabels") })
        {
            foreach (var (key, value) in selector.Map())
            {
                Assert.Equal(value, podLabels[key]);
            }
        }
    }

    [ToolFact]
    public void Kustomize_Crd_IsTheGeneratedCrd()
    {
        var fromFile = Yaml.Parse(RepoPaths.ReadText("config", "crd", "sequences.cityforge.io_sequencesyncpolicies.yaml"));

        var rendered = Default.Value.Single("CustomResourceDefinition").Root;

        Assert.Equal(fromFile, rendered);
        var changed = Yaml.Parse(RepoPaths.ReadText(
            "config",
            "crd",
            "sequences.cityforge.io_sequencesyncpolicies.yaml").Replace("ssp", "sps", StringComparison.Ordinal));
        Assert.NotEqual(changed, rendered);
    }
}
