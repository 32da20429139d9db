namespace SequenceOperator.Tests.Deployment;

/// <summary>RBAC rules flattened to one grant per (API group, resource, verb, resource name) for exact comparison.</summary>
internal static class Rbac
{
    /// <summary>What the operator needs on the namespaces of its policies, and nothing more.</summary>
    public static readonly SortedSet<string> PolicyNamespaceGrants =
    [
        "sequences.cityforge.io/sequencesyncpolicies get",
        "sequences.cityforge.io/sequencesyncpolicies list",
        "sequences.cityforge.io/sequencesyncpolicies watch",
        "sequences.cityforge.io/sequencesyncpolicies/status patch",
        "sequences.cityforge.io/sequencesyncpolicies/status update",
        "core/secrets get",
        "events.k8s.io/events create",
        "events.k8s.io/events patch",
    ];

    /// <summary>Leader election, in the operator's own namespace: its one Lease.</summary>
    public static SortedSet<string> LeaseGrants(string leaseName) =>
    [
        "coordination.k8s.io/leases create",
        $"coordination.k8s.io/leases get [{leaseName}]",
        $"coordination.k8s.io/leases update [{leaseName}]",
    ];

    public static SortedSet<string> Grants(Manifest role)
    {
        var grants = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var rule in role.Root.At("rules").List())
        {
            var names = rule.Strings("resourceNames");
            foreach (var group in rule.Strings("apiGroups"))
            {
                foreach (var resource in rule.Strings("resources"))
                {
                    foreach (var verb in rule.Strings("verbs"))
                    {
                        var prefix = $"{(group.Length == 0 ? "core" : group)}/{resource} {verb}";
                        if (names.Count == 0)
                        {
                            grants.Add(prefix);
                        }
                        else
                        {
                            grants.UnionWith(names.Select(n => $"{prefix} [{n}]"));
                        }
                    }
                }
            }
        }

        return grants;
    }
}
