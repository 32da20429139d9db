using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SequenceOperator.Benchmarks.Operator;
using SequenceOperator.Hosting;
using SequenceOperator.Metrics;
using SequenceOperator.Testing.Operator;
using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Benchmarks.Published;

/// <summary>
/// What CI starts the published binary for (<c>scripts/check-publish.sh</c>), with the image's <c>DOTNET_*</c>
/// settings: the CLI's <c>check</c> against the demo's worcester database on a throwaway PostgreSQL must exit 1 and
/// list its behind sequences; then <c>run</c>, against the API-server double holding one policy on that database,
/// must answer <c>/readyz</c> with 200, give the policy its status, export the behind sequences on <c>/metrics</c>,
/// stop gracefully on SIGTERM and have logged the garbage collector settings the project file compiles in (a
/// setting the GC ignored would show there). Usage: <c>smoke [--binary PATH]</c>; exit code 0, or 1 with the reason on stderr.
/// </summary>
internal static class PublishedBinarySmoke
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        string? binaryPath = null;
        BenchmarkArguments.Read(args, [("--binary", value => binaryPath = value)]);
        var binary = PublishedBinary.Resolve(binaryPath);
        var environment = PublishedBinary.ImageEnvironment();
        var work = Directory.CreateTempSubdirectory("seqop-smoke-");
        try
        {
            await using var postgres = await PostgresServer.StartAsync(cancellationToken: cancellationToken);
            var database = await WorcesterDatabase.CreateAsync(postgres, cancellationToken);
            var behind = await CheckAsync(binary, database, environment, output);
            await RunOperatorAsync(binary, database, environment, behind.Count, work.FullName, output, cancellationToken);
            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or JsonException)
        {
            await Console.Error.WriteLineAsync($"smoke: FAILED: {ex.Message}");
            return 1;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary><c>check --output json</c>: exit code 1 and the behind sequences, <c>cards</c> among them; returns their tables.</summary>
    private static async Task<IReadOnlyList<string>> CheckAsync(string binary, string database, IReadOnlyDictionary<string, string> environment, TextWriter output)
    {
        var check = await ProcessRun.RunAsync(binary, ["check", "--connection", database, "--output", "json"], Deadline, environment);
        if (check.ExitCode != 1)
        {
            throw new InvalidOperationException($"check exited {check.ExitCode}, expected 1 (sequences behind); stderr: {check.Errors.Trim()}");
        }

        var behind = (JsonNode.Parse(check.Output)?["sequences"]?.AsArray() ?? [])
            .Where(s => s?["status"]?.GetValue<string>() == "Behind")
            .Select(s => $"{s!["table"]?.GetValue<string>()}.{s["column"]?.GetValue<string>()}")
            .ToList();
        if (!behind.Contains("cards.id"))
        {
            throw new InvalidOperationException($"check did not report cards.id behind; it printed: {check.Output.Trim()}");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"smoke: check exited 1 after {check.Elapsed.TotalMilliseconds:F0} ms, {behind.Count} sequences behind: {string.Join(", ", behind)}"));
        return behind;
    }

    private static async Task RunOperatorAsync(
        string binary, string database, IReadOnlyDictionary<string, string> environment, int behind, string work, TextWriter output, CancellationToken cancellationToken)
    {
        await using var api = await OperatorApi.StartAsync(Path.Combine(work, "kubeconfig.yaml"), 10_000, cancellationToken);
        using (var client = api.CreateClient())
        {
            await OperatorApi.CreatePolicyAsync(client, "worcester", database, TimeSpan.FromMinutes(5), cancellationToken);
        }

        var clock = Stopwatch.StartNew();
        await using var process = OperatorProcess.Start(binary, api.Kubeconfig, concurrency: 1, Path.Combine(work, "operator.log"), environment);
        await WaitForAsync(process, "/readyz to answer 200", async () => await process.ProbeAsync("/readyz", cancellationToken) == HttpStatusCode.OK, cancellationToken);
        var ready = clock.Elapsed;
        await WaitForAsync(process, $"the policy's status to count {behind} sequences behind", () =>
        {
            var status = api.Server.Store.All(OperatorEnvironment.PolicyResource).SingleOrDefault()?["status"];
            return Task.FromResult(status?["sequencesBehind"]?.GetValue<int>() == behind);
        }, cancellationToken);
        var checkedAt = clock.Elapsed;

        var series = (await process.ScrapeMetricsAsync(cancellationToken)).Split('\n').Count(l => l.StartsWith(MetricNames.SequenceBehind + "{", StringComparison.Ordinal));
        if (series != behind)
        {
            throw new InvalidOperationException($"/metrics exports {series} {MetricNames.SequenceBehind} series, expected {behind}");
        }

        var exit = await process.StopAsync(TimeSpan.FromSeconds(30));
        if (exit != 0)
        {
            throw new InvalidOperationException($"run exited {exit} on SIGTERM, expected 0; last lines of its log:{Environment.NewLine}{process.LogTail()}");
        }

        var expected = $"Garbage collector: {ProjectGcSettings()}";
        if (!File.ReadLines(process.LogFile).Any(line => line.Contains(expected, StringComparison.Ordinal)))
        {
            var logged = File.ReadLines(process.LogFile).FirstOrDefault(line => line.Contains("Garbage collector: ", StringComparison.Ordinal));
            throw new InvalidOperationException($"run did not log '{expected}'; it logged: {logged ?? "(no such line)"}");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"smoke: run answered /readyz after {ready.TotalSeconds:F1} s, wrote the policy's status after {checkedAt.TotalSeconds:F1} s, " +
            $"exported {series} {MetricNames.SequenceBehind} series, exited 0 on SIGTERM and logged '{expected}'"));
    }

    /// <summary>The GC settings the project file compiles in: workstation, non-concurrent, its ConserveMemory and gen0 budget cap.</summary>
    private static GcSettings ProjectGcSettings()
    {
        var project = File.ReadAllText(Path.Combine(PublishedBinary.RepositoryRoot, "src", "SequenceOperator", "SequenceOperator.csproj"));
        var conserve = Regex.Match(project, "Include=\"System\\.GC\\.ConserveMemory\" Value=\"(\\d+)\"");
        var budget = Regex.Match(project, "--runtimeopt:GCGen0MaxBudget=([0-9a-fA-F]+)");
        if (!conserve.Success || !budget.Success)
        {
            throw new InvalidOperationException("the project file no longer sets System.GC.ConserveMemory and GCGen0MaxBudget as this test reads them");
        }

        return new GcSettings(
            Server: false,
            Concurrent: false,
            Gen0BudgetCapBytes: long.Parse(budget.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            ConserveMemory: long.Parse(conserve.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    private static async Task WaitForAsync(OperatorProcess process, string what, Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            process.EnsureRunning();
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (clock.Elapsed > Deadline)
            {
                throw new TimeoutException($"waited {Deadline.TotalSeconds:F0} s for {what}; last lines of the operator's log:{Environment.NewLine}{process.LogTail()}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }
}
