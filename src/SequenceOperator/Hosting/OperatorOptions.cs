using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SequenceOperator.Entities;
using SequenceOperator.Kubernetes.Events;
using SequenceOperator.Kubernetes.LeaderElection;
using SequenceOperator.Reconciliation;

namespace SequenceOperator.Hosting;

/// <summary>How <c>sequence-operator run</c> runs; bound from the <c>Operator</c> configuration section.</summary>
internal sealed class OperatorOptions
{
    public const string SectionName = "Operator";

    public string? Kubeconfig { get; set; }

    public string? Context { get; set; }

    /// <summary>Namespaces to watch (one list+watch each); empty: every namespace.</summary>
    public IList<string> WatchNamespaces { get; set; } = [];

    public bool LeaderElect { get; set; }

    /// <summary>Where the Lease lives; default: the pod's namespace.</summary>
    public string? LeaderElectionNamespace { get; set; }

    /// <summary>The Lease's name.</summary>
    public string LeaderElectionId { get; set; } = "sequence-operator";

    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>This instance's name in the Lease and in Events: the pod's name, else the host name.</summary>
    public string? Identity { get; set; }

    public int MaxConcurrentReconciles { get; set; } = 4;

    public int MetricsPort { get; set; } = 8080;

    public int HealthPort { get; set; } = 8081;

    /// <summary>The address both ports bind to; all interfaces by default.</summary>
    public string BindAddress { get; set; } = "0.0.0.0";

    public string LogFormat { get; set; } = "text";

    /// <summary>How long one watch request lasts before it is renewed (the server may end it sooner).</summary>
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long shutdown waits for in-flight checks and repairs.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary><c>--connect-timeout</c>: how long a database server may take to accept and answer a new connection.</summary>
    public TimeSpan ConnectTimeout { get; set; } = CheckTimeouts.DefaultConnect;

    /// <summary><c>--command-timeout</c>: how long one statement of a check may run.</summary>
    public TimeSpan CommandTimeout { get; set; } = CheckTimeouts.DefaultCommand;

    /// <summary><c>--event-heartbeat</c>: how often a repeating Event's count and last-seen time are written at most.</summary>
    public TimeSpan EventHeartbeat { get; set; } = EventRecorderOptions.DefaultSeriesHeartbeat;

    /// <summary>
    /// <c>--heap-slack</c>, in MB: how much more memory than it keeps alive the garbage collector may hold before the
    /// operator compacts its heap and returns the rest after a reconcile (<see cref="HeapTrimmer"/>); 0: never.
    /// </summary>
    public int HeapSlack { get; set; } = DefaultHeapSlack;

    /// <summary>
    /// 8 MB: at 500 policies, a peak of 58 to 63 MB instead of 67 to 69, for 2 to 4 ms more CPU per check (README,
    /// Benchmarks, "Operator").
    /// </summary>
    public const int DefaultHeapSlack = 8;

    /// <summary>The largest slack: a GB of spare heap is no longer a bound worth a flag.</summary>
    public const int MaxHeapSlack = 1024;
}

/// <summary>
/// The one check of <see cref="OperatorOptions"/>: <see cref="OperatorHost.Build"/> runs it once, on the bound
/// options, before it builds anything, so a bad flag fails fast with one clear line (before the kubeconfig is read or
/// a port bound); the host is then handed that validated instance.
/// </summary>
internal sealed partial class OperatorOptionsValidator : IValidateOptions<OperatorOptions>
{
    /// <summary>The longest connect timeout: Npgsql's largest (1024 s) rounded down to whole minutes.</summary>
    public static readonly TimeSpan MaxConnectTimeout = TimeSpan.FromMinutes(15);

    /// <summary>The longest command timeout: a check's statements are cheap reads, an hour is already extreme.</summary>
    public static readonly TimeSpan MaxCommandTimeout = TimeSpan.FromHours(1);

    /// <summary>The longest Event heartbeat: below the API server's default Event TTL (1 h), so a repeating Event never expires.</summary>
    public static readonly TimeSpan MaxEventHeartbeat = TimeSpan.FromMinutes(45);

    public ValidateOptionsResult Validate(string? name, OperatorOptions options)
    {
        var errors = new List<string>();
        if (options.MaxConcurrentReconciles is < 1 or > 64)
        {
            errors.Add("--max-concurrent-reconciles must be from 1 to 64");
        }

        foreach (var (flag, port) in new[] { ("--metrics-port", options.MetricsPort), ("--health-port", options.HealthPort) })
        {
            if (port is < 1 or > 65535)
            {
                errors.Add($"{flag} must be from 1 to 65535");
            }
        }

        if (options.MetricsPort == options.HealthPort)
        {
            errors.Add("--metrics-port and --health-port must differ");
        }

        if (options.HeapSlack is < 0 or > OperatorOptions.MaxHeapSlack)
        {
            errors.Add($"--heap-slack must be from 0 to {OperatorOptions.MaxHeapSlack} (MB; 0: never compact)");
        }

        if (options.LogFormat is not ("text" or "json"))
        {
            errors.Add("--log-format must be text or json");
        }

        if (!System.Net.IPAddress.TryParse(options.BindAddress, out _))
        {
            errors.Add("the bind address must be an IP address");
        }

        foreach (var ns in options.WatchNamespaces)
        {
            if (!DnsLabel().IsMatch(ns))
            {
                errors.Add($"--watch-namespaces: '{ns}' is not a valid namespace name");
            }
        }

        if (!DnsSubdomain().IsMatch(options.LeaderElectionId))
        {
            errors.Add("--leader-election-id must be a valid object name (lower case letters, digits, '-' and '.')");
        }

        foreach (var (flag, value, min, max) in new[]
        {
            ("--connect-timeout", options.ConnectTimeout, TimeSpan.FromSeconds(1), MaxConnectTimeout),
            ("--command-timeout", options.CommandTimeout, TimeSpan.FromSeconds(1), MaxCommandTimeout),
            ("--event-heartbeat", options.EventHeartbeat, TimeSpan.FromMinutes(1), MaxEventHeartbeat),
        })
        {
            if (value < min || value > max || (flag == "--connect-timeout" && value.Ticks % TimeSpan.TicksPerSecond != 0))
            {
                errors.Add(
                    $"{flag} must be from {KubernetesDuration.Format(min)} to "
                        + $"{KubernetesDuration.Format(max)}{(flag == "--connect-timeout" ? " in whole seconds" : string.Empty)}");
            }
        }

        if (options.LeaderElect)
        {
            errors.AddRange(LeaderElectionOptionsValidator.TimingFailures(
                options.LeaseDuration,
                options.RenewDeadline,
                options.RetryPeriod));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")]
    private static partial Regex DnsSubdomain();
}
