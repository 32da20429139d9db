using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SequenceOperator.Benchmarks.Published;
using SequenceOperator.Entities;
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
/// with the targets: every policy checked within one 5-minute interval, a peak RSS of at most 64 MB up to 500 policies
/// and 128 MB up to 2,000, at most 2 connections per database.
/// </summary>
internal sealed class OperatorBenchmark(OperatorBenchmarkOptions options, TextWriter output)
{
    public static readonly TimeSpan FirstRoundTarget = TimeSpan.FromMinutes(5);
    /// <summary>The peak RSS target for a size: 64 MB up to 500 policies, 128 MB up to 2,000; none above.</summary>
    public static double? RssTargetMb(int policies) => policies <= 500 ? 64 : policies <= 2000 ? 128 : null;
    public const int ConnectionsPerDatabaseTarget = PolicyDatabases.MaxConnectionsPerPolicy;

    // The image's DOTNET_* settings (the Dockerfile's ENV), then --env: the operator runs as the container would run it.
    private readonly IReadOnlyDictionary<string, string> _environment = new Dictionary<string, string>(
        PublishedBinary.ImageEnvironment().Concat(options.Environment).GroupBy(kv => kv.Key).Select(g => g.Last()), StringComparer.Ordinal);

    private const int EventsPerCheck = 11; // 10 SequenceBehind Events and one "N more" (PolicyReconciler.MaxSequenceEventsPerCheck)

