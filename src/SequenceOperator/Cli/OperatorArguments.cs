using System.Globalization;
using SequenceOperator.Entities;
using SequenceOperator.Hosting;

namespace SequenceOperator.Cli;

/// <summary>
/// Turns <c>run</c>'s flags and their environment variables into configuration keys (flags win). Every flag has an
/// environment variable: <c>--watch-namespaces</c> is <c>SEQUENCE_OPERATOR_WATCH_NAMESPACES</c>, and so on;
/// <c>--kubeconfig</c> is <c>KUBECONFIG</c>, read by the Kubernetes client itself.
/// </summary>
internal static class OperatorArguments
{
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["--kubeconfig"] = "Kubeconfig",
        ["--context"] = "Context",
        ["--watch-namespaces"] = "WatchNamespaces",
        ["--leader-elect"] = "LeaderElect",
        ["--leader-election-namespace"] = "LeaderElectionNamespace",
        ["--leader-election-id"] = "LeaderElectionId",
        ["--max-concurrent-reconciles"] = "MaxConcurrentReconciles",
        ["--metrics-port"] = "MetricsPort",
        ["--health-port"] = "HealthPort",
        ["--log-format"] = "LogFormat",
        ["--connect-timeout"] = "ConnectTimeout",
        ["--command-timeout"] = "CommandTimeout",
        ["--event-heartbeat"] = "EventHeartbeat",
        ["--runtime-metrics"] = "Metrics:RuntimeMetrics",
        ["--heap-slack"] = "HeapSlack",
    };

    // Flags that take a duration (10s, 5m, 1h30m), written to the configuration as a TimeSpan.
    private static readonly HashSet<string> Durations = new(StringComparer.Ordinal)
    {
        "--connect-timeout",
        "--command-timeout",
        "--event-heartbeat",
    };

    // Flags that take a whole number (their range is the options validator's) or true/false: checked here, so that a
    // value of the wrong kind is a usage error rather than a failure of the configuration binder at start.
    private static readonly HashSet<string> WholeNumbers = new(StringComparer.Ordinal)
    {
        "--max-concurrent-reconciles",
        "--metrics-port",
        "--health-port",
        "--heap-slack",
    };

    private static readonly HashSet<string> Booleans = new(StringComparer.Ordinal)
    {
        "--leader-elect",
        "--runtime-metrics",
    };

    /// <summary>The configuration for <c>run</c>: environment first, flags over it.</summary>
    /// <exception cref="UsageException">An unknown flag, a flag without its value, or a value (of a flag or its variable)
    /// that is not the duration, whole number or true/false the flag takes.</exception>
    public static Dictionary<string, string?> Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (flag, key) in Flags)
        {
            var variable = "SEQUENCE_OPERATOR_" + flag[2..].Replace('-', '_').ToUpperInvariant();
            if (environment(variable) is { Length: > 0 } value)
            {
                Set(values, flag, key, value);
            }
        }

        if (environment("POD_NAME") is { Length: > 0 } podName)
        {
            values[$"{OperatorOptions.SectionName}:Identity"] = podName;
        }

        if (
            environment("POD_NAMESPACE") is { Length: > 0 } podNamespace && !values.ContainsKey(
                $"{OperatorOptions.SectionName}:LeaderElectionNamespace"))
        {
            values[$"{OperatorOptions.SectionName}:LeaderElectionNamespace"] = podNamespace;
        }

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var flag = eq > 0 ? arg[..eq] : arg;
            if (!Flags.TryGetValue(flag, out var key))
            {
                throw new UsageException(
                    arg.StartsWith('-') ? $"unknown option '{flag}' for run." : $"unexpected argument #{i + 1} for run.");
            }

            string value;
            if (eq > 0)
            {
                value = arg[(eq + 1)..];
            }
            else if (flag == "--leader-elect")
            {
                value = "true";
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                throw new UsageException($"{flag} needs a value.");
            }

            Set(values, flag, key, value);
        }

        return values;
    }

    /// <summary>
    /// Adds the <c>OTEL_*</c> environment variables under their full names, where the metrics pipeline looks for
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (a prefixed environment source would strip the prefix).
    /// </summary>
    public static void AddOpenTelemetry(IDictionary<string, string?> settings, System.Collections.IDictionary variables)
    {
        foreach (System.Collections.DictionaryEntry variable in variables)
        {
            if (variable.Key is string name && name.StartsWith("OTEL_", StringComparison.Ordinal))
            {
                settings[name] = variable.Value as string;
            }
        }
    }

    private static void Set(Dictionary<string, string?> values, string flag, string key, string value)
    {
        // A key with its own section (Metrics:RuntimeMetrics) stays as it is; the others are the operator's options.
        var prefix = key.Contains(':', StringComparison.Ordinal) ? key : $"{OperatorOptions.SectionName}:{key}";
        if (Booleans.Contains(flag))
        {
            values[prefix] = bool.TryParse(value.Trim(), out var on)
                ? (on ? "true" : "false")
                : throw new UsageException($"{flag} '{value}' is not true or false.");
            return;
        }

        if (WholeNumbers.Contains(flag))
        {
            values[prefix] = int.TryParse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                ? number.ToString(CultureInfo.InvariantCulture)
                : throw new UsageException($"{flag} '{value}' is not a whole number.");
            return;
        }

        if (Durations.Contains(flag))
        {
            values[prefix] = KubernetesDuration.TryParse(value.Trim(), out var duration)
                ? duration.ToString("c", CultureInfo.InvariantCulture)
                : throw new UsageException($"{flag} '{value}' is not a duration such as 10s, 5m or 1h30m.");
            return;
        }

        if (key == "WatchNamespaces")
        {
            foreach (var existing in values.Keys.Where(k => k.StartsWith(prefix + ":", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                values.Remove(existing);
            }

            var i = 0;
            foreach (var ns in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                values[$"{prefix}:{i++}"] = ns;
            }

            return;
        }

        values[prefix] = value;
    }
}
