using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SequenceOperator.Tests.Kubernetes;

/// <summary>Keeps every log line (message and exception text) for assertions.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider, ILoggerFactory
{
    public ConcurrentQueue<(string Category, LogLevel Level, string Text)> Entries { get; } = new();

    public string AllText => string.Join("\n", Entries.Select(e => e.Text));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(
            LogLevel logLevel,
            EventId eventId,
            TState state,
            Exception? exception,
            Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((
                category,
                logLevel,
                formatter(state, exception) + (exception is null ? string.Empty : "\n" + exception)));
    }
}