    /// <summary>Runs every size; returns 0 when every target is met, 3 when one is not (the figures are printed either way).</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var binary = PublishedBinary.Resolve(options.Binary);
        var workDir = options.LogDirectory ?? Path.Combine(Path.GetTempPath(), "seqop-bench-operator-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(workDir);
        try
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Operator benchmark: {Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024):F0} GiB; " +
                $"{options.Tables} drifted tables per database; " +
                $"--max-concurrent-reconciles {options.Concurrency}; steady state over {options.Intervals} interval(s)."));
            output.WriteLine($"Operator binary: {binary}; logs and kubeconfig in {workDir}");
            output.WriteLine("Operator environment (the Dockerfile's DOTNET_* settings, then --env): " +
                (_environment.Count > 0 ? string.Join(" ", _environment.Select(kv => $"{kv.Key}={kv.Value}")) : "none"));

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
            foreach (var size in options.Sizes)
            {
                var interval = options.IntervalOf(size);
                output.WriteLine();
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"== {size.Policies} policies, interval {KubernetesDuration.Format(interval)} =="));
                results.Add(await RunSizeAsync(postgres, tenants, size.Policies, interval, binary, workDir, cancellationToken));
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
        TimeSpan Interval,
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

    private async Task<SizeResult> RunSizeAsync(
        PostgresServer postgres, TenantDatabases tenants, int size, TimeSpan interval, string binary, string workDir, CancellationToken cancellationToken)
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

        // The double keeps one history for every resource; a real server keeps one per resource.
        await using var operatorApi = await OperatorApi.StartAsync(
            Path.Combine(workDir, string.Create(CultureInfo.InvariantCulture, $"kubeconfig-{size}.yaml")), historyLimit: 1_000_000, cancellationToken);
        var api = operatorApi.Server;
        using (var client = operatorApi.CreateClient())
        {
            sw.Restart();
            await Parallel.ForEachAsync(Enumerable.Range(1, size), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                (tenant, ct) => new ValueTask(OperatorApi.CreatePolicyAsync(
                    client, TenantDatabases.Namespace(tenant), postgres.ConnectionStringFor(TenantDatabases.DatabaseName(tenant)), interval, ct)));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"objects: {size} Secrets and {size} policies created in {sw.Elapsed.TotalSeconds:F1} s"));
        }

        api.ClearRequests();
        await using var sampler = ConnectionSampler.Start(postgres.AdminConnectionString, options.ConnectionSampleInterval);
        var logFile = Path.Combine(workDir, string.Create(CultureInfo.InvariantCulture, $"operator-{size}.log"));
        var started = Stopwatch.StartNew();
        await using var process = OperatorProcess.Start(binary, operatorApi.Kubeconfig, options.Concurrency, logFile, _environment);
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
        while (settle.Elapsed < interval / 2)
        {
            await Task.Delay(Step((interval / 2) - settle.Elapsed), cancellationToken);
            process.EnsureRunning();
        }

        var checksBefore = CountChecks(logFile);
        await using var scraper = MetricsScraper.Start(process, options.ScrapeEvery);
        api.ClearRequests();
        var cpuBefore = process.CpuTime();
        var window = Stopwatch.StartNew();
        var windowLength = interval * options.Intervals;
        var rssTimeline = new List<double>();
        var nextRssSample = interval / 2;
        while (window.Elapsed < windowLength)
        {
            await Task.Delay(Step(windowLength - window.Elapsed), cancellationToken);
            process.EnsureRunning();
            if (window.Elapsed >= nextRssSample)
            {
                rssTimeline.Add(Mb(process.Memory().Rss));
                nextRssSample += interval / 2;
            }
        }

        var cpuWindow = process.CpuTime() - cpuBefore;
        var windowElapsed = window.Elapsed;
        var requests = api.Requests;
        api.ClearRequests();
        var checksInWindow = CountChecks(logFile) - checksBefore;
        var scrapes = await scraper.StopAsync();
        var memory = process.Memory();
        var memoryMap = process.MemoryMap();
        var fds = process.FileDescriptors();
        var scrape = Stopwatch.StartNew();
        string metricsLine;
        var gcLine = "managed heap: no figures (/metrics failed)";
        var peakRss = memory.PeakRss;
        try
        {
            var metrics = await process.ScrapeMetricsAsync(cancellationToken);
            var scrapeTime = scrape.Elapsed;
            var after = process.Memory();
            peakRss = after.PeakRss;
            gcLine = GcLine(metrics);
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

        var intervalsElapsed = windowElapsed / interval;
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
        var libraries = memoryMap.Where(kv => kv.Key.StartsWith("library ", StringComparison.Ordinal)).OrderByDescending(kv => kv.Value).ToList();
        output.WriteLine("resident memory by kind before the last scrape (MB): " +
            string.Join(", ", memoryMap.Where(kv => !kv.Key.StartsWith("library ", StringComparison.Ordinal))
                .Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {Mb(kv.Value):F1}"))) +
            string.Create(CultureInfo.InvariantCulture, $", libraries {Mb(libraries.Sum(kv => kv.Value)):F1} (") +
            string.Join(", ", libraries.Take(6).Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key[8..]} {Mb(kv.Value):F1}"))) + ", …)");
        output.WriteLine(gcLine);
        output.WriteLine(metricsLine);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RSS every half interval in the window (MB): {string.Join(", ", rssTimeline.Select(v => v.ToString("F0", CultureInfo.InvariantCulture)))}"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"connections: at most {connections.MaxPerDatabase} per database ({connections.MaxDatabase}), at most {connections.MaxTotal} in total, {connections.LastTotal} at the last sample ({connections.Samples} samples)"));

        sw.Restart();
        var exit = await process.StopAsync(TimeSpan.FromSeconds(30));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stopped (SIGTERM) in {sw.Elapsed.TotalSeconds:F1} s, exit code {exit}"));
        await WaitForConnectionsClosedAsync(postgres, cancellationToken);

        return new SizeResult(size, interval, creation, created, firstRound, cpuFirstRound, cpuWindow, windowElapsed, checksInWindow, peakRss, memory.Rss, connections);
    }

    private async Task<TimeSpan> WaitForFirstRoundAsync(FakeKubeApiServer api, OperatorProcess process, int size, Stopwatch started, string logFile, CancellationToken cancellationToken)
    {
        var nextProgress = TimeSpan.FromSeconds(15);
        while (true)
        {
            process.EnsureRunning();
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

    private static readonly string[] Generations = ["gen0", "gen1", "gen2", "loh", "poh"];

    // .NET's System.Runtime meter as our collector writes it (PrometheusCollector): the instrument's name with '.' as '_',
    // no unit suffix (dotnet.gc.last_collection.heap.size, unit By), _total after a counter's; the gc.heap.generation
    // attribute is the label gc_heap_generation.
    private const string HeapSize = "dotnet_gc_last_collection_heap_size";
    private const string Fragmentation = "dotnet_gc_last_collection_heap_fragmentation_size";
    private const string Committed = "dotnet_gc_last_collection_memory_committed_size";
    private const string Collections = "dotnet_gc_collections_total";
    private const string Allocated = "dotnet_gc_heap_total_allocated_total";

    /// <summary>The GC's view of the heap, from the runtime's families on <c>/metrics</c> (a page without them says so).</summary>
    private static string GcLine(string metrics)
    {
        if (!HasMetric(metrics, HeapSize))
        {
            return $"managed heap: no figures (/metrics has no {HeapSize}: the operator's Metrics:RuntimeMetrics was off)";
        }

        var generations = string.Join(", ", Generations.Select(g => string.Create(CultureInfo.InvariantCulture,
            $"{g} {Mb(SumMetric(metrics, HeapSize, g)):F1}")));
        var collections = string.Join("/", Generations.Take(3).Select(g =>
            SumMetric(metrics, Collections, g).ToString("F0", CultureInfo.InvariantCulture)));
        return string.Create(CultureInfo.InvariantCulture,
            $"managed heap, as the GC saw it after its last collection (MB): {Mb(SumMetric(metrics, HeapSize)):F1} ({generations}), " +
            $"of which fragmentation {Mb(SumMetric(metrics, Fragmentation)):F1}; committed {Mb(SumMetric(metrics, Committed)):F1}; " +
            $"collections {collections} (gen0/1/2); allocated {Mb(SumMetric(metrics, Allocated)):F0} in all");
    }

    /// <summary>Whether the page has a sample of the family <paramref name="name"/>.</summary>
    private static bool HasMetric(string text, string name) =>
        text.Split('\n').Any(line =>
            line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is '{' or ' ');

    /// <summary>Sums every sample of a metric in Prometheus text (all label sets, or those of one GC generation).</summary>
    private static double SumMetric(string text, string name, string? generation = null)
    {
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || (line[name.Length] != '{' && line[name.Length] != ' '))
            {
                continue;
            }

            if (generation is not null && !line.Contains($"gc_heap_generation=\"{generation}\"", StringComparison.Ordinal))
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
            $"| policies | tables | interval | first round (s) | CPU per interval (s) | CPU (% of one core) | peak RSS (MB) | max connections per database | max connections total |"));
        output.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Policies} | {r.Policies * options.Tables:N0} | {KubernetesDuration.Format(r.Interval)} | {r.FirstRound.TotalSeconds:F1} | " +
                $"{r.CpuWindow.TotalSeconds / (r.Window / r.Interval):F2} | " +
                $"{100 * r.CpuWindow / r.Window:F1} | {Mb(r.PeakRss):F0} | {r.Connections.MaxPerDatabase} | {r.Connections.MaxTotal} |"));
        }

        output.WriteLine();
        var allMet = true;
        foreach (var r in results)
        {
            var firstRoundMet = r.FirstRound < FirstRoundTarget;
            var rssTarget = RssTargetMb(r.Policies);
            var rssMet = rssTarget is not { } limit || Mb(r.PeakRss) <= limit;
            var connectionsMet = r.Connections.MaxPerDatabase <= ConnectionsPerDatabaseTarget;
            allMet &= firstRoundMet && rssMet && connectionsMet;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Policies} policies: first round {r.FirstRound.TotalSeconds:F0} s < 300 s {Verdict(firstRoundMet)}; " +
                $"peak RSS {Mb(r.PeakRss):F0} MB{(rssTarget is { } t ? $" <= {t:F0} MB {Verdict(rssMet)}" : " (no target)")}; " +
                $"connections per database {r.Connections.MaxPerDatabase} <= {ConnectionsPerDatabaseTarget} {Verdict(connectionsMet)}"));
        }

        output.WriteLine(allMet ? "All targets met." : "Some targets were NOT met.");
        return allMet ? 0 : 3;
    }

    private static string Verdict(bool met) => met ? "PASS" : "FAIL";

    private static double Mb(double bytes) => bytes / (1024.0 * 1024.0);

    /// <summary>
    /// The next wait of a polling loop: at most 5 s, and never negative (the time left, read after the loop's own check,
    /// can already have run out on a loaded machine, and Task.Delay refuses a negative delay).
    /// </summary>
    private static TimeSpan Step(TimeSpan remaining) =>
        remaining <= TimeSpan.Zero ? TimeSpan.Zero : remaining < TimeSpan.FromSeconds(5) ? remaining : TimeSpan.FromSeconds(5);
}
