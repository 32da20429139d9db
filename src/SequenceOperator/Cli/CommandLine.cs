namespace SequenceOperator.Cli;

/// <summary>Entry point for every command: check, repair, run, crd.</summary>
internal static class CommandLine
{
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        stdout.WriteLine("sequence-operator: commands are being built (check, repair, run, crd).");
        _ = stderr;
        return Task.FromResult(args.Length == 0 ? 0 : 2);
    }
}
