namespace SequenceOperator.Entities.Meta;

/// <summary>Any Kubernetes object: <c>apiVersion</c>, <c>kind</c> and <c>metadata</c>.</summary>
public interface IKubernetesObject
{
    string? ApiVersion { get; }

    string? Kind { get; }

    ObjectMeta Metadata { get; }
}
