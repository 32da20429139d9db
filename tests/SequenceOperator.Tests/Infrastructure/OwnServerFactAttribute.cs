using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Tests.Infrastructure;

/// <summary>
/// A fact that stops and restarts the PostgreSQL server it starts: skipped, with the reason, when the tests run
/// against an existing server (<see cref="PostgresServer.ConnectionStringVariable"/>), which no test may stop.
/// </summary>
internal sealed class OwnServerFactAttribute : FactAttribute
{
    public OwnServerFactAttribute()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PostgresServer.ConnectionStringVariable)))
        {
            Skip = $"stops its own PostgreSQL server, and {PostgresServer.ConnectionStringVariable} names an existing one that no test may "
                + "stop";
        }
    }
}
