using System.Globalization;

using SequenceOperator.Testing.Postgres;

namespace SequenceOperator.Benchmarks.Operator;

/// <summary>
/// The tenants' databases: <c>tenant_0001</c>, <c>tenant_0002</c>, … each a copy of one template holding N drifted
/// tables (a serial key, one row with the explicit id 1000 and a never-used sequence: every sequence is behind). Copies
/// (file copies: faster than WAL-logged ones, and much faster than running the DDL per database) are labelled with
/// their table count (a database comment). Databases are kept between sizes (the operator only observes, so they do
/// not change): a larger size creates only the missing ones; on a server of one's own (the
/// <c>SEQUENCE_OPERATOR_TEST_POSTGRES</c> connection string) they are kept between runs too, and a run reuses the
/// tenants that exist with the same table count.
/// </summary>
internal sealed class TenantDatabases(PostgresServer server, int tables)
{
    private const string Template = "seqop_bench_template";
    private const int CreateParallelism = 4;
    private HashSet<string>? _existing;
    private bool _templateReady;

    public static string DatabaseName(int tenant) => "tenant_" + tenant.ToString("D4", CultureInfo.InvariantCulture);

    public static string Namespace(int tenant) => "tenant-" + tenant.ToString("D4", CultureInfo.InvariantCulture);

    /// <summary>The first behind-by value: the explicit id inserted past each sequence.</summary>
    public const long ImportedId = 1000;

    /// <summary>Makes sure tenants 1..<paramref name="count"/> exist; returns how many were created now.</summary>
    public async Task<int> EnsureAsync(int count, CancellationToken cancellationToken)
    {
        var label = string.Create(CultureInfo.InvariantCulture, $"seqop-bench {tables} tables");
        _existing ??= await ExistingAsync(label, cancellationToken);
        var missing = Enumerable.Range(1, count).Where(tenant => !_existing.Contains(DatabaseName(tenant))).ToList();
        if (missing.Count == 0)
        {
            return 0;
        }

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

        await Parallel.ForEachAsync(missing,
            new ParallelOptions { MaxDegreeOfParallelism = CreateParallelism, CancellationToken = cancellationToken },
            async (tenant, ct) =>
            {
                var name = DatabaseName(tenant);
                await PostgresServer.ExecuteAsync(server.AdminConnectionString, $"DROP DATABASE IF EXISTS {name} WITH (FORCE)", ct);
                await PostgresServer.ExecuteAsync(server.AdminConnectionString, $"CREATE DATABASE {name} TEMPLATE {Template} STRATEGY FILE_COPY", ct);
                await PostgresServer.ExecuteAsync(server.AdminConnectionString, $"COMMENT ON DATABASE {name} IS '{label}'", ct);
                lock (_existing)
                {
                    _existing.Add(name);
                }
            });
        return missing.Count;
    }

    /// <summary>The tenant databases already there with this table count (a server kept between runs).</summary>
    private async Task<HashSet<string>> ExistingAsync(string label, CancellationToken cancellationToken)
    {
        var names = await PostgresServer.ScalarAsync(server.AdminConnectionString, $"""
            SELECT coalesce(string_agg(datname, ','), '') FROM pg_database
            WHERE datname LIKE 'tenant\_%' AND shobj_description(oid, 'pg_database') = '{label}'
            """, cancellationToken);
        return [.. names.Split(',', StringSplitOptions.RemoveEmptyEntries)];
    }
}
