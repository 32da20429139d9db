using SequenceOperator.Metrics;

namespace SequenceOperator.Reconciliation;

/// <summary>A policy by namespace and name: the work queue's key, and the key of everything kept per policy.</summary>
internal readonly record struct PolicyKey(string Namespace, string Name)
{
    /// <summary>The same policy as its metric series name it (Metrics has its own type: it knows nothing of reconciliation).</summary>
    public static implicit operator PolicyLabels(PolicyKey key) => new(key.Namespace, key.Name);

    public override string ToString() => $"{Namespace}/{Name}";
}
