using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SequenceOperator.Benchmarks.Published;

/// <summary>
/// One run of a command to its end: exit code, output, wall-clock time from start to exit, and the CPU time (user
/// plus system) of the child processes reaped meanwhile, which is the command's own as long as runs do not overlap.
/// </summary>
internal sealed record ProcessRun(int ExitCode, string Output, string Errors, TimeSpan Elapsed, TimeSpan Cpu)
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/>, writes <paramref name="input"/> to its standard input when given, and waits (killing it after <paramref name="timeout"/>).</summary>
    public static async Task<ProcessRun> RunAsync(
        string file, IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null, string? input = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = input is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        var cpuBefore = ChildrenCpu();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not exit within {timeout.TotalSeconds:F0} s");
        }

        var elapsed = clock.Elapsed;
        return new ProcessRun(process.ExitCode, await output, await errors, elapsed, ChildrenCpu() - cpuBefore);
    }

    private static TimeSpan ChildrenCpu()
    {
        const int RusageChildren = -1;
        return getrusage(RusageChildren, out var usage) == 0
            ? usage.UserTime.ToTimeSpan() + usage.SystemTime.ToTimeSpan()
            : throw new InvalidOperationException($"getrusage failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getrusage(int who, out Rusage usage);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeValue
    {
        public long Seconds;
        public long Microseconds;

        public readonly TimeSpan ToTimeSpan() => TimeSpan.FromSeconds(Seconds) + TimeSpan.FromMicroseconds(Microseconds);
    }

    // struct rusage on 64-bit Linux: two timevals, then 14 longs this code does not read.
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public TimeValue UserTime;
        public TimeValue SystemTime;
        [MarshalAs(UnmanagedType.ByValArray, SizeConst = 14)]
        public long[] Rest;
    }
}
