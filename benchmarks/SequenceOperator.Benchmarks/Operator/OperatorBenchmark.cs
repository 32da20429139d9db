using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SequenceOperator.Entities;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Configuration;
using SequenceOperator.Kubernetes.Models;
using SequenceOperator.Metrics;
using SequenceOperator.Reconciliation;
using SequenceOperator.Testing.Kubernetes;
using SequenceOperator.Testing.Operator;

using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Benchmarks.Operator;

/// <summary>
/// The operator at scale (tracker issue 4): for each size N, N namespaces each with its own database of drifted
/// tables on a real PostgreSQL, its Secret and one Observe policy, served by the API-server double in this process;
/// the published operator runs as a separate process. Measures the time until every policy has its first status,
/// the steady-state CPU per interval, the peak RSS and the database connections the operator holds, and compares them
/// with the targets: every policy checked within one 5-minute interval, under 150 MB RSS, at most 2 connections per
/// database.
/// </summary>
internal sealed class OperatorBenchmark(OperatorBenchmarkOptions options, TextWriter output)
{
    public static readonly TimeSpan FirstRoundTarget = TimeSpan.FromMinutes(5);
    public const double RssTargetMb = 150;
    public const int ConnectionsPerDatabaseTarget = PolicyDatabases.MaxConnectionsPerPolicy;

    private const string SecretName = "db-credentials";
    private const string PolicyName = "sequences";
    private const int EventsPerCheck = 11; // 10 SequenceBehind Events and one "N more" (PolicyReconciler.MaxSequenceEventsPerCheck)

