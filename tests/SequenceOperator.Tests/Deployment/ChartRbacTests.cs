namespace SequenceOperator.Tests.Deployment;

public sealed class ChartRbacTests
{
    private static readonly string[] RbacKinds = ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];

    [ToolFact]
    public void Chart_ByDefault_GrantsExactlyTheOperatorsVerbsClusterWide()
    {
        var manifests = Chart.Render();

        var clusterRole = manifests.Single("ClusterRole");
        Assert.Equal(Rbac.PolicyNamespaceGrants, Rbac.Grants(clusterRole));

        var binding = manifests.Single("ClusterRoleBinding");
        Assert.Equal(clusterRole.Name, binding.Root.Str("roleRef", "name"));
        Assert.Equal("ClusterRole", binding.Root.Str("roleRef", "kind"));
        AssertBindsOperatorServiceAccount(binding);

        // The only namespaced Role is leader election, in the release namespace, on the one Lease.
        var role = Assert.Single(manifests.OfKind("Role"));
        Assert.Equal(Chart.Namespace, role.Namespace);
        Assert.Equal(Rbac.LeaseGrants("sequence-operator"), Rbac.Grants(role));
        var roleBinding = Assert.Single(manifests.OfKind("RoleBinding"));
        Assert.Equal(Chart.Namespace, roleBinding.Namespace);
        Assert.Equal(role.Name, roleBinding.Root.Str("roleRef", "name"));
        AssertBindsOperatorServiceAccount(roleBinding);
    }

    [ToolFact]
    public void Chart_WithWatchNamespaces_GrantsSecretsOnlyInThoseNamespaces()
    {
        var manifests = Chart.Render(Chart.WatchNamespaces);

        Assert.Empty(manifests.OfKind("ClusterRole"));
        Assert.Empty(manifests.OfKind("ClusterRoleBinding"));

        var roles = manifests.OfKind("Role").Where(r => !r.Name.EndsWith("-leader-election", StringComparison.Ordinal)).ToList();
        Assert.Equal(["shrewsbuddy", "worcester"], roles.Select(r => r.Namespace).Order(StringComparer.Ordinal));
        foreach (var role in roles)
        {
            Assert.Equal(Rbac.PolicyNamespaceGrants, Rbac.Grants(role));
            var binding = manifests.OfKind("RoleBinding").Single(b => b.Namespace == role.Namespace);
            Assert.Equal("Role", binding.Root.Str("roleRef", "kind"));
            Assert.Equal(role.Name, binding.Root.Str("roleRef", "name"));
            AssertBindsOperatorServiceAccount(binding);
        }

        // Secrets are readable nowhere else: not in the operator's own namespace, not cluster-wide.
        var secretGrants = manifests.Where(m => RbacKinds.Contains(m.Kind) && m.Kind.EndsWith("Role", StringComparison.Ordinal))
            .Where(r => Rbac.Grants(r).Any(g => g.StartsWith("core/secrets", StringComparison.Ordinal)))
            .Select(r => r.Namespace).Order(StringComparer.Ordinal);
        Assert.Equal(["shrewsbuddy", "worcester"], secretGrants);

        var args = manifests.Single("Deployment").Root.At("spec", "template", "spec", "containers").List()[0].Strings("args");
        Assert.Contains("--watch-namespaces=worcester,shrewsbuddy", args);
    }

    [ToolFact]
    public void Chart_WithoutLeaderElection_HasNoLeaseAccess()
    {
        var manifests = Chart.Render("replicaCount: 1\nleaderElection: {enabled: false, id: sequence-operator}\n");

        Assert.DoesNotContain(manifests.Where(m => m.Kind is "Role" or "ClusterRole").SelectMany(Rbac.Grants),
            g => g.StartsWith("coordination.k8s.io", StringComparison.Ordinal));
        var args = manifests.Single("Deployment").Root.At("spec", "template", "spec", "containers").List()[0].Strings("args");
        Assert.DoesNotContain("--leader-elect", args);
    }

    [ToolFact]
    public void Chart_WithCustomLeaseName_GrantsThatLeaseAndPassesItToTheOperator()
    {
        var manifests = Chart.Render("leaderElection: {enabled: true, id: seq-op-blue}\n");

        var role = manifests.Single("Role", $"{Chart.FullName}-leader-election");
        Assert.Equal(Rbac.LeaseGrants("seq-op-blue"), Rbac.Grants(role));
        var args = manifests.Single("Deployment").Root.At("spec", "template", "spec", "containers").List()[0].Strings("args");
        Assert.Contains("--leader-election-id=seq-op-blue", args);
        Assert.Contains($"--leader-election-namespace={Chart.Namespace}", args);
    }

    [ToolTheory]
    [InlineData("")]
    [InlineData(Chart.WatchNamespaces)]
    [InlineData(Chart.EverythingOn)]
    public void Chart_NeverGrantsWildcardsOrSecretEnumeration(string values)
    {
        var grants = Chart.Render(values).Where(m => m.Kind is "Role" or "ClusterRole").SelectMany(Rbac.Grants).ToList();

        Assert.NotEmpty(grants);
        Assert.DoesNotContain(grants, g => g.Contains('*', StringComparison.Ordinal));
        Assert.DoesNotContain("core/secrets list", grants);
        Assert.DoesNotContain("core/secrets watch", grants);
        Assert.DoesNotContain(grants, g => g.StartsWith("core/events", StringComparison.Ordinal));
    }

    [ToolFact]
    public void Chart_WithRbacCreateOff_RendersNoRbac()
    {
        var manifests = Chart.Render("rbac: {create: false}\n");

        Assert.DoesNotContain(manifests, m => RbacKinds.Contains(m.Kind));
        Assert.Single(manifests.OfKind("Deployment"));
    }

    private static void AssertBindsOperatorServiceAccount(Manifest binding)
    {
        var subject = Assert.Single(binding.Root.At("subjects").List());
        Assert.Equal("ServiceAccount", subject.Str("kind"));
        Assert.Equal(Chart.FullName, subject.Str("name"));
        Assert.Equal(Chart.Namespace, subject.Str("namespace"));
    }
}
