using System.Globalization;
using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Benchmarks;

/// <summary>The drifted database the profile and the comparison measure: the same tables for both.</summary>
internal static class DriftFixture
{
    /// <summary>
    /// N tables, each with an explicit id 1000 written past its sequence, which handed out 1 to 3 first: all N
    /// behind, as after an import. 250 tables per transaction (about 6 locks each, well inside the stock lock table),
    /// then <c>VACUUM ANALYZE</c>.
    /// </summary>
    public static async Task CreateAsync(string connectionString, int tables, CancellationToken cancellationToken = default)
    {
        for (var start = 0; start < tables; start += 250)
        {
            var end = Math.Min(tables, start + 250) - 1;
            await PostgresServer.ExecuteAsync(connectionString, string.Create(CultureInfo.InvariantCulture, $"""
                DO $$ BEGIN
                  FOR i IN {start}..{end} LOOP
                    EXECUTE format('CREATE TABLE t_%s (id serial PRIMARY KEY, payload text)', i);
                    EXECUTE format('INSERT INTO t_%s (payload) VALUES (%L), (%L), (%L)', i, 'a', 'b', 'c');
                    EXECUTE format('INSERT INTO t_%s (id, payload) VALUES (1000, %L)', i, 'imported');
                  END LOOP;
                END $$;
                """), cancellationToken);
        }

        await PostgresServer.ExecuteAsync(connectionString, "VACUUM ANALYZE", cancellationToken);
    }
}
