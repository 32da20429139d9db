namespace SequenceOperator.Logging;

/// <summary>
/// The event id of every log message, in one place (as Npgsql's <c>NpgsqlEventId</c>): a nested class per folder,
/// each with its own range, so an id tells where a message comes from and a log filter can select a folder.
/// <see cref="Ranges"/> is the rule; <c>LogEventTests</c> checks that every <c>[LoggerMessage]</c> takes its id from
/// its own folder's class, inside that folder's range, and that no two messages share an id. Ids are never reused or
/// renumbered: dashboards and alerts may select them.
/// </summary>
internal static class LogEvents
{
    /// <summary>The ids each folder's messages may take, by the name of the folder (and of its nested class here).</summary>
    public static IReadOnlyDictionary<string, (int First, int Last)> Ranges { get; } = new Dictionary<string, (int, int)>
    {
        [nameof(Postgres)] = (1000, 1999),
        [nameof(Kubernetes)] = (2000, 2999),
        [nameof(Reconciliation)] = (3000, 3999),
        [nameof(Hosting)] = (4000, 4999),
        [nameof(Metrics)] = (5000, 5999),
    };

    /// <summary>The engine: 1100-1199 checks and repairs.</summary>
    public static class Postgres
    {
        public const int Inspected = 1100;
        public const int BatchFallback = 1101;
        public const int Repaired = 1102;
        public const int RepairGroupRetry = 1103;
        public const int RepairFailed = 1104;
        public const int LockedSkipped = 1105;
        public const int RepairStateChanged = 1106;
        public const int ExtraConnectionFailed = 1107;
        public const int ColumnDetails = 1108;
    }

    /// <summary>
    /// The API client: 2000-2099 HTTP, 2100-2199 authentication, 2200-2299 Events, 2300-2399 informers,
    /// 2400-2499 leader election.
    /// </summary>
    public static class Kubernetes
    {
        public const int RequestRetry = 2000;

        public const int ExecRunning = 2100;
        public const int ExecInvalidated = 2101;

        public const int EventRecordFailed = 2200;
        public const int EventSweepFailed = 2201;
        public const int EventSeriesWriteFailed = 2202;

        public const int WatchListed = 2300;
        public const int WatchExpired = 2301;
        public const int WatchStalled = 2302;
        public const int WatchFailed = 2303;
        public const int WatchHandlerFailed = 2304;

        public const int LeaseCampaigning = 2400;
        public const int LeaseAcquired = 2401;
        public const int LeaseLost = 2402;
        public const int LeaseRenewDeadline = 2403;
        public const int LeaseReleased = 2404;
        public const int LeaseAttemptFailed = 2405;
        public const int LeadershipHandlerFailed = 2406;
    }

    /// <summary>3000-3099 the controller (work queue and workers), 3100-3199 the reconciler.</summary>
    public static class Reconciliation
    {
        public const int ControllerStarted = 3000;
        public const int ControllerStopped = 3001;
        public const int ReconcileError = 3002;
        public const int ReconcileRetry = 3003;
        public const int StoppedWaiting = 3004;
        public const int HeapCompacted = 3005;

        public const int Checked = 3100;
        public const int CheckFailed = 3101;
        public const int PolicyDeleted = 3102;
        public const int DriftRecurring = 3103;
    }

    /// <summary>The operator's host.</summary>
    public static class Hosting
    {
        public const int Leadership = 4000;
        public const int Crashed = 4001;
        public const int GarbageCollector = 4002;
    }

    /// <summary>The metrics pipeline.</summary>
    public static class Metrics
    {
        public const int OtlpEnabled = 5000;
    }
}
