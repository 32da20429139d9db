using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Npgsql;
using SequenceOperator.Entities;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Events;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Logging;
using SequenceOperator.Metrics;
using SequenceOperator.Postgres;
using SequenceOperator.Reconciliation.Insights;

namespace SequenceOperator.Reconciliation;

/// <summary>What the controller does after a reconcile.</summary>
internal enum ReconcileOutcome
{
    /// <summary>Checked: check again after the interval.</summary>
    Requeue,

    /// <summary>Failed: retry with the key's backoff, never waiting longer than the interval.</summary>
    Retry,

    /// <summary>Nothing to do until the policy changes (suspended, invalid spec).</summary>
    Wait,
}

/// <summary>The outcome, and the policy's interval (the requeue delay after a check, the longest backoff after a failure).</summary>
internal sealed record ReconcileResult(ReconcileOutcome Outcome, TimeSpan Interval = default);

/// <summary>Bounds on a check's database work (<c>run --connect-timeout</c>, <c>--command-timeout</c>).</summary>
internal sealed record CheckTimeouts
{
    public static readonly TimeSpan DefaultConnect = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultCommand = TimeSpan.FromSeconds(30);

    /// <summary>How long a server may take to accept and answer a new connection (TCP, TLS, authentication).</summary>
    public TimeSpan Connect { get; init; } = DefaultConnect;

    /// <summary>How long one statement may run (PostgreSQL statement_timeout; the client gives up 15 s after that).</summary>
    public TimeSpan Command { get; init; } = DefaultCommand;
}

