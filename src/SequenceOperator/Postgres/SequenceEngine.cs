using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace SequenceOperator.Postgres;

/// <summary>
/// Finds every sequence that feeds a column, tells how far each stands behind the data, and repairs the ones behind
/// without ever moving a sequence backwards. Knows nothing of Kubernetes: the CLI and the operator both call it.
/// <para>A check is two round trips whatever the number of tables: the catalog (one query), then every MAX and every
/// sequence (a batch of UNION ALL statements). A repair adds one round trip per group of sequences.</para>
/// </summary>
internal sealed partial class SequenceEngine(ILogger<SequenceEngine> logger)
{
    // Planning a UNION ALL grows faster than its arm count: many small statements in one batch (still one round trip) plan far faster.
    private const int ArmsPerStatement = 16;
    private const int TablesPerRepairTransaction = 200;

    public Task<SequenceReport> CheckAsync(NpgsqlDataSource dataSource, CheckOptions options, CancellationToken cancellationToken) =>
        Guard(() => CheckCoreAsync(dataSource, options, cancellationToken), options.StatementTimeout);

    public Task<SequenceReport> RepairAsync(NpgsqlDataSource dataSource, CheckOptions options, RepairOptions repair, CancellationToken cancellationToken) =>
        Guard(() => RepairCoreAsync(dataSource, options, repair, cancellationToken), options.StatementTimeout);

    /// <summary>A statement error that escapes the per-entry handling fails the run with a readable message.</summary>
    private static async Task<SequenceReport> Guard(Func<Task<SequenceReport>> run, TimeSpan statementTimeout)
    {
        try
        {
            return await run();
        }
        catch (PostgresException ex)
        {
            throw new SequenceEngineException(
                ex.SqlState == PostgresErrorCodes.InsufficientPrivilege ? EngineFailure.PermissionDenied : EngineFailure.Failed,
                PostgresErrors.Describe(ex, statementTimeout), ex);
        }
    }

    private async Task<SequenceReport> CheckCoreAsync(NpgsqlDataSource dataSource, CheckOptions options, CancellationToken cancellationToken)
    {
        await using var connection = await PostgresErrors.OpenAsync(dataSource, cancellationToken);
        var inspection = await InspectAsync(connection, options, cancellationToken);
        return new SequenceReport { Sequences = inspection.Entries(), Errors = inspection.EntryErrors };
    }

    private async Task<SequenceReport> RepairCoreAsync(NpgsqlDataSource dataSource, CheckOptions options, RepairOptions repair, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(repair.Headroom);
        await using var connection = await PostgresErrors.OpenAsync(dataSource, cancellationToken);
        var inspection = await InspectAsync(connection, options, cancellationToken);
        var groups = PlanRepairs(inspection, repair);
        if (repair.DryRun)
        {
            var sql = string.Join("\n\n", groups.Select(g => g.Script(repair, options.StatementTimeout)));
            return new SequenceReport { Sequences = inspection.Entries(), Errors = inspection.EntryErrors, RepairSql = sql };
        }

        foreach (var group in groups)
        {
            await RunRepairGroupAsync(connection, group, repair, options.StatementTimeout, cancellationToken);
        }

        return new SequenceReport { Sequences = inspection.Entries(), Errors = inspection.EntryErrors };
    }

    private async Task<Inspection> InspectAsync(NpgsqlConnection connection, CheckOptions options, CancellationToken cancellationToken)
    {
        var feeds = new List<Feed>();
        var relations = new List<RelationRow>();
        var role = string.Empty;
        var database = string.Empty;
        await using (var batch = new NpgsqlBatch(connection))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand(SequenceSql.BeginReadOnly));
            batch.BatchCommands.Add(new NpgsqlBatchCommand(SequenceSql.SetLocalStatementTimeout(options.StatementTimeout)));
            batch.BatchCommands.Add(new NpgsqlBatchCommand(SequenceSql.CurrentUser));
            batch.BatchCommands.Add(new NpgsqlBatchCommand(SequenceSql.Discovery));
            if (options.Tables.Count > 0)
            {
                var find = new NpgsqlBatchCommand(SequenceSql.FindRelations);
                find.Parameters.Add(new NpgsqlParameter { Value = TableResolver.CandidateNames(options.Tables) });
                batch.BatchCommands.Add(find);
            }

