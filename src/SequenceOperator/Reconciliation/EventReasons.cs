namespace SequenceOperator.Reconciliation;

/// <summary>
/// The reasons (CamelCase, as <c>kubectl get events</c> shows them) and actions of the Events the reconciler
/// records on a policy. The condition reasons are part of the API and live with it
/// (<see cref="Entities.SequenceSyncPolicyReasons"/>); these are the operator's own.
/// </summary>
internal static class EventReasons
{
    /// <summary>Warning: the policy is not Ready; the note is the Ready condition's reason and message.</summary>
    public const string CheckFailed = "CheckFailed";

    /// <summary>Warning: a sequence is behind its data (one Event per sequence, then one for the rest).</summary>
    public const string SequenceBehind = "SequenceBehind";

    /// <summary>Normal: a sequence was repaired (one Event per sequence, then one for the rest).</summary>
    public const string SequenceRepaired = "SequenceRepaired";

    /// <summary>
    /// Warning: a sequence fell behind again within <c>spec.driftRecurrenceWindow</c> after its last drift ended (one
    /// Event per sequence, then one for the rest); the note names the table, how often, the explicit-id rows and the
    /// usual causes.
    /// </summary>
    public const string DriftRecurring = "DriftRecurring";
}

/// <summary>The action of an Event: what the operator was doing when it saw what the Event reports.</summary>
internal static class EventActions
{
    public const string Check = "Check";

    public const string Repair = "Repair";
}
