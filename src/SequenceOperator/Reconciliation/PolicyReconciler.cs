using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SequenceOperator.Entities;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Events;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Metrics;
using SequenceOperator.Postgres;
using EngineTableSelector = SequenceOperator.Postgres.TableSelector;

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
/// Converges one SequenceSyncPolicy: read its Secret (in its own namespace only), then, once its database server is
/// free of other checks, connect, check, repair when the policy says Repair; then write the status (a merge patch to
/// /status when it changed), Events and metrics. Level-based: it looks only at the policy as it is now, never at what
/// woke it.
/// </summary>
internal sealed partial class PolicyReconciler(
    IKubernetesClient client,
    IEventRecorder events,
    SequenceEngine engine,
    PolicyDatabases databases,
    CheckTimeouts timeouts,
    SequenceOperatorMetrics metrics,
    TimeProvider time,
    ILogger<PolicyReconciler> logger)
{
    public const string CheckNowAnnotation = "sequences.cityforge.io/check-now";
    private const int MaxSequenceEventsPerCheck = 10;

    // PostgreSQL's largest lock_timeout and statement_timeout (INT_MAX milliseconds).
    private static readonly TimeSpan MaxPostgresTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    public static ResourceType PolicyType { get; } = new(
        V1Alpha1SequenceSyncPolicy.Group, V1Alpha1SequenceSyncPolicy.Version, V1Alpha1SequenceSyncPolicy.Plural, V1Alpha1SequenceSyncPolicy.EntityKind, Namespaced: true);

    /// <summary>Reconciles the policy; its database work waits for its turn on the server through <paramref name="servers"/>.</summary>
    public async Task<ReconcileResult> ReconcileAsync(V1Alpha1SequenceSyncPolicy policy, ServerTurns servers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var key = new PolicyKey(policy.Metadata.Namespace!, policy.Metadata.Name!);
        var spec = policy.Spec;
        var generation = policy.Metadata.Generation;
        var status = (policy.Status ?? new SequenceSyncPolicyStatus()).WithObservedGeneration(generation);
        var now = time.GetUtcNow();

        if (spec.Suspend)
        {
            metrics.SetPolicyReady(key, false);
            await WriteStatusAsync(policy, status.WithFailure(SequenceSyncPolicyReasons.Suspended,
                "Checks and repairs are paused (spec.suspend is true).", now, generation), cancellationToken);
            return new ReconcileResult(ReconcileOutcome.Wait);
        }

        if (!TryReadSpec(spec, out var interval, out var lockTimeout, out var selectors, out var specError))
        {
            metrics.SetPolicyReady(key, false);
            await FailAsync(policy, status, SequenceSyncPolicyReasons.InvalidSpec, specError, cancellationToken);
            return new ReconcileResult(ReconcileOutcome.Wait);
        }

        var secretName = spec.Database.SecretRef.Name;
        Secret? secret;
        try
        {
            secret = await client.TryGetAsync(ResourceType.Secrets, key.Namespace, secretName, KubernetesJsonContext.Default.Secret, cancellationToken);
        }
        catch (ForbiddenException)
        {
            return await FailCheckAsync(key, policy, status, interval, SequenceSyncPolicyReasons.SecretForbidden,
                $"The operator may not read Secret {key.Namespace}/{secretName}: grant its service account 'get' on secrets in namespace {key.Namespace} (with watchNamespaces, add the namespace to the list).", cancellationToken);
        }

        if (secret is null)
        {
            return await FailCheckAsync(key, policy, status, interval, SequenceSyncPolicyReasons.SecretNotFound,
                $"Secret {secretName} not found in namespace {key.Namespace}: create it with the database credentials (keys username and password, or a uri).", cancellationToken);
        }

        Npgsql.NpgsqlConnectionStringBuilder settings;
        try
        {
            settings = SecretConnection.Build(spec.Database, secretName, secret.Data);
        }
        catch (SecretInvalidException ex)
        {
            return await FailCheckAsync(key, policy, status, interval, SequenceSyncPolicyReasons.SecretInvalid, ex.Message, cancellationToken);
        }

        var server = DatabaseServer.Of(settings);
        var repair = spec.Mode == PolicyMode.Repair;
        var statementTimeout = repair ? Min(timeouts.Command + lockTimeout, MaxPostgresTimeout) : timeouts.Command; // a repair may wait lockTimeout for its locks
        var check = new CheckOptions { Tables = selectors, StatementTimeout = statementTimeout, LockTimeout = lockTimeout };
        var stopwatch = new Stopwatch();
        SequenceReport report;
        try
        {
            // A bounded number of checks per database server: wait for this one's turn. The pool lives for this check only:
            // built from the Secret just read, closed with its connections here, and the server's next check goes
            // before this one writes its status.
            using var turn = await servers.WaitAsync(server, cancellationToken);
            try
            {
                stopwatch.Start();
                await using var pool = databases.Open(key, settings, timeouts.Connect, statementTimeout);
                report = repair
                    ? await engine.RepairAsync(pool.DataSource, check, new RepairOptions { Headroom = spec.Repair.Headroom, LockTimeout = lockTimeout }, cancellationToken)
                    : await engine.CheckAsync(pool.DataSource, check, cancellationToken);
            }
            catch (SequenceEngineException ex) when (ex.Failure is EngineFailure.Timeout or EngineFailure.ConnectionFailed)
            {
                turn.NotAnswering(); // its next checks go one at a time until one reaches it
                throw;
            }
        }
        catch (SequenceEngineException ex)
        {
            metrics.RecordCheck(key, new CheckOutcome { Succeeded = false, Duration = stopwatch.Elapsed, TablesListedExplicitly = spec.HasExplicitTables });
            var message = ex.Failure == EngineFailure.Timeout
                ? $"The database server {server} did not answer in time ({ex.Message}; connect timeout {KubernetesDuration.Format(timeouts.Connect)}, statement timeout {KubernetesDuration.Format(statementTimeout)})."
                : ex.Message;
            return await FailCheckAsync(key, policy, status, interval, ReasonFor(ex.Failure), message, cancellationToken, recorded: true);
        }

        return await ReportAsync(key, policy, status, report, selectors, repair, interval, stopwatch.Elapsed, cancellationToken);
    }

    /// <summary>
    /// The policy is gone: drop its metric series. No finalizer is needed: nothing outside the operator's memory is
    /// owned, and its connection pool exists only while one of its checks runs.
    /// </summary>
    public void Deleted(PolicyKey key)
    {
        metrics.RemovePolicy(key);
        LogDeleted(logger, key.Namespace, key.Name);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private async Task<ReconcileResult> ReportAsync(PolicyKey key, V1Alpha1SequenceSyncPolicy policy, SequenceSyncPolicyStatus status, SequenceReport report,
        IReadOnlyList<EngineTableSelector> selectors, bool repair, TimeSpan interval, TimeSpan duration, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var generation = policy.Metadata.Generation;
        var entries = report.Sequences.Select(StatusMapping.ToStatusEntry).ToList();
        var unresolved = report.Errors.Select(e => StatusMapping.ToStatusEntry(e, selectors.FirstOrDefault(s => s.Display == e.Entry))).ToList();
        var repairErrors = report.Sequences.Where(s => s.Status == SequenceStatus.Error && s.BehindBy > 0).ToList();
        var checkErrors = report.Sequences.Where(s => s.Status == SequenceStatus.Error && s.BehindBy == 0).ToList();

        var next = status.WithCheckResults([.. entries, .. unresolved], policy.Spec.HasExplicitTables, now, generation);
        var repairedCount = entries.Count(e => e.Status == SequenceEntryStatus.Repaired);
        var behindCount = entries.Count(e => e.Status == SequenceEntryStatus.Behind);
        if (repair && repairErrors.Count > 0)
        {
            next = next.WithFailure(SequenceSyncPolicyReasons.RepairFailed,
                $"{repairErrors.Count} sequence(s) could not be repaired: {Summarize(repairErrors.Select(e => $"{e.Schema}.{e.Table}.{e.Column}: {e.Message}"))}", now, generation);
        }
        else if (unresolved.Count > 0 || checkErrors.Count > 0)
        {
            next = next.WithFailure(SequenceSyncPolicyReasons.TableErrors,
                $"{unresolved.Count + checkErrors.Count} table entr{(unresolved.Count + checkErrors.Count == 1 ? "y" : "ies")} could not be checked: {Summarize(report.Errors.Select(e => $"{e.Entry}: {e.Message}").Concat(checkErrors.Select(e => $"{e.Schema}.{e.Table}.{e.Column}: {e.Message}")))}", now, generation);
        }
        else
        {
            next = next.WithReady(SequenceSyncPolicyReasons.CheckSucceeded, string.Create(CultureInfo.InvariantCulture,
                $"Checked {entries.Count} sequence(s): {behindCount} behind, {repairedCount} repaired."), now, generation);
        }

        // Metrics and Events first, the status last: a status that shows this check means all of it is recorded.
        metrics.RecordCheck(key, new CheckOutcome
        {
            Succeeded = unresolved.Count == 0 && checkErrors.Count == 0,
            Duration = duration,
            Sequences = [.. entries.Select(SequenceObservation.FromStatusEntry)],
            TablesListedExplicitly = policy.Spec.HasExplicitTables,
            RepairsSucceeded = repairedCount,
            RepairsFailed = repair ? repairErrors.Count : 0,
        });
        metrics.SetPolicyReady(key, next.IsReady);
        await RecordSequenceEventsAsync(policy, report, cancellationToken);
        if (!next.IsReady)
        {
            var condition = next.GetCondition(SequenceSyncPolicyConditions.Ready)!;
            await events.RecordAsync(policy, EventType.Warning, "CheckFailed", $"{condition.Reason}: {condition.Message}", "Check", cancellationToken);
        }

        await WriteStatusAsync(policy, next, cancellationToken);
        LogChecked(logger, entries.Count, behindCount, repairedCount, unresolved.Count + checkErrors.Count + repairErrors.Count);
        return new ReconcileResult(next.IsReady ? ReconcileOutcome.Requeue : ReconcileOutcome.Retry, interval);
    }

    private async Task RecordSequenceEventsAsync(V1Alpha1SequenceSyncPolicy policy, SequenceReport report, CancellationToken cancellationToken)
    {
        var notable = report.Sequences.Where(s => s.Status is SequenceStatus.Behind or SequenceStatus.Repaired).ToList();
        foreach (var s in notable.Take(MaxSequenceEventsPerCheck))
        {
            var column = $"{Identifiers.Display(s.Schema, s.Table)}.{Identifiers.Display(s.Column)}";
            var sequence = Identifiers.Display(s.SequenceSchema, s.SequenceName);
            if (s.Status == SequenceStatus.Behind)
            {
                await events.RecordAsync(policy, EventType.Warning, "SequenceBehind", string.Create(CultureInfo.InvariantCulture,
                    $"Sequence {sequence} of {column} is behind by {s.BehindBy}: next value {s.NextValue}, highest value in use {s.MaxValue}."), "Check", cancellationToken);
            }
            else
            {
                await events.RecordAsync(policy, EventType.Normal, "SequenceRepaired", string.Create(CultureInfo.InvariantCulture,
                    $"Repaired sequence {sequence} of {column}: next value {s.NextValue} -> {s.RepairedNextValue} (highest value in use {s.MaxValue})."), "Repair", cancellationToken);
            }
        }

        if (notable.Count > MaxSequenceEventsPerCheck)
        {
            await events.RecordAsync(policy, EventType.Warning, "SequenceBehind", string.Create(CultureInfo.InvariantCulture,
                $"{notable.Count - MaxSequenceEventsPerCheck} more sequence(s) behind or repaired; see the policy's status."), "Check", cancellationToken);
        }
    }

    private async Task<ReconcileResult> FailCheckAsync(PolicyKey key, V1Alpha1SequenceSyncPolicy policy, SequenceSyncPolicyStatus status, TimeSpan interval, string reason, string message,
        CancellationToken cancellationToken, bool recorded = false)
    {
        if (!recorded)
        {
            metrics.RecordCheck(key, new CheckOutcome { Succeeded = false, TablesListedExplicitly = policy.Spec.HasExplicitTables });
        }

        metrics.SetPolicyReady(key, false);
        await FailAsync(policy, status with { LastCheckTime = time.GetUtcNow() }, reason, message, cancellationToken);
        return new ReconcileResult(ReconcileOutcome.Retry, interval);
    }

    private async Task FailAsync(V1Alpha1SequenceSyncPolicy policy, SequenceSyncPolicyStatus status, string reason, string message, CancellationToken cancellationToken)
    {
        LogFailed(logger, reason, message);
        await events.RecordAsync(policy, EventType.Warning, "CheckFailed", $"{reason}: {message}", "Check", cancellationToken);
        await WriteStatusAsync(policy, status.WithFailure(reason, message, time.GetUtcNow(), policy.Metadata.Generation), cancellationToken);
    }

    /// <summary>A merge patch to the status subresource, sent only when the status changed.</summary>
    private async Task WriteStatusAsync(V1Alpha1SequenceSyncPolicy policy, SequenceSyncPolicyStatus status, CancellationToken cancellationToken)
    {
        var before = policy.Status is null ? new JsonObject() : JsonSerializer.SerializeToNode(policy.Status, SequenceSyncPolicyJsonContext.Default.SequenceSyncPolicyStatus);
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

        await client.PatchStatusAsync(PolicyType, policy.Metadata.Namespace, policy.Metadata.Name!, KubernetesPatch.Merge(new JsonObject { ["status"] = diff }),
            SequenceSyncPolicyJsonContext.Default.V1Alpha1SequenceSyncPolicy, cancellationToken);
    }

    private static bool TryReadSpec(SequenceSyncPolicySpec spec, out TimeSpan interval, out TimeSpan lockTimeout, out IReadOnlyList<EngineTableSelector> selectors, out string error)
    {
        interval = default;
        lockTimeout = default;
        selectors = [];
        error = string.Empty;
        // The CRD's bounds, checked again: an API server older than 1.25 ignores the CEL rules that state them.
        if (!KubernetesDuration.TryParse(spec.Interval, out interval) || interval < SequenceSyncPolicySpec.MinimumInterval || interval > SequenceSyncPolicySpec.MaximumInterval)
        {
            error = $"spec.interval '{spec.Interval}' is not a duration of at least {KubernetesDuration.Format(SequenceSyncPolicySpec.MinimumInterval)} and at most {SequenceSyncPolicySpec.MaximumIntervalText} (such as 30s, 5m or 1h).";
            return false;
        }

        if (!KubernetesDuration.TryParse(spec.Repair.LockTimeout, out lockTimeout) || lockTimeout <= TimeSpan.Zero || lockTimeout > RepairSpec.MaximumLockTimeout)
        {
            error = $"spec.repair.lockTimeout '{spec.Repair.LockTimeout}' is not a positive duration of at most {RepairSpec.MaximumLockTimeoutText} (such as 2s or 500ms).";
            return false;
        }

        if (spec.Repair.Headroom < 0)
        {
            error = "spec.repair.headroom must be 0 or more.";
            return false;
        }

        var parsed = new List<EngineTableSelector>();
        foreach (var table in spec.Tables ?? [])
        {
            try
            {
                parsed.Add(EngineTableSelector.Parse(table.Name, table.Column));
            }
            catch (FormatException ex)
            {
                error = $"spec.tables: {ex.Message}";
                return false;
            }
        }

        selectors = parsed;
        return true;
    }

    private static string ReasonFor(EngineFailure failure) => failure switch
    {
        EngineFailure.AuthenticationFailed => SequenceSyncPolicyReasons.AuthenticationFailed,
        EngineFailure.InvalidConnectionString => SequenceSyncPolicyReasons.SecretInvalid,
        EngineFailure.PermissionDenied => SequenceSyncPolicyReasons.PermissionDenied,
        EngineFailure.ConnectionFailed or EngineFailure.Timeout or EngineFailure.DatabaseNotFound => SequenceSyncPolicyReasons.ConnectionFailed,
        _ => SequenceSyncPolicyReasons.CheckFailed,
    };

    private static string Summarize(IEnumerable<string> items)
    {
        var list = items.ToList();
        return string.Join("; ", list.Take(3)) + (list.Count > 3 ? $"; and {list.Count - 3} more" : string.Empty);
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Checked {Sequences} sequence(s): {Behind} behind, {Repaired} repaired, {Errors} error(s)")]
    private static partial void LogChecked(ILogger logger, int sequences, int behind, int repaired, int errors);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Check failed ({Reason}): {Message}")]
    private static partial void LogFailed(ILogger logger, string reason, string message);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Policy {Namespace}/{Name} deleted: its metric series are dropped")]
    private static partial void LogDeleted(ILogger logger, string @namespace, string name);
}