            await PostgresErrors.RunAsync(connection, async () =>
            {
                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                var resultSet = 0;
                do
                {
                    if (reader.FieldCount == 0)
                    {
                        continue;
                    }

                    while (await reader.ReadAsync(cancellationToken))
                    {
                        switch (resultSet)
                        {
                            case 0:
                                role = reader.GetString(0);
                                database = reader.GetString(1);
                                break;
                            case 1:
                                feeds.Add(Feed.Read(reader));
                                break;
                            default:
                                relations.Add(RelationRow.Read(reader));
                                break;
                        }
                    }

                    resultSet++;
                }
                while (await reader.NextResultAsync(cancellationToken));
            }, cancellationToken);
        }

        var inspection = Inspection.Select(feeds, relations, options.Tables, role);
        LogInspected(logger, database, feeds.Count, inspection.Targets.Count, inspection.EntryErrors.Count);
        await MeasureAsync(connection, inspection, options.StatementTimeout, cancellationToken);
        return inspection;
    }

    /// <summary>Reads every needed MAX/MIN and every sequence in one batch; on failure, item by item so one bad table does not hide the rest.</summary>
    private async Task MeasureAsync(NpgsqlConnection connection, Inspection inspection, TimeSpan statementTimeout, CancellationToken cancellationToken)
    {
        var columns = inspection.ColumnsToMeasure();
        var sequences = inspection.SequencesToRead();
        var columnArms = columns.Select((c, i) => SequenceSql.ExtremeArm(i, c.Schema, c.Table, c.Column, c.Key.Descending)).ToList();
        var sequenceArms = sequences.Select((s, i) => SequenceSql.SequenceArm(i, s.Schema, s.Name)).ToList();

        try
        {
            await using var batch = new NpgsqlBatch(connection);
            var kinds = new List<bool>();
            foreach (var chunk in columnArms.Chunk(ArmsPerStatement))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(SequenceSql.UnionAll(chunk)));
                kinds.Add(true);
            }

            foreach (var chunk in sequenceArms.Chunk(ArmsPerStatement))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand(SequenceSql.UnionAll(chunk)));
                kinds.Add(false);
            }

            batch.BatchCommands.Add(new NpgsqlBatchCommand(SequenceSql.Commit));
            await PostgresErrors.RunAsync(connection, async () =>
            {
                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                var resultSet = 0;
                do
                {
                    if (reader.FieldCount == 0)
                    {
                        continue;
                    }

                    var isColumn = kinds[resultSet++];
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        var i = reader.GetInt32(0);
                        if (isColumn)
                        {
                            inspection.SetExtreme(columns[i].Key, reader.IsDBNull(1) ? null : reader.GetDecimal(1));
                        }
                        else
                        {
                            inspection.SetSequenceState(sequences[i].Oid, reader.GetInt64(1), reader.GetBoolean(2));
                        }
                    }
                }
                while (await reader.NextResultAsync(cancellationToken));
            }, cancellationToken);
            return;
        }
        catch (PostgresException ex)
        {
            LogBatchFallback(logger, ex.SqlState);
            await RollbackAsync(connection, cancellationToken);
        }

        for (var i = 0; i < columns.Count; i++)
        {
            var column = columns[i];
            var (value, error) = await ReadOneAsync(connection, columnArms[i], statementTimeout, r => r.IsDBNull(1) ? (decimal?)null : r.GetDecimal(1), cancellationToken);
            if (error is null)
            {
                inspection.SetExtreme(column.Key, value);
            }
            else
            {
                inspection.FailColumn(column.Key, $"reading {(column.Key.Descending ? "MIN" : "MAX")}({Identifiers.Display(column.Column)}) of {Identifiers.Display(column.Schema, column.Table)} failed: {error}");
            }
        }

        for (var i = 0; i < sequences.Count; i++)
        {
            var sequence = sequences[i];
            var (state, error) = await ReadOneAsync(connection, sequenceArms[i], statementTimeout, r => (r.GetInt64(1), r.GetBoolean(2)), cancellationToken);
            if (error is null)
            {
                inspection.SetSequenceState(sequence.Oid, state.Item1, state.Item2);
            }
            else
            {
                inspection.FailSequence(sequence.Oid, $"reading sequence {Identifiers.Display(sequence.Schema, sequence.Name)} failed: {error}");
            }
        }
    }

    private static async Task<(T Value, string? Error)> ReadOneAsync<T>(NpgsqlConnection connection, string sql, TimeSpan statementTimeout, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        try
        {
            return await PostgresErrors.RunAsync(connection, async () =>
            {
                await using var batch = new NpgsqlBatch(connection);
                batch.BatchCommands.Add(new NpgsqlBatchCommand(SequenceSql.BeginReadOnly));
                batch.BatchCommands.Add(new NpgsqlBatchCommand(SequenceSql.SetLocalStatementTimeout(statementTimeout)));
                batch.BatchCommands.Add(new NpgsqlBatchCommand(sql));
                batch.BatchCommands.Add(new NpgsqlBatchCommand(SequenceSql.Commit));
                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                T value = default!;
                do
                {
                    if (reader.FieldCount > 0 && await reader.ReadAsync(cancellationToken))
                    {
                        value = read(reader);
                    }
                }
                while (await reader.NextResultAsync(cancellationToken));
                return (value, (string?)null);
            }, cancellationToken);
        }
        catch (PostgresException ex)
        {
            await RollbackAsync(connection, cancellationToken);
            return (default!, PostgresErrors.Describe(ex, statementTimeout));
        }
    }

    private static List<RepairGroup> PlanRepairs(Inspection inspection, RepairOptions repair)
    {
        var planned = new List<SequenceInspection>();
        foreach (var sequence in inspection.Sequences.Values)
        {
            if (sequence.Error is not null || sequence.BehindBy <= 0)
            {
                continue;
            }

            if (!sequence.CanUpdate)
            {
                sequence.Fail($"repair needs UPDATE on sequence {sequence.Display} to call setval: GRANT UPDATE ON SEQUENCE {sequence.QuotedName} TO {Identifiers.Quote(inspection.Role)};");
                continue;
            }

            if (sequence.LockTables.FirstOrDefault(f => !f.CanLockTable) is { } unlockable)
            {
                var table = Identifiers.Quote(unlockable.Schema, unlockable.Table);
                sequence.Fail($"repair needs UPDATE, DELETE or TRUNCATE on table {Identifiers.Display(unlockable.Schema, unlockable.Table)} to lock out writers while it repairs: GRANT UPDATE ON {table} TO {Identifiers.Quote(inspection.Role)};");
                continue;
            }

            var target = sequence.Ascending ? sequence.Extreme!.Value + repair.Headroom : sequence.Extreme!.Value - repair.Headroom;
            if (SequenceMath.Beyond(target + sequence.Increment, sequence.Limit, sequence.Increment))
            {
                sequence.Fail($"sequence {sequence.Display} is exhausted: to pass {(sequence.Ascending ? "MAX" : "MIN")} {sequence.Extreme}{(repair.Headroom > 0 ? $" with headroom {repair.Headroom}" : string.Empty)} its next value would be {target + sequence.Increment}, beyond {sequence.LimitSource} ({sequence.Limit}); widen the column and the sequence (ALTER ... TYPE bigint) before repairing.");
                continue;
            }

            planned.Add(sequence);
        }

        var groups = new List<RepairGroup>();
        var current = new List<SequenceInspection>();
        var tables = 0;
        foreach (var sequence in planned)
        {
            if (current.Count > 0 && (current.Count >= Math.Max(1, repair.SequencesPerTransaction) || tables + sequence.LockTables.Count > TablesPerRepairTransaction))
            {
                groups.Add(new RepairGroup(current));
                current = [];
                tables = 0;
            }

            current.Add(sequence);
            tables += sequence.LockTables.Count;
        }

        if (current.Count > 0)
        {
            groups.Add(new RepairGroup(current));
        }

        return groups;
    }

    private async Task RunRepairGroupAsync(NpgsqlConnection connection, RepairGroup group, RepairOptions repair, TimeSpan statementTimeout, CancellationToken cancellationToken)
    {
        try
        {
            await PostgresErrors.RunAsync(connection, async () =>
            {
                await using var batch = new NpgsqlBatch(connection);
                foreach (var statement in group.Statements(repair, statementTimeout))
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand(statement));
                }

                await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                do
                {
                    if (reader.FieldCount == 0)
                    {
                        continue;
                    }

                    while (await reader.ReadAsync(cancellationToken))
                    {
                        var sequence = group.Sequences[reader.GetInt32(0)];
                        decimal? h = reader.IsDBNull(1) ? null : reader.GetDecimal(1);
                        var last = reader.GetInt64(2);
                        var called = reader.GetBoolean(3);
                        long? setTo = reader.IsDBNull(4) ? null : reader.GetInt64(4);
                        sequence.Repaired(h, last, called, setTo);
                        if (setTo is { } value)
                        {
                            LogRepaired(logger, sequence.Display, SequenceMath.ToInt64(sequence.NextValue), value + sequence.Increment);
                        }
                    }
                }
                while (await reader.NextResultAsync(cancellationToken));
            }, cancellationToken);
        }
        catch (PostgresException ex)
        {
            await RollbackAsync(connection, cancellationToken);
            if (group.Sequences.Count > 1)
            {
                LogGroupRetry(logger, group.Sequences.Count, ex.SqlState);
                foreach (var sequence in group.Sequences)
                {
                    await RunRepairGroupAsync(connection, new RepairGroup([sequence]), repair, statementTimeout, cancellationToken);
                }

                return;
            }

            var sequenceToFail = group.Sequences[0];
            var reason = ex.SqlState == PostgresErrorCodes.LockNotAvailable
                ? $"could not lock {string.Join(", ", sequenceToFail.LockTables.Select(t => Identifiers.Display(t.Schema, t.Table)))} within {repair.LockTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s: another transaction holds a conflicting lock (a long-running transaction, or another repair); nothing was changed, try again later."
                : $"repair failed, nothing was changed: {PostgresErrors.Describe(ex, statementTimeout)}";
            sequenceToFail.Fail(reason);
            LogRepairFailed(logger, sequenceToFail.Display, ex.SqlState);
        }
    }

    private static async Task RollbackAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await PostgresErrors.RunAsync(connection, async () =>
        {
            await using var rollback = new NpgsqlCommand(SequenceSql.Rollback, connection);
            await rollback.ExecuteNonQueryAsync(cancellationToken);
            return 0;
        }, cancellationToken);
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "Inspected database {Database}: {Feeds} sequence-fed columns, {Targets} to report, {Errors} entry errors")]
    private static partial void LogInspected(ILogger logger, string database, int feeds, int targets, int errors);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "The batched read failed ({SqlState}); reading item by item to isolate the failing table")]
    private static partial void LogBatchFallback(ILogger logger, string sqlState);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Repaired sequence {Sequence}: next value {From} -> {To}")]
    private static partial void LogRepaired(ILogger logger, string sequence, long? from, long to);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "A repair transaction of {Count} sequences failed ({SqlState}); repairing them one at a time")]
    private static partial void LogGroupRetry(ILogger logger, int count, string sqlState);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "Repair of sequence {Sequence} failed ({SqlState})")]
    private static partial void LogRepairFailed(ILogger logger, string sequence, string sqlState);
}
