using System.Security.Cryptography;
using System.Text.Json;
using SequenceOperator.Entities;

namespace SequenceOperator.Reconciliation;

/// <summary>
/// What the operator's cache keeps of a policy: the object without its <c>status.sequences</c> (up to 100 entries of
/// names and numbers, the bulk of its size, which nothing reads from the cache), with a digest of that list instead
/// (<see cref="SequenceSyncPolicyStatus.SequencesDigest"/>), so that writing the status still sends the list only when
/// it changed.
/// </summary>
internal static class CachedPolicy
{
    /// <summary>The policy as the cache keeps it (the informer's transform).</summary>
    public static V1Alpha1SequenceSyncPolicy Slim(V1Alpha1SequenceSyncPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return policy.Status is { Sequences: { } sequences } status
            ? policy with { Status = status with { Sequences = null, SequencesDigest = Digest(sequences) } }
            : policy;
    }

    /// <summary>SHA-256 of the list's JSON, as the status serializes it.</summary>
    public static string Digest(IReadOnlyList<SequenceStatusEntry> sequences) =>
        Convert.ToHexString(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(
            sequences,
            SequenceSyncPolicyJsonContext.Default.IReadOnlyListSequenceStatusEntry)));

    /// <summary>
    /// True when <paramref name="next"/>'s list is the one the cached <paramref name="cached"/> status stands for: the
    /// status patch can leave <c>sequences</c> out.
    /// </summary>
    public static bool SequencesUnchanged(SequenceSyncPolicyStatus? cached, SequenceSyncPolicyStatus next) =>
        cached?.SequencesDigest is { } digest && next.Sequences is { } sequences && Digest(sequences) == digest;
}
