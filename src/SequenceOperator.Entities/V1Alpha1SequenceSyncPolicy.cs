using System.ComponentModel;
using SequenceOperator.Entities.Meta;

namespace SequenceOperator.Entities;

/// <summary>
/// The <c>SequenceSyncPolicy</c> custom resource, version <c>v1alpha1</c>: one per namespace, telling the operator which
/// database's sequences to keep ahead of their tables' data.
/// </summary>
[Description("SequenceSyncPolicy keeps the PostgreSQL sequences of one database ahead of the data they feed: "
    + "it reports sequences that are behind and, in Repair mode, moves them forward.")]
public sealed record V1Alpha1SequenceSyncPolicy : IKubernetesObject
{
    public const string Group = "sequences.cityforge.io";
    public const string Version = "v1alpha1";
    public const string GroupVersion = Group + "/" + Version;
    public const string EntityKind = "SequenceSyncPolicy";
    public const string ListKind = "SequenceSyncPolicyList";
    public const string Plural = "sequencesyncpolicies";
    public const string Singular = "sequencesyncpolicy";
    public const string ShortName = "ssp";

    /// <summary>The CRD's <c>metadata.name</c>: plural.group.</summary>
    public const string CrdName = Plural + "." + Group;

    public string? ApiVersion { get; set; } = GroupVersion;

    public string? Kind { get; set; } = EntityKind;

    public ObjectMeta Metadata { get; set; } = new();

    public required SequenceSyncPolicySpec Spec { get; init; }

    public SequenceSyncPolicyStatus? Status { get; init; }
}

/// <summary>A list of <see cref="V1Alpha1SequenceSyncPolicy"/>, as LIST returns it.</summary>
public sealed record V1Alpha1SequenceSyncPolicyList
{
    public string? ApiVersion { get; set; } = V1Alpha1SequenceSyncPolicy.GroupVersion;

    public string? Kind { get; set; } = V1Alpha1SequenceSyncPolicy.ListKind;

    public ListMeta Metadata { get; set; } = new();

    public IReadOnlyList<V1Alpha1SequenceSyncPolicy> Items { get; set; } = [];
}