/// <summary>
/// Converges one SequenceSyncPolicy. <see cref="ReconcileAsync"/> tells the story: the controller fetched the policy
/// (and handles a policy that is gone, <see cref="Deleted"/>); a suspended or invalid one waits for a change; else
/// read its Secret (in its own namespace only), then, once its database server is free of other checks, connect,
/// check, and repair when the policy says Repair. Every path comes to one <see cref="Outcome"/>, and one step,
/// <see cref="FinishAsync"/>, records it: metrics, then Events, then the status (a merge patch to /status, sent only
/// when it changed). Level-based: it looks only at the policy as it is now, never at what woke it.
/// </summary>
internal sealed partial class PolicyReconciler(
    IKubernetesClient client,
    IEventRecorder events,
    SequenceEngine engine,
    PolicyDatabases databases,
    CheckTimeouts timeouts,
    SequenceOperatorMetrics metrics,
    InsightStore insights,
    TimeProvider time,
    ILogger<PolicyReconciler> logger)
{
    public const string CheckNowAnnotation = "sequences.cityforge.io/check-now";
    private const int MaxSequenceEventsPerCheck = 10;

    // PostgreSQL's largest lock_timeout and statement_timeout (INT_MAX milliseconds).
    private static readonly TimeSpan MaxPostgresTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    public static ResourceType PolicyType { get; } = new(
        V1Alpha1SequenceSyncPolicy.Group,
        V1Alpha1SequenceSyncPolicy.Version,
        V1Alpha1SequenceSyncPolicy.Plural,
        V1Alpha1SequenceSyncPolicy.EntityKind,
        Namespaced: true);

    /// <summary>Reconciles the policy; its database work waits for its turn on the server through <paramref name="servers"/>.</summary>
    public async Task<ReconcileResult> ReconcileAsync(
        V1Alpha1SequenceSyncPolicy policy, ServerTurns servers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(servers);
        var outcome = await DecideAsync(policy, servers, cancellationToken).ConfigureAwait(false);
        return await FinishAsync(policy, outcome, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The policy is gone: drop its metric series and its drift history. No finalizer is needed: nothing outside the operator's memory is
    /// owned, and its connection pool exists only while one of its checks runs.
    /// </summary>
    public void Deleted(PolicyKey key)
    {
        metrics.RemovePolicy(key);
        insights.RemovePolicy(key);
        LogDeleted(logger, key.Namespace, key.Name);
    }

    /// <summary>Suspended or invalid -> read the Secret -> check or repair: what this reconcile comes to.</summary>
    private async Task<Outcome> DecideAsync(V1Alpha1SequenceSyncPolicy policy, ServerTurns servers, CancellationToken cancellationToken)
    {
        var spec = policy.Spec;
        if (spec.Suspend)
        {
            return new Paused(
                SequenceSyncPolicyReasons.Suspended, "Checks and repairs are paused (spec.suspend is true).", Announce: false);
        }

        if (!TryReadSpec(spec, out var run, out var specError))
        {
            return new Paused(SequenceSyncPolicyReasons.InvalidSpec, specError, Announce: true);
        }

        var (settings, secretFailure) = await ReadSecretAsync(policy, run, cancellationToken).ConfigureAwait(false);
        return secretFailure ?? await CheckAsync(policy, run, settings!, servers, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The connection settings from the policy's Secret, or why there are none.</summary>
    private async Task<(NpgsqlConnectionStringBuilder? Settings, Outcome? Failure)> ReadSecretAsync(
        V1Alpha1SequenceSyncPolicy policy, RunSpec run, CancellationToken cancellationToken)
    {
        var ns = policy.Metadata.Namespace!;
        var secretName = policy.Spec.Database.SecretRef.Name;
        Secret? secret;
        try
        {
            secret = await client.TryGetAsync(
                ResourceType.Secrets, ns, secretName, KubernetesJsonContext.Default.Secret, cancellationToken).ConfigureAwait(false);
        }
        catch (ForbiddenException)
        {
            return (null, new CheckFailed(SequenceSyncPolicyReasons.SecretForbidden,
                $"The operator may not read Secret {ns}/{secretName}: grant its service account 'get' on secrets in namespace {ns} "
                + "(with watchNamespaces, add the namespace to the list).", run.Interval));
        }

        if (secret is null)
        {
            return (null, new CheckFailed(SequenceSyncPolicyReasons.SecretNotFound,
                $"Secret {secretName} not found in namespace {ns}: create it with the database credentials "
                + "(keys username and password, or a uri).", run.Interval));
        }

        try
        {
            return (SecretConnection.Build(policy.Spec.Database, secretName, secret.Data), null);
        }
        catch (SecretInvalidException ex)
        {
            return (null, new CheckFailed(SequenceSyncPolicyReasons.SecretInvalid, ex.Message, run.Interval));
        }
    }

    /// <summary>Checks (and in Repair mode repairs) the database, once its server's turn comes.</summary>
    private async Task<Outcome> CheckAsync(
        V1Alpha1SequenceSyncPolicy policy,
        RunSpec run,
        NpgsqlConnectionStringBuilder settings,
        ServerTurns servers,
        CancellationToken cancellationToken)
    {
        var key = KeyOf(policy);
        var server = DatabaseServer.Of(settings);
        var repair = policy.Spec.Mode == PolicyMode.Repair;
        // A repair may wait lockTimeout for its locks on top of the statement's own time.
        var statementTimeout = repair ? Min(timeouts.Command + run.LockTimeout, MaxPostgresTimeout) : timeouts.Command;
        var check = new CheckOptions { Tables = run.Tables, StatementTimeout = statementTimeout, LockTimeout = run.LockTimeout };
        var repairOptions = new RepairOptions { Headroom = policy.Spec.Repair.Headroom, LockTimeout = run.LockTimeout };
        var stopwatch = new Stopwatch();
        try
        {
            // A bounded number of checks per database server: wait for this one's turn. The pool lives for this check only:
            // built from the Secret just read, closed with its connections here, and the server's next check goes
            // before this one writes its status.
            using var turn = await servers.WaitAsync(server, cancellationToken).ConfigureAwait(false);
            try
            {
                stopwatch.Start();
                var pool = databases.Open(key, settings, timeouts.Connect, statementTimeout);
                await using var poolScope = pool.ConfigureAwait(false);
                var report = repair
                    ? await engine.RepairAsync(pool.DataSource, check, repairOptions, cancellationToken).ConfigureAwait(false)
                    : await engine.CheckAsync(pool.DataSource, check, cancellationToken).ConfigureAwait(false);
                return new Checked(report, run.Interval, stopwatch.Elapsed, run.DriftRecurrenceWindow);
            }
            catch (SequenceEngineException ex) when (ex.Failure is EngineFailure.Timeout or EngineFailure.ConnectionFailed)
            {
                turn.NotAnswering(); // its next checks go one at a time until one reaches it
                throw;
            }
        }
        catch (SequenceEngineException ex)
        {
            var message = ex.Failure == EngineFailure.Timeout
                ? $"The database server {server} did not answer in time ({ex.Message}; "
                  + $"connect timeout {KubernetesDuration.Format(timeouts.Connect)}, "
                  + $"statement timeout {KubernetesDuration.Format(statementTimeout)})."
                : ex.Message;
            return new CheckFailed(ReasonFor(ex.Failure), message, run.Interval, stopwatch.Elapsed);
        }
    }

    /// <summary>
    /// Records the outcome, exactly once per reconcile, in this order: metrics, Events, then the status, so a status
    /// that shows this reconcile means all of it is recorded. The one place to add what a reconcile records. A check
    /// first goes to the insight model (drift history, explicit-id rows, forecasts), whose answer each step records.
    /// </summary>
    private async Task<ReconcileResult> FinishAsync(V1Alpha1SequenceSyncPolicy policy, Outcome outcome, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow(); // the reconcile's one reading of the clock
        var insight = outcome is Checked check ? Observe(policy, check, now) : null;
        var status = NextStatus(policy, outcome, insight, now);
        RecordMetrics(policy, outcome, insight);
        await RecordEventsAsync(policy, outcome, insight, status, cancellationToken).ConfigureAwait(false);
        await WriteStatusAsync(policy, status, cancellationToken).ConfigureAwait(false);
        return outcome switch
        {
            Paused => new ReconcileResult(ReconcileOutcome.Wait),
            Checked c when c.Report.Succeeded => new ReconcileResult(ReconcileOutcome.Requeue, c.Interval),
            _ => new ReconcileResult(ReconcileOutcome.Retry, outcome.Interval),
        };
    }

    /// <summary>
    /// The check's samples to the insight model; the history the status kept restores a column the model does not
    /// know yet (after an operator restart or a leader change), counted since the policy's creation.
    /// </summary>
    private InsightReport Observe(V1Alpha1SequenceSyncPolicy policy, Checked outcome, DateTimeOffset now)
    {
        var kept = (policy.Status?.Sequences ?? []).DistinctBy(InsightMapping.ColumnOf).ToDictionary(InsightMapping.ColumnOf);
        var created = policy.Metadata.CreationTimestamp;
        return insights.Observe(
            KeyOf(policy),
            InsightMapping.Samples(outcome.Report),
            now,
            outcome.DriftRecurrenceWindow,
            column => InsightMapping.Restore(kept.GetValueOrDefault(column), created));
    }

    /// <summary>The status the outcome leaves; each helper stamps the policy's generation.</summary>
    private static SequenceSyncPolicyStatus NextStatus(
        V1Alpha1SequenceSyncPolicy policy, Outcome outcome, InsightReport? insight, DateTimeOffset now)
    {
        var status = policy.Status ?? new SequenceSyncPolicyStatus();
        var generation = policy.Metadata.Generation;
        return outcome switch
        {
            Checked c => StatusMapping.Checked(status, c.Report, policy.Spec.HasExplicitTables, now, generation, insight),
            CheckFailed f => (status with { LastCheckTime = now }).WithFailure(f.Reason, f.Message, now, generation),
            Paused p => status.WithFailure(p.Reason, p.Message, now, generation),
            _ => throw new UnreachableException(),
        };
    }

    private void RecordMetrics(V1Alpha1SequenceSyncPolicy policy, Outcome outcome, InsightReport? insight)
    {
        var key = KeyOf(policy);
        var explicitTables = policy.Spec.HasExplicitTables;
        switch (outcome)
        {
            case Checked c:
                metrics.RecordCheck(key, CheckOutcome.Of(c.Report, c.Duration, explicitTables));
                metrics.RecordInsights(key, insight!.Sequences);
                break;
            case CheckFailed f:
                metrics.RecordCheck(key, CheckOutcome.Failed(f.Duration, explicitTables));
                break;
            default:
                metrics.SetPolicyReady(key, false); // no check ran
                break;
        }
    }

    /// <summary>
    /// The sequences' Events of a check and its recurring drift, then a warning when the policy is not Ready (but for a
    /// suspended one).
    /// </summary>
    private async Task RecordEventsAsync(
        V1Alpha1SequenceSyncPolicy policy,
        Outcome outcome,
        InsightReport? insight,
        SequenceSyncPolicyStatus status,
        CancellationToken cancellationToken)
    {
        if (outcome is Checked c)
        {
            await RecordSequenceEventsAsync(policy, c.Report, cancellationToken).ConfigureAwait(false);
            await RecordRecurrencesAsync(policy, insight!, cancellationToken).ConfigureAwait(false);
            LogChecked(logger, c.Report.Sequences.Count, c.Report.Behind.Count, c.Report.Repaired.Count,
                c.Report.Errors.Count + c.Report.CheckFailures.Count + c.Report.RepairFailures.Count);
        }

        var ready = status.GetCondition(SequenceSyncPolicyConditions.Ready)!;
        if (ready.Status != ConditionStatus.True && outcome is not Paused { Announce: false })
        {
            LogFailed(logger, ready.Reason, ready.Message);
            var note = $"{ready.Reason}: {ready.Message}";
            await events.RecordAsync(policy, EventType.Warning, EventReasons.CheckFailed, note, EventActions.Check, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    /// <summary>
    /// An Event per sequence behind or repaired, at most <see cref="MaxSequenceEventsPerCheck"/>; then one for the
    /// rest of each kind, named for what happened to them.
    /// </summary>
    private async Task RecordSequenceEventsAsync(
        V1Alpha1SequenceSyncPolicy policy, SequenceReport report, CancellationToken cancellationToken)
    {
        var notable = report.Sequences.Where(s => s.Status is SequenceStatus.Behind or SequenceStatus.Repaired).ToList();
        foreach (var s in notable.Take(MaxSequenceEventsPerCheck))
        {
            var column = $"{Identifiers.Display(s.Schema, s.Table)}.{Identifiers.Display(s.Column)}";
            var sequence = Identifiers.Display(s.SequenceSchema, s.SequenceName);
            if (s.Status == SequenceStatus.Behind)
            {
                await events.RecordAsync(policy, EventType.Warning, EventReasons.SequenceBehind, string.Create(CultureInfo.InvariantCulture,
                    $"Sequence {sequence} of {column} is behind by {s.BehindBy}: "
                    + $"next value {s.NextValue}, highest value in use {s.MaxValue}."),
                    EventActions.Check, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await events.RecordAsync(policy, EventType.Normal, EventReasons.SequenceRepaired,
                    string.Create(CultureInfo.InvariantCulture,
                        $"Repaired sequence {sequence} of {column}: "
                        + $"next value {s.NextValue} -> {s.RepairedNextValue} (highest value in use {s.MaxValue})."),
                    EventActions.Repair, cancellationToken).ConfigureAwait(false);
            }
        }

        foreach (var rest in notable.Skip(MaxSequenceEventsPerCheck).GroupBy(s => s.Status))
        {
            var (type, reason, what, action) = rest.Key == SequenceStatus.Behind
                ? (EventType.Warning, EventReasons.SequenceBehind, "behind", EventActions.Check)
                : (EventType.Normal, EventReasons.SequenceRepaired, "repaired", EventActions.Repair);
            await events.RecordAsync(policy, type, reason, string.Create(CultureInfo.InvariantCulture,
                $"{rest.Count()} more sequence(s) {what}; see the policy's status."), action, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A <c>DriftRecurring</c> Warning Event per column found behind again within the recurrence window, at most
    /// <see cref="MaxSequenceEventsPerCheck"/>; then one for the rest.
    /// </summary>
    private async Task RecordRecurrencesAsync(V1Alpha1SequenceSyncPolicy policy, InsightReport insight, CancellationToken cancellationToken)
    {
        var recurrences = insight.Recurrences.ToList();
        foreach (var r in recurrences.Take(MaxSequenceEventsPerCheck))
        {
            LogDriftRecurring(logger, r.Column.ToString(), r.DriftCount, r.ExplicitIdRows);
            await events.RecordAsync(
                policy, EventType.Warning, EventReasons.DriftRecurring, r.Message, EventActions.Check, cancellationToken)
                .ConfigureAwait(false);
        }

        if (recurrences.Count > MaxSequenceEventsPerCheck)
        {
            await events.RecordAsync(policy, EventType.Warning, EventReasons.DriftRecurring, string.Create(CultureInfo.InvariantCulture,
                $"{recurrences.Count - MaxSequenceEventsPerCheck} more sequence(s) fell behind again; see the policy's status."),
                EventActions.Check, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A merge patch to the status subresource, sent only when the status changed.</summary>
    private async Task WriteStatusAsync(
        V1Alpha1SequenceSyncPolicy policy, SequenceSyncPolicyStatus status, CancellationToken cancellationToken)
    {
        var before = policy.Status is null
            ? new JsonObject()
            : JsonSerializer.SerializeToNode(policy.Status, SequenceSyncPolicyJsonContext.Default.SequenceSyncPolicyStatus);
        var after = JsonSerializer.SerializeToNode(status, SequenceSyncPolicyJsonContext.Default.SequenceSyncPolicyStatus);
        if (CachedPolicy.SequencesUnchanged(policy.Status, status) && after is JsonObject changed)
        {
            changed.Remove("sequences"); // the cache keeps only a digest of the list: the same digest, the same list
        }

        var diff = StatusMapping.MergeDiff(before, after);
        if (diff is null)
        {
            return;
        }

        await client.PatchStatusAsync(
            PolicyType,
            policy.Metadata.Namespace,
            policy.Metadata.Name!,
            KubernetesPatch.Merge(new JsonObject { ["status"] = diff }),
            SequenceSyncPolicyJsonContext.Default.V1Alpha1SequenceSyncPolicy,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The spec's values a check runs with, or why the spec is invalid.</summary>
    private static bool TryReadSpec(SequenceSyncPolicySpec spec, out RunSpec run, out string error)
    {
        run = default!;
        error = string.Empty;
        // The CRD's bounds, checked again: an API server older than 1.25 ignores the CEL rules that state them.
        if (!KubernetesDuration.TryParse(spec.Interval, out var interval)
            || interval < SequenceSyncPolicySpec.MinimumInterval || interval > SequenceSyncPolicySpec.MaximumInterval)
        {
            error = $"spec.interval '{spec.Interval}' is not a duration of at least "
                + $"{KubernetesDuration.Format(SequenceSyncPolicySpec.MinimumInterval)} and at most "
                + $"{SequenceSyncPolicySpec.MaximumIntervalText} (such as 30s, 5m or 1h).";
            return false;
        }

        if (!KubernetesDuration.TryParse(spec.Repair.LockTimeout, out var lockTimeout)
            || lockTimeout <= TimeSpan.Zero || lockTimeout > RepairSpec.MaximumLockTimeout)
        {
            error = $"spec.repair.lockTimeout '{spec.Repair.LockTimeout}' is not a positive duration of at most "
                + $"{RepairSpec.MaximumLockTimeoutText} (such as 2s or 500ms).";
            return false;
        }

        if (!KubernetesDuration.TryParse(spec.DriftRecurrenceWindow, out var recurrenceWindow)
            || recurrenceWindow < SequenceSyncPolicySpec.MinimumDriftRecurrenceWindow
            || recurrenceWindow > SequenceSyncPolicySpec.MaximumDriftRecurrenceWindow)
        {
            error = $"spec.driftRecurrenceWindow '{spec.DriftRecurrenceWindow}' is not a duration of at least "
                + $"{SequenceSyncPolicySpec.MinimumDriftRecurrenceWindowText} and at most "
                + $"{SequenceSyncPolicySpec.MaximumDriftRecurrenceWindowText} (such as 24h or 90m).";
            return false;
        }

        if (spec.Repair.Headroom < 0)
        {
            error = "spec.repair.headroom must be 0 or more.";
            return false;
        }

        var tables = new List<TableSelector>();
        foreach (var table in spec.Tables ?? [])
        {
            try
            {
                tables.Add(TableSelector.Parse(table.Name, table.Column));
            }
            catch (FormatException ex)
            {
                error = $"spec.tables: {ex.Message}";
                return false;
            }
        }

        run = new RunSpec(interval, lockTimeout, recurrenceWindow, tables);
        return true;
    }

    private static PolicyKey KeyOf(V1Alpha1SequenceSyncPolicy policy) => new(policy.Metadata.Namespace!, policy.Metadata.Name!);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static string ReasonFor(EngineFailure failure) => failure switch
    {
        EngineFailure.AuthenticationFailed => SequenceSyncPolicyReasons.AuthenticationFailed,
        EngineFailure.InvalidConnectionString => SequenceSyncPolicyReasons.SecretInvalid,
        EngineFailure.PermissionDenied => SequenceSyncPolicyReasons.PermissionDenied,
        EngineFailure.ConnectionFailed or EngineFailure.Timeout or EngineFailure.DatabaseNotFound =>
            SequenceSyncPolicyReasons.ConnectionFailed,
        _ => SequenceSyncPolicyReasons.CheckFailed,
    };

    /// <summary>The spec, read: the interval, the lock timeout, the drift recurrence window and the parsed table entries.</summary>
    private sealed record RunSpec(
        TimeSpan Interval, TimeSpan LockTimeout, TimeSpan DriftRecurrenceWindow, IReadOnlyList<TableSelector> Tables);

    /// <summary>What one reconcile came to, decided once; <see cref="FinishAsync"/> records it.</summary>
    /// <param name="Interval">The policy's interval: the requeue delay after a check, the longest backoff after a failure.</param>
    private abstract record Outcome(TimeSpan Interval);

    /// <summary>
    /// Nothing to do until the policy changes: suspended, or an invalid spec (<paramref name="Announce"/>: with a
    /// warning Event).
    /// </summary>
    private sealed record Paused(string Reason, string Message, bool Announce) : Outcome(TimeSpan.Zero);

    /// <summary>No check could run, or it failed as a whole: Ready=False with the reason, then a retry.</summary>
    private sealed record CheckFailed(string Reason, string Message, TimeSpan Interval, TimeSpan Duration = default) : Outcome(Interval);

    /// <summary>The check ran; its report says whether it succeeded.</summary>
    private sealed record Checked(SequenceReport Report, TimeSpan Interval, TimeSpan Duration, TimeSpan DriftRecurrenceWindow)
        : Outcome(Interval);

    [LoggerMessage(EventId = LogEvents.Reconciliation.Checked, Level = LogLevel.Information,
        Message = "Checked {Sequences} sequence(s): {Behind} behind, {Repaired} repaired, {Errors} error(s)")]
    private static partial void LogChecked(ILogger logger, int sequences, int behind, int repaired, int errors);

    [LoggerMessage(EventId = LogEvents.Reconciliation.CheckFailed, Level = LogLevel.Warning,
        Message = "Check failed ({Reason}): {Message}")]
    private static partial void LogFailed(ILogger logger, string reason, string message);

    [LoggerMessage(EventId = LogEvents.Reconciliation.PolicyDeleted, Level = LogLevel.Information,
        Message = "Policy {Namespace}/{Name} deleted: its metric series are dropped")]
    private static partial void LogDeleted(ILogger logger, string @namespace, string name);

    [LoggerMessage(EventId = LogEvents.Reconciliation.DriftRecurring, Level = LogLevel.Warning,
        Message = "Drift recurring on {Column}: {DriftCount} drift(s), {ExplicitIdRows} row(s) with explicit ids seen")]
    private static partial void LogDriftRecurring(ILogger logger, string column, long driftCount, long explicitIdRows);
}