    /// <summary>Runs every size; returns 0 when every target is met, 3 when one is not (the figures are printed either way).</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var binary = ResolveBinary();
        var workDir = options.LogDirectory ?? Path.Combine(Path.GetTempPath(), "seqop-bench-operator-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(workDir);
        try
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Operator benchmark: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024):F0} GiB; " +
                $"{options.Tables} drifted tables per database; interval {KubernetesDuration.Format(options.Interval)}; " +
                $"--max-concurrent-reconciles {options.Concurrency}; steady state over {options.Intervals} interval(s)."));
            output.WriteLine($"Operator binary: {binary}; logs and kubeconfig in {workDir}");
            if (options.Environment.Count > 0)
            {
                output.WriteLine("Operator environment: " + string.Join(" ", options.Environment.Select(kv => $"{kv.Key}={kv.Value}")));
            }

            var sw = Stopwatch.StartNew();
            await using var postgres = await PostgresServer.StartAsync(options.MaxConnectionsOrDefault, cancellationToken);
            var maxConnections = int.Parse(await PostgresServer.ScalarAsync(postgres.AdminConnectionString, "SHOW max_connections", cancellationToken), CultureInfo.InvariantCulture);
            if (maxConnections < options.MaxConnectionsOrDefault)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"the server from {PostgresServer.ConnectionStringVariable} has max_connections {maxConnections}; this run needs {options.MaxConnectionsOrDefault}"));
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PostgreSQL started in {sw.Elapsed.TotalSeconds:F1} s (max_connections {maxConnections})."));
            var tenants = new TenantDatabases(postgres, options.Tables);
            var results = new List<SizeResult>();
            foreach (var size in options.Policies)
            {
                output.WriteLine();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"== {size} policies =="));
                results.Add(await RunSizeAsync(postgres, tenants, size, binary, workDir, cancellationToken));
            }

            return Report(results);
        }
        finally
        {
            if (options.LogDirectory is null)
            {
                Directory.Delete(workDir, recursive: true);
            }
        }
    }

    private sealed record SizeResult(
        int Policies,
        TimeSpan DatabaseCreation,
        int DatabasesCreated,
        TimeSpan FirstRound,
        TimeSpan CpuFirstRound,
        TimeSpan CpuWindow,
        TimeSpan Window,
        long ChecksInWindow,
        long PeakRss,
        long Rss,
        ConnectionSampler.Figures Connections);

    private async Task<SizeResult> RunSizeAsync(PostgresServer postgres, TenantDatabases tenants, int size, string binary, string workDir, CancellationToken cancellationToken)
    {
        var sw = Stopwatch.StartNew();
        var created = await tenants.EnsureAsync(size, cancellationToken);
        var creation = sw.Elapsed;
        output.WriteLine(created > 0
            ? string.Create(CultureInfo.InvariantCulture, $"databases: created {created} in {creation.TotalSeconds:F1} s ({creation.TotalMilliseconds / created:F0} ms each, copies of a {options.Tables}-table template)")
            : "databases: all exist already");

        var leftover = (await ConnectionSampler.SampleAsync(postgres.AdminConnectionString, cancellationToken)).Values.Sum();
        if (leftover > 0)
        {
            throw new InvalidOperationException($"{leftover} operator connection(s) are still open before the run");
        }

        await using var api = await FakeKubeApiServer.StartAsync(new FakeKubeApiServerOptions
        {
            RequireAuthentication = true,
            HistoryLimit = 1_000_000, // the double keeps one history for every resource; a real server keeps one per resource
            Resources = [OperatorEnvironment.PolicyResource],
        }, cancellationToken);
        api.Security.AddToken(OperatorEnvironment.Token, "system:serviceaccount:sequence-operator-system:sequence-operator");
        var kubeconfig = await WriteKubeconfigAsync(api, Path.Combine(workDir, string.Create(CultureInfo.InvariantCulture, $"kubeconfig-{size}.yaml")), cancellationToken);
        using (var client = KubernetesClient.Create(KubernetesConfigurationLoader.Load(KubernetesConfigurationSource.FromEnvironment(kubeconfig))))
        {
            sw.Restart();
            await Parallel.ForEachAsync(Enumerable.Range(1, size), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                (tenant, ct) => new ValueTask(CreateTenantObjectsAsync(client, postgres, tenant, ct)));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"objects: {size} Secrets and {size} policies created in {sw.Elapsed.TotalSeconds:F1} s"));
        }

        api.ClearRequests();
        await using var sampler = ConnectionSampler.Start(postgres.AdminConnectionString, options.ConnectionSampleInterval);
        var logFile = Path.Combine(workDir, string.Create(CultureInfo.InvariantCulture, $"operator-{size}.log"));
        var started = Stopwatch.StartNew();
        await using var process = OperatorProcess.Start(binary, kubeconfig, options.Concurrency, logFile, options.Environment);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"operator: pid {process.Pid}, metrics on :{process.MetricsPort}"));

        var firstRound = await WaitForFirstRoundAsync(api, process, size, started, logFile, cancellationToken);
        var cpuFirstRound = process.CpuTime();
        var peakAtFirstRound = process.Memory().PeakRss;
        VerifyStatuses(api, size, "after the first round");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"first round: {size} policies with a status after {firstRound.TotalSeconds:F1} s; CPU so far {cpuFirstRound.TotalSeconds:F1} s; peak RSS so far {Mb(peakAtFirstRound):F0} MB"));

        // Steady state: whole intervals after the first round. Checks are counted from the operator's log (one line per
        // check). /metrics is scraped as Prometheus would (--scrape-every, 30 s by default; 0 scrapes only at the end),
        // and the peak RSS reported is the one after the last scrape: a scrape is part of the operator's work.
        // The window starts half an interval after the first round, so that its edges fall between rounds (the checks of
        // a round come in a burst) and it holds exactly --intervals rounds as long as a round takes under half an interval.
        var settle = Stopwatch.StartNew();
        while (settle.Elapsed < options.Interval / 2)
        {
            await Task.Delay(Min(TimeSpan.FromSeconds(5), (options.Interval / 2) - settle.Elapsed), cancellationToken);
            EnsureRunning(process, logFile);
        }

        var checksBefore = CountChecks(logFile);
        await using var scraper = MetricsScraper.Start(process, options.ScrapeEvery);
        api.ClearRequests();
        var cpuBefore = process.CpuTime();
        var window = Stopwatch.StartNew();
        var windowLength = options.Interval * options.Intervals;
        var rssTimeline = new List<double>();
        var nextRssSample = options.Interval / 2;
        while (window.Elapsed < windowLength)
        {
            await Task.Delay(Min(TimeSpan.FromSeconds(5), windowLength - window.Elapsed), cancellationToken);
            EnsureRunning(process, logFile);
            if (window.Elapsed >= nextRssSample)
            {
                rssTimeline.Add(Mb(process.Memory().Rss));
                nextRssSample += options.Interval / 2;
            }
        }

        var cpuWindow = process.CpuTime() - cpuBefore;
        var windowElapsed = window.Elapsed;
        var requests = api.Requests;
        api.ClearRequests();
        var checksInWindow = CountChecks(logFile) - checksBefore;
        var scrapes = await scraper.StopAsync();
        var memory = process.Memory();
        var fds = process.FileDescriptors();
        var scrape = Stopwatch.StartNew();
        string metricsLine;
        var peakRss = memory.PeakRss;
        try
        {
            var metrics = await process.ScrapeMetricsAsync(cancellationToken);
            var scrapeTime = scrape.Elapsed;
            var after = process.Memory();
            peakRss = after.PeakRss;
            metricsLine = string.Create(CultureInfo.InvariantCulture,
                $"/metrics: {metrics.Length / 1024.0:F0} KB of text (gzipped on the wire) in {scrapeTime.TotalMilliseconds:F0} ms; RSS after that scrape {Mb(after.Rss):F1} MB ({Mb(after.Rss - memory.Rss):+0.0;-0.0} MB); " +
                $"watch restarts {SumMetric(metrics, MetricNames.WatchRestartsTotal):F0}; checks_total {SumMetric(metrics, MetricNames.ChecksTotal):F0}");
        }
        catch (HttpRequestException ex)
        {
            metricsLine = $"/metrics FAILED: {ex.Message}";
        }

        if (scrapes is not null)
        {
            metricsLine += string.Create(CultureInfo.InvariantCulture,
                $"; scrapes every {scrapes.Every.TotalSeconds:F0} s in the window: {scrapes.Succeeded} ok, {scrapes.Failed} failed, slowest {scrapes.Slowest.TotalMilliseconds:F0} ms");
        }

        VerifyStatuses(api, size, "at the end");
        var connections = sampler.Current;

        var intervalsElapsed = windowElapsed / options.Interval;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"steady state: {cpuWindow.TotalSeconds:F2} CPU-s over {windowElapsed.TotalSeconds:F0} s = {cpuWindow.TotalSeconds / intervalsElapsed:F2} s per interval " +
            $"({100 * cpuWindow / windowElapsed:F1}% of one core); {checksInWindow} checks (expected {size * options.Intervals}), " +
            $"{(checksInWindow > 0 ? cpuWindow.TotalMilliseconds / checksInWindow : 0):F1} CPU-ms per check"));
        output.WriteLine("API requests per interval: " + string.Join(", ", requests
            .GroupBy(r => $"{r.Verb} {r.Info.Resource?.Plural}{(r.Info.Subresource is { } sub ? "/" + sub : string.Empty)}")
            .OrderByDescending(g => g.Count())
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {g.Count() / intervalsElapsed:F0}"))));
        var events = api.Store.All(ApiResourceDefinition.Events);
        var eventsPerPolicy = events.GroupBy(e => e["metadata"]?["namespace"]?.GetValue<string>()).Select(g => g.Count()).DefaultIfEmpty(0).ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Events stored: {events.Count} ({eventsPerPolicy.Average():F1} per policy, most {eventsPerPolicy.Max()}; {EventsPerCheck} per policy when every repeat is aggregated into its series)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"memory: peak RSS (VmHWM, scrapes included) {Mb(peakRss):F1} MB, RSS before the last scrape {Mb(memory.Rss):F1} MB ({Mb(memory.RssAnon):F1} anonymous, {Mb(memory.RssFile):F1} file-backed); {memory.Threads} threads; " +
            $"file descriptors {fds.Values.Sum()} ({string.Join(", ", fds.Select(kv => $"{kv.Key} {kv.Value}"))})"));
        output.WriteLine(metricsLine);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RSS every half interval in the window (MB): {string.Join(", ", rssTimeline.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"connections: at most {connections.MaxPerDatabase} per database ({connections.MaxDatabase}), at most {connections.MaxTotal} in total, {connections.LastTotal} at the last sample ({connections.Samples} samples)"));

        sw.Restart();
        var exit = await process.StopAsync(TimeSpan.FromSeconds(30));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stopped (SIGTERM) in {sw.Elapsed.TotalSeconds:F1} s, exit code {exit}"));
        await WaitForConnectionsClosedAsync(postgres, cancellationToken);

        return new SizeResult(size, creation, created, firstRound, cpuFirstRound, cpuWindow, windowElapsed, checksInWindow, peakRss, memory.Rss, connections);
    }

    private async Task<TimeSpan> WaitForFirstRoundAsync(FakeKubeApiServer api, OperatorProcess process, int size, Stopwatch started, string logFile, CancellationToken cancellationToken)
    {
        var nextProgress = TimeSpan.FromSeconds(15);
        while (true)
        {
            EnsureRunning(process, logFile);
            var policies = api.Store.All(OperatorEnvironment.PolicyResource);
            var done = 0;
            foreach (var policy in policies)
            {
                var status = policy["status"] as JsonObject;
                if (status?["conditions"] is JsonArray conditions &&
                    conditions.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == SequenceSyncPolicyConditions.Ready) is { } ready &&
                    ready["status"]?.GetValue<string>() == "False")
                {
                    throw new InvalidOperationException(
                        $"policy {policy["metadata"]?["namespace"]} failed its check: {ready["reason"]}: {ready["message"]} (log: {logFile})");
                }

                if (status?["observedGeneration"]?.GetValue<long>() is { } observed && observed == policy["metadata"]?["generation"]?.GetValue<long>() &&
                    status["sequencesChecked"] is not null)
                {
                    done++;
                }
            }

            var elapsed = started.Elapsed;
            if (done == size && policies.Count == size)
            {
                return elapsed;
            }

            if (elapsed > options.FirstRoundTimeout)
            {
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"only {done} of {size} policies had a status after {elapsed.TotalSeconds:F0} s (log: {logFile})"));
            }

            if (elapsed > nextProgress)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  … {done}/{size} after {elapsed.TotalSeconds:F0} s"));
                nextProgress += TimeSpan.FromSeconds(15);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(size > 100 ? 1000 : 250), cancellationToken);
        }
    }

    /// <summary>The correctness guard: every policy must report every sequence checked and behind.</summary>
    private void VerifyStatuses(FakeKubeApiServer api, int size, string when)
    {
        var wrong = new List<string>();
        var policies = api.Store.All(OperatorEnvironment.PolicyResource);
        foreach (var policy in policies)
        {
            var status = policy["status"];
            var checkedCount = status?["sequencesChecked"]?.GetValue<int>();
            var behind = status?["sequencesBehind"]?.GetValue<int>();
            if (checkedCount != options.Tables || behind != options.Tables)
            {
                wrong.Add($"{policy["metadata"]?["namespace"]}: checked {checkedCount}, behind {behind}");
            }
        }

        if (policies.Count != size || wrong.Count > 0)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"wrong results {when}: {policies.Count} policies (expected {size}); expected {options.Tables} checked and {options.Tables} behind each; " +
                $"{wrong.Count} differ: {string.Join("; ", wrong.Take(5))}"));
        }
    }

    private async Task CreateTenantObjectsAsync(KubernetesClient client, PostgresServer postgres, int tenant, CancellationToken cancellationToken)
    {
        var ns = TenantDatabases.Namespace(tenant);
        var cs = new Npgsql.NpgsqlConnectionStringBuilder(postgres.ConnectionStringFor(TenantDatabases.DatabaseName(tenant)));
        var data = new Dictionary<string, string>
        {
            ["host"] = cs.Host!,
            ["port"] = cs.Port.ToString(CultureInfo.InvariantCulture),
            ["dbname"] = cs.Database!,
            ["username"] = cs.Username!,
            ["password"] = cs.Password!,
            ["sslmode"] = "disable",
        };
        await client.CreateAsync(ResourceType.Secrets, new Secret
        {
            Metadata = new ObjectMeta { Name = SecretName, Namespace = ns },
            Data = data.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value)),
        }, KubernetesJsonContext.Default.Secret, cancellationToken);
        await client.CreateAsync(PolicyReconciler.PolicyType, new V1Alpha1SequenceSyncPolicy
        {
            Metadata = new ObjectMeta { Name = PolicyName, Namespace = ns },
            Spec = new SequenceSyncPolicySpec
            {
                Database = new DatabaseSpec { SecretRef = new SecretReference { Name = SecretName } },
                Tables = null, // discovery: every sequence-fed column of the database
                Mode = PolicyMode.Observe,
                Interval = KubernetesDuration.Format(options.Interval),
            },
        }, SequenceSyncPolicyJsonContext.Default.V1Alpha1SequenceSyncPolicy, cancellationToken);
    }

    private static async Task<string> WriteKubeconfigAsync(FakeKubeApiServer api, string path, CancellationToken cancellationToken)
    {
        var ca = Convert.ToBase64String(Encoding.ASCII.GetBytes(api.CertificateAuthority!.CertificatePem));
        await File.WriteAllTextAsync(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
              - name: double
                cluster:
                  server: {api.BaseAddress.ToString().TrimEnd('/')}
                  certificate-authority-data: {ca}
            users:
              - name: sequence-operator
                user:
                  token: {OperatorEnvironment.Token}
            contexts:
              - name: benchmark
                context:
                  cluster: double
                  user: sequence-operator
                  namespace: sequence-operator-system
            current-context: benchmark

            """, cancellationToken);
        return path;
    }

    private static async Task WaitForConnectionsClosedAsync(PostgresServer postgres, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var open = (await ConnectionSampler.SampleAsync(postgres.AdminConnectionString, cancellationToken)).Values.Sum();
            if (open == 0)
            {
                return;
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new InvalidOperationException($"{open} operator connection(s) still open 15 s after the operator exited");
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>Checks the operator has logged so far (PolicyReconciler's "Checked N sequence(s)" line, one per check).</summary>
    private static long CountChecks(string logFile)
    {
        using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        long count = 0;
        while (reader.ReadLine() is { } line)
        {
            if (line.Contains("PolicyReconciler[3100]", StringComparison.Ordinal))
            {
                count++;
            }
        }

        return count;
    }

    private static void EnsureRunning(OperatorProcess process, string logFile)
    {
        if (process.HasExited)
        {
            var tail = File.Exists(logFile) ? string.Join(Environment.NewLine, File.ReadLines(logFile).TakeLast(20)) : "(no log)";
            throw new InvalidOperationException($"the operator exited early; last lines of {logFile}:{Environment.NewLine}{tail}");
        }
    }

    /// <summary>Sums every sample of a metric in Prometheus text (all label sets).</summary>
    private static double SumMetric(string text, string name)
    {
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || (line[name.Length] != '{' && line[name.Length] != ' '))
            {
                continue;
            }

            var rest = line[(line.LastIndexOf('}') is var close and >= 0 ? close + 1 : name.Length)..].Trim();
            sum += double.Parse(rest.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return sum;
    }

    private int Report(IReadOnlyList<SizeResult> results)
    {
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| policies | tables | first round (s) | CPU per interval of {KubernetesDuration.Format(options.Interval)} (s) | CPU (% of one core) | peak RSS (MB) | max connections per database | max connections total |"));
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Policies} | {r.Policies * options.Tables:N0} | {r.FirstRound.TotalSeconds:F1} | {r.CpuWindow.TotalSeconds / (r.Window / options.Interval):F2} | " +
                $"{100 * r.CpuWindow / r.Window:F1} | {Mb(r.PeakRss):F0} | {r.Connections.MaxPerDatabase} | {r.Connections.MaxTotal} |"));
        }

        output.WriteLine();
        var allMet = true;
        foreach (var r in results)
        {
            var firstRoundMet = r.FirstRound < FirstRoundTarget;
            var rssMet = Mb(r.PeakRss) < RssTargetMb;
            var connectionsMet = r.Connections.MaxPerDatabase <= ConnectionsPerDatabaseTarget;
            allMet &= firstRoundMet && rssMet && connectionsMet;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Policies} policies: first round {r.FirstRound.TotalSeconds:F0} s < 300 s {Verdict(firstRoundMet)}; " +
                $"peak RSS {Mb(r.PeakRss):F0} MB < {RssTargetMb:F0} MB {Verdict(rssMet)}; " +
                $"connections per database {r.Connections.MaxPerDatabase} <= {ConnectionsPerDatabaseTarget} {Verdict(connectionsMet)}"));
        }

        output.WriteLine(allMet ? "All targets met." : "Some targets were NOT met.");
        return allMet ? 0 : 3;
    }

    private static string Verdict(bool met) => met ? "PASS" : "FAIL";

    private static double Mb(long bytes) => bytes / (1024.0 * 1024.0);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private string ResolveBinary()
    {
        if (options.Binary is { } explicitPath)
        {
            return File.Exists(explicitPath) ? Path.GetFullPath(explicitPath) : throw new FileNotFoundException($"no operator binary at {explicitPath}");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SequenceOperator.sln")))
            {
                var candidate = Path.Combine(dir.FullName, "artifacts", "bench-operator", "sequence-operator");
                return File.Exists(candidate)
                    ? candidate
                    : throw new FileNotFoundException(
                        $"no operator binary at {candidate}: run scripts/bench-operator.sh, or dotnet publish src/SequenceOperator/SequenceOperator.csproj -c Release -o artifacts/bench-operator, or pass --binary");
            }
        }

        throw new FileNotFoundException("the repository root was not found: pass --binary path/to/sequence-operator");
    }
}
