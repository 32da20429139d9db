using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SequenceOperator.Benchmarks.Operator;

/// <summary>
/// The published operator running as its own process (so its CPU time and memory are its own): started with
/// <c>run --kubeconfig …</c>, its output appended to a log file, read through <c>/proc</c>, stopped with SIGTERM.
/// </summary>
internal sealed class OperatorProcess : IAsyncDisposable
{
    // Asks for gzip, as Prometheus does (and decompresses).
    private static readonly HttpClient Http = new(new HttpClientHandler { AutomaticDecompression = System.Net.DecompressionMethods.GZip })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };
    private readonly Process _process;
    private readonly Task _drain;
    private bool _exited;

    private OperatorProcess(Process process, Task drain, int metricsPort, int healthPort, string logFile)
    {
        LogFile = logFile;
        _process = process;
        _drain = drain;
        MetricsPort = metricsPort;
        HealthPort = healthPort;
    }

    public int Pid => _process.Id;

    public int MetricsPort { get; }

    public int HealthPort { get; }

    /// <summary>Where its standard output and error go.</summary>
    public string LogFile { get; }

    public bool HasExited => _process.HasExited;

    public static OperatorProcess Start(string binary, string kubeconfig, int concurrency, string logFile, IReadOnlyDictionary<string, string> environment)
    {
        var ports = SequenceOperator.Testing.LoopbackPorts.Free(2);
        var (metricsPort, healthPort) = (ports[0], ports[1]);
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(logFile)!,
        };
        foreach (var a in new[]
                 {
                     "run", "--kubeconfig", kubeconfig, "--max-concurrent-reconciles", concurrency.ToString(CultureInfo.InvariantCulture),
                     "--metrics-port", metricsPort.ToString(CultureInfo.InvariantCulture),
                     "--health-port", healthPort.ToString(CultureInfo.InvariantCulture), "--log-format", "text",
                 })
        {
            psi.ArgumentList.Add(a);
        }

        // Only the given GC settings (the image's), whatever this shell has set; no flags or kubeconfig from the environment.
        psi.Environment.Remove("KUBECONFIG");
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("SEQUENCE_OPERATOR_", StringComparison.Ordinal) ||
                                                           k.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            psi.Environment.Remove(key);
        }

        // .NET's runtime metrics on /metrics (the benchmark reports the GC's view of the heap from them): run's
        // --runtime-metrics, through its environment variable.
        psi.Environment["SEQUENCE_OPERATOR_RUNTIME_METRICS"] = "true";
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {binary}");
        // Unbuffered, so that the log on disk is complete while the operator runs (the benchmark counts checks in it).
        var log = new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        var drain = Task.WhenAll(process.StandardOutput.BaseStream.CopyToAsync(log), process.StandardError.BaseStream.CopyToAsync(log))
            .ContinueWith(_ => log.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return new OperatorProcess(process, drain, metricsPort, healthPort, logFile);
    }

    /// <summary>Throws, with the last lines of its log, when it has exited.</summary>
    public void EnsureRunning()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"the operator exited early; last lines of {LogFile}:{Environment.NewLine}{LogTail()}");
        }
    }

    /// <summary>The last lines of its log.</summary>
    public string LogTail(int lines = 20) =>
        File.Exists(LogFile) ? string.Join(Environment.NewLine, File.ReadLines(LogFile).TakeLast(lines)) : "(no log)";

    /// <summary>User plus system CPU time so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>From /proc/&lt;pid&gt;/status, in bytes: VmHWM (peak resident set), VmRSS, and its anonymous and file-backed parts; and the thread count.</summary>
    public MemoryFigures Memory()
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon] is "VmHWM" or "VmRSS" or "RssAnon" or "RssFile" or "Threads")
            {
                var text = line[(colon + 1)..].Trim();
                values[line[..colon]] = text.EndsWith("kB", StringComparison.Ordinal)
                    ? long.Parse(text[..^2].Trim(), CultureInfo.InvariantCulture) * 1024
                    : long.Parse(text, CultureInfo.InvariantCulture);
            }
        }

        return new MemoryFigures(values["VmHWM"], values["VmRSS"], values["RssAnon"], values["RssFile"], (int)values["Threads"]);
    }

    public sealed record MemoryFigures(long PeakRss, long Rss, long RssAnon, long RssFile, int Threads);

    /// <summary>
    /// Where the resident memory is, from <c>/proc/&lt;pid&gt;/smaps</c>, in bytes by kind: the executable's own pages,
    /// the native libraries (<c>library NAME</c>), the GC's reservation (the huge run of anonymous mappings the managed heap
    /// lives in), malloc's heap and arenas (native allocations: OpenSSL, the runtime's unpacked data), thread stacks
    /// (runs of 1.5 or 8 MB plus a guard page), and other anonymous mappings. Adjacent anonymous mappings (a
    /// reservation that commits parts of itself is split into several) are taken as one run.
    /// </summary>
    public IReadOnlyDictionary<string, long> MemoryMap()
    {
        var executable = new FileInfo($"/proc/{Pid}/exe").LinkTarget;
        var mappings = new List<(long Start, long End, string Path, long Rss)>();
        foreach (var line in File.ReadLines($"/proc/{Pid}/smaps"))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[0].Contains('-', StringComparison.Ordinal) && !fields[0].EndsWith(':'))
            {
                var range = fields[0].Split('-');
                mappings.Add((long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                    long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                    fields.Length >= 6 ? string.Join(' ', fields[5..]) : string.Empty, 0));
            }
            else if (line.StartsWith("Rss:", StringComparison.Ordinal) && mappings.Count > 0)
            {
                mappings[^1] = mappings[^1] with { Rss = long.Parse(fields[1], CultureInfo.InvariantCulture) * 1024 };
            }
        }

        var kinds = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < mappings.Count;)
        {
            var (start, end, path, rss) = mappings[i++];
            if (path.Length == 0)
            {
                while (i < mappings.Count && mappings[i].Path.Length == 0 && mappings[i].Start == end)
                {
                    end = mappings[i].End;
                    rss += mappings[i++].Rss;
                }
            }

            var size = end - start;
            var kind = path switch
            {
                _ when path == executable => "executable",
                "[heap]" => "malloc",
                "[stack]" => "stacks",
                _ when path.StartsWith('/') => "library " + Path.GetFileName(path),
                _ when path.Length > 0 => "other",
                _ when size >= 1L << 32 => "GC",
                _ when size % (64L << 20) == 0 && start % (64L << 20) == 0 => "malloc",
                _ when size is (8L << 20) + 4096 or (1536L << 10) + 4096 or (256L << 10) + 4096 => "stacks",
                _ => "other anonymous",
            };
            kinds[kind] = kinds.GetValueOrDefault(kind) + rss;
        }

        return kinds;
    }

    /// <summary>Open file descriptors by kind (socket, pipe, anon_inode, file).</summary>
    public IReadOnlyDictionary<string, int> FileDescriptors()
    {
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var fd in Directory.GetFileSystemEntries($"/proc/{Pid}/fd"))
        {
            string kind;
            try
            {
                var target = new FileInfo(fd).LinkTarget ?? "?";
                kind = target.StartsWith('/') ? "file" : target.Split(':')[0];
            }
            catch (IOException)
            {
                continue; // closed meanwhile
            }

            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
        }

        return kinds;
    }

    /// <summary>The status code of a GET on the health port (<c>/healthz</c>, <c>/readyz</c>).</summary>
    public async Task<HttpStatusCode> ProbeAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{HealthPort}{path}"), cancellationToken);
        return response.StatusCode;
    }

    public Task<string> ScrapeMetricsAsync(CancellationToken cancellationToken) =>
        Http.GetStringAsync(new Uri($"http://127.0.0.1:{MetricsPort}/metrics"), cancellationToken);

    /// <summary>Sends SIGTERM and waits for a graceful exit (up to <paramref name="timeout"/>, then SIGKILL); returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", Pid.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
            await kill.WaitForExitAsync();
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        await _drain;
        _exited = true;
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_exited)
        {
            await StopAsync(TimeSpan.FromSeconds(30));
        }

        _process.Dispose();
    }
}
