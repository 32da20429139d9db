using System.Text.Json.Nodes;

namespace SequenceOperator.Testing.Kubernetes;

/// <summary>
/// One committed change: its revision (the cluster-wide resourceVersion), the resource, namespace ("" for
/// cluster-scoped), ADDED/MODIFIED/DELETED, the object after the change and the one before (to rebuild past states).
/// Stored objects are never mutated.
/// </summary>
public sealed record StoredEvent(
    long Revision,
    ApiResourceDefinition Resource,
    string Namespace,
    string Name,
    string Type,
    JsonObject Object,
    JsonObject? Previous);
