namespace SequenceOperator.Hosting;

/// <summary>
/// The garbage collector's settings as it took them at start, for the operator's first log line: what the project
/// file compiles into the executable (workstation, non-concurrent, <c>System.GC.ConserveMemory</c>, the gen0 budget
/// cap), or what <c>DOTNET_GC*</c> variables set instead. NativeAOT's GC ignores a variable it cannot parse (a hex
/// value with a 0x prefix), so this line is where a deployment sees what took effect.
/// </summary>
/// <param name="Server">The server GC (a heap per core) rather than the workstation GC.</param>
/// <param name="Concurrent">Background gen2 collections.</param>
/// <param name="Gen0BudgetCapBytes">
/// The largest allocation budget between gen0 collections (<c>GCGen0MaxBudget</c>); 0: the runtime's own.
/// </param>
/// <param name="ConserveMemory">0 to 9: how eagerly the GC compacts rather than grows (<c>GCConserveMemory</c>).</param>
internal sealed record GcSettings(bool Server, bool Concurrent, long Gen0BudgetCapBytes, long ConserveMemory)
{
    /// <summary>This process's settings.</summary>
    public static GcSettings Current() => From(GC.GetConfigurationVariables());

    /// <summary>Reads the settings from <see cref="GC.GetConfigurationVariables"/>; a missing or odd entry reads as its default.</summary>
    public static GcSettings From(IReadOnlyDictionary<string, object> variables) => new(
        Flag(variables, "ServerGC"),
        Flag(variables, "ConcurrentGC"),
        Number(variables, "GCGen0MaxBudget"),
        Number(variables, "GCConserveMem"));

    /// <summary>For the log: "workstation, non-concurrent, gen0 budget at most 2048 KB, conserve memory 9".</summary>
    public override string ToString() =>
        $"{(Server ? "server" : "workstation")}, {(Concurrent ? "concurrent" : "non-concurrent")}, " +
        (Gen0BudgetCapBytes > 0 ? $"gen0 budget at most {Gen0BudgetCapBytes >> 10} KB" : "gen0 budget sized by the runtime") +
        $", conserve memory {ConserveMemory}";

    private static bool Flag(IReadOnlyDictionary<string, object> variables, string key) =>
        variables.TryGetValue(key, out var value) && value is true;

    private static long Number(IReadOnlyDictionary<string, object> variables, string key) =>
        variables.TryGetValue(key, out var value) && value is long number ? number : 0;
}
