using System.Globalization;

using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Benchmarks.Operator;

/// <summary>
/// The tenants' databases: <c>tenant_0001</c>, <c>tenant_0002</c>, … each a copy of one template holding N drifted
/// tables (a serial key, one row with the explicit id 1000 and a never-used sequence: every sequence is behind). Copies
/// are much faster than running the DDL per database. Databases are kept between sizes (the operator only observes,
/// so they do not change): a larger size creates only the missing ones.
/// </summary>
internal sealed class TenantDatabases(PostgresServer server, int tables)
{
    private const string Template = "seqop_bench_template";
    private const int CreateParallelism = 2;
    private int _created;
    private bool _templateReady;

    public static string DatabaseName(int tenant) => "tenant_" + tenant.ToString("D4", CultureInfo.InvariantCulture);

    public static string Namespace(int tenant) => "tenant-" + tenant.ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>The first behind-by value: the explicit id inserted past each sequence.</summary>
    public const long ImportedId = 1000;

    /// <summary>Makes sure tenants 1..<paramref name="count"/> exist; returns how many were created now.</summary>
    public async Task<int> EnsureAsync(int count, CancellationToken cancellationToken)
    {
        if (!_templateReady)
        {
            await PostgresServer.ExecuteAsync(server.AdminConnectionString, $"DROP DATABASE IF EXISTS {Template} WITH (FORCE)", cancellationToken);
            await PostgresServer.ExecuteAsync(server.AdminConnectionString, $"CREATE DATABASE {Template}", cancellationToken);
            await PostgresServer.ExecuteAsync(server.ConnectionStringFor(Template), string.Create(CultureInfo.InvariantCulture, $"""
                DO $$ BEGIN
                  FOR i IN 1..{tables} LOOP
                    EXECUTE format('CREATE TABLE t_%s (id serial PRIMARY KEY, payload text)', lpad(i::text, 3, '0'));
                    EXECUTE format('INSERT INTO t_%s (id, payload) VALUES ({ImportedId}, %L)', lpad(i::text, 3, '0'), 'imported');
                  END LOOP;
                END $$;
                """), cancellationToken);
            _templateReady = true;
        }

        var start = _created + 1;
        if (start > count)
        {
            return 0;
        }

        await Parallel.ForEachAsync(Enumerable.Range(start, count - start + 1),
            new ParallelOptions { MaxDegreeOfParallelism = CreateParallelism, CancellationToken = cancellationToken },
            async (tenant, ct) =>
            {
                var name = DatabaseName(tenant);
                await PostgresServer.ExecuteAsync(server.AdminConnectionString, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)", ct);
                await PostgresServer.ExecuteAsync(server.AdminConnectionString, $"CREATE DATABASE {name} TEMPLATE {Template}", ct);
            });
        _created = count;
        return count - start + 1;
    }
}
