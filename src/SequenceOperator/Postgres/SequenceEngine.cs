using System.Globalization;
using Microsoft.Extensions.Logging;
using Npgsql;
using SequenceOperator.Logging;

namespace SequenceOperator.Postgres;

/// <summary>
/// Finds every sequence that feeds a column, tells how far each stands behind the data, and repairs the ones behind
/// without ever moving a sequence backwards. Knows nothing of Kubernetes: the CLI and the operator both call it.
/// <para>Discovery reads the catalog only, in one round trip for most databases (one more where there are domain
/// columns or partitions, and one to name the parts of defaults that are not judged), and takes no lock on any user
/// table. Measuring then runs in chunks, one transaction and one round trip each, that lock at most
/// <see cref="LocksPerTransaction"/> relations, under a short lock_timeout: a table another session holds locked
/// becomes an error entry, and the run takes a bounded share of the server's lock table however many tables there
/// are. A repair then adds one round trip per chunk of the sequences the check found behind, bounded the same way
/// (<see cref="RepairGroup"/>): in-sync tables are never locked.</para>
/// </summary>
internal sealed partial class SequenceEngine(ILogger<SequenceEngine> logger)
{
    // Planning a UNION ALL grows faster than its arm count: many small statements in one batch (still one round trip) plan far faster.
    private const int ArmsPerStatement = 16;

    /// <summary>
    /// Relations (tables, their partitions and indexes, sequences) one transaction locks at most: well below
    /// PostgreSQL's default shared lock table (max_locks_per_transaction 64 × max_connections 100 = 6,400 slots,
    /// shared by every session), so a run never starves another session's DDL of locks.
    /// </summary>
    private const int LocksPerTransaction = 400;

    // One copy of each catalog name across this engine's runs (the operator's engine serves every policy).
    private readonly NameTable _names = new();

    public Task<SequenceReport> CheckAsync(NpgsqlDataSource dataSource, CheckOptions options,
        CancellationToken cancellationToken)
    {
        CheckOptions.Validate(options);
        return RunAsync(dataSource, options, null, cancellationToken);
    }

    public Task<SequenceReport> RepairAsync(NpgsqlDataSource dataSource, CheckOptions options, RepairOptions repair,
        CancellationToken cancellationToken)
    {
        CheckOptions.Validate(options);
        ArgumentOutOfRangeException.ThrowIfNegative(repair.Headroom);
        return RunAsync(dataSource, options, repair, cancellationToken);
    }

    /// <summary>
    /// A check, and with <paramref name="repair"/> a repair. A failure of the whole run (a lost connection, a
    /// statement error that escapes the per-entry handling) becomes a <see cref="SequenceEngineException"/> with a
    /// readable message that carries what was measured and repaired until then.
    /// </summary>
    private async Task<SequenceReport> RunAsync(NpgsqlDataSource dataSource, CheckOptions options, RepairOptions? repair,
        CancellationToken cancellationToken)
    {
        var settings = new RunSettings(options.StatementTimeout, repair?.LockTimeout ?? options.LockTimeout);

        // Never more connections than the pool gives: a further open would wait for the first connection, held until
        // the run ends.
        var pool = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        var connections = pool.Pooling ? Math.Min(options.Connections, pool.MaxPoolSize) : options.Connections;
        Inspection? inspection = null;
        try
        {
            var connection = await PostgresErrors.OpenAsync(dataSource, cancellationToken).ConfigureAwait(false);
            await using var connectionScope = connection.ConfigureAwait(false);
            inspection = await DiscoverAsync(connection, options, settings, cancellationToken).ConfigureAwait(false);
            var chunks = Chunks(inspection.ToMeasure(), s => s.LockWeight, LocksPerTransaction, int.MaxValue).ToList();
            await OnConnectionsAsync(dataSource, connection, chunks, connections,
                (on, chunk, token) => MeasureChunkAsync(on, inspection, chunk, settings, token), cancellationToken).ConfigureAwait(false);
            if (repair is null)
            {
                return Report(inspection);
            }

            var groups = PlanRepairs(inspection, repair);
            if (repair.DryRun)
            {
                return Report(inspection) with { RepairSql = string.Join("\n\n", groups.Select(g => g.Script(repair.Headroom, settings))) };
            }

            // Groups whose tables overlap (a table fed by two sequences split across groups) may meet on two
            // connections: the later waits for the earlier to commit (at most lock_timeout, else it repairs its
            // sequences one at a time).
            await OnConnectionsAsync(dataSource, connection, groups, connections,
                (on, group, token) => RunRepairGroupAsync(on, group, repair.Headroom, settings, token),
                cancellationToken).ConfigureAwait(false);

            return Report(inspection);
        }
        catch (SequenceEngineException ex) when (inspection is not null)
        {
            throw new SequenceEngineException(ex.Failure, ex.Message, ex.InnerException) { PartialReport = Partial(inspection) };
        }
        catch (PostgresException ex)
        {
            throw new SequenceEngineException(
                ex.SqlState == PostgresErrorCodes.InsufficientPrivilege ? EngineFailure.PermissionDenied : EngineFailure.Failed,
                PostgresErrors.Describe(ex, options.StatementTimeout), ex)
            {
                PartialReport = inspection is null ? null : Partial(inspection),
            };
        }
    }

    private static SequenceReport Report(Inspection inspection) =>
        new() { Sequences = inspection.Entries(), Errors = inspection.EntryErrors, StatsResetTime = inspection.StatsResetTime };

    private static SequenceReport Partial(Inspection inspection) =>
        new() { Sequences = inspection.SettledEntries(), Errors = inspection.EntryErrors, StatsResetTime = inspection.StatsResetTime };

    /// <summary>
    /// Reads the catalog (one round trip; a second only for domain columns and partitions, <see cref="CompleteAsync"/>, and
    /// one more only to name the parts of defaults that are not judged) and works out which columns to report and which
    /// sequences feed them.
    /// </summary>
    private async Task<Inspection> DiscoverAsync(NpgsqlConnection connection, CheckOptions options, RunSettings settings,
        CancellationToken cancellationToken)
    {
        var drafts = new List<ColumnDraft>();
        var sequenceRows = new List<SequenceRow>();
        var relations = new List<RelationRow>();
        var inheritance = new Inheritance();
        var role = string.Empty;
        var database = string.Empty;
        DateTimeOffset? statsReset = null;
        List<NpgsqlBatchCommand> commands =
        [
            new(SequenceSql.CurrentUser), new(SequenceSql.Inheritance), new(SequenceSql.DiscoverColumns),
            new(SequenceSql.DiscoverSequences),
        ];
        if (options.Tables.Count > 0)
        {
            commands.Add(new NpgsqlBatchCommand(SequenceSql.FindRelations)
            {
                Parameters = { ArrayText.Parameter(TableResolver.CandidateNames(options.Tables)) },
            });
        }

        // Result sets come in order, so every inheritance link is known before the first column row is read.
        await RunBatchAsync(connection, ReadOnly(settings, commands), (resultSet, reader) =>
        {
            switch (resultSet)
            {
                case 0:
                    role = reader.GetString(0);
                    database = reader.GetString(1);
                    statsReset = reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2);
                    break;
                case 1:
                    inheritance.Add(reader.GetInt64(0), reader.GetInt64(1));
                    break;
                case 2:
                    drafts.Add(ColumnRow.Read(reader, inheritance, _names));
                    break;
                case 3:
                    sequenceRows.Add(SequenceRow.Read(reader, _names));
                    break;
                default:
                    relations.Add(RelationRow.Read(reader));
                    break;
            }
        }, cancellationToken).ConfigureAwait(false);

        var columns = await CompleteAsync(connection, drafts, settings, cancellationToken).ConfigureAwait(false);
        // The catalog query leaves the order to us (sorting there would carry every default through the sort).
        columns.Sort(ColumnRow.CatalogOrder);
        var plan = FeedDiscovery.Plan(columns, sequenceRows);
        var names = new Dictionary<(char Kind, long Oid), string>();
        var (operators, functions, types) = plan.NamesNeeded();
        if (operators.Length + functions.Length + types.Length > 0)
        {
            var query = new NpgsqlBatchCommand(SequenceSql.ExpressionNames)
            {
                Parameters = { ArrayText.Parameter(operators), ArrayText.Parameter(functions), ArrayText.Parameter(types) },
            };
            await RunBatchAsync(connection, ReadOnly(settings, [query]),
                (_, reader) => names[(reader.GetString(0)[0], reader.GetInt64(1))] = reader.GetString(2),
                cancellationToken).ConfigureAwait(false);
        }

        var feeds = plan.Feeds(names);
        var inspection = Inspection.Select(feeds, relations, options.Tables, role);
        inspection.StatsResetTime = statsReset;
        LogInspected(logger, database, feeds.Count, inspection.Targets.Count, inspection.EntryErrors.Count);
        return inspection;
    }

    /// <summary>
    /// The discovered columns, each with its domain's base type and its partitions' share (<see cref="ColumnDetails"/>):
    /// read in a second round trip only when a column needs them; a column whose domain or table has gone since is
    /// left out.
    /// </summary>
    private async Task<List<ColumnRow>> CompleteAsync(NpgsqlConnection connection, List<ColumnDraft> drafts, RunSettings settings,
        CancellationToken cancellationToken)
    {
        var details = ColumnDetails.For(drafts);
        if (details.Needed)
        {
            await RunBatchAsync(connection, ReadOnly(settings, details.Statements()),
                (resultSet, reader) => details.Read(resultSet, reader, _names), cancellationToken).ConfigureAwait(false);
        }

        var columns = new List<ColumnRow>(drafts.Count);
        foreach (var draft in drafts)
        {
            if (details.Complete(draft) is { } row)
            {
                columns.Add(row);
            }
        }

        if (details.Needed)
        {
            LogColumnDetails(logger, details.Domains, details.Parents, drafts.Count - columns.Count);
        }

        return columns;
    }

    /// <summary>
    /// Works through <paramref name="items"/> (the check's chunks, the repair's groups: each one transaction under the
    /// lock bound) on up to <paramref name="connections"/> connections (within the pool's size). With more than one
    /// item and more than one connection allowed, further connections open while the first works, and each takes the
    /// next item not yet taken: the server plans and reads on as many backends (measuring is the server's work, a few
    /// hundred microseconds of planning and reading per table), and each backend's locks stay within its own item's
    /// bound. A connection that cannot open (the server's connection limit, say) only leaves fewer to share the work; a
    /// failure of one stops the others and is the run's failure.
    /// </summary>
    private async Task OnConnectionsAsync<T>(NpgsqlDataSource dataSource, NpgsqlConnection connection, IReadOnlyList<T> items,
        int connections, Func<NpgsqlConnection, T, CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        var taken = -1;
        async Task WorkThroughAsync(NpgsqlConnection on, CancellationToken token)
        {
            int next;
            while ((next = Interlocked.Increment(ref taken)) < items.Count)
            {
                await work(on, items[next], token).ConfigureAwait(false);
            }
        }

        var extra = Math.Min(connections, items.Count) - 1;
        if (extra <= 0)
        {
            await WorkThroughAsync(connection, cancellationToken).ConfigureAwait(false);
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        async Task WorkerAsync(NpgsqlConnection? on)
        {
            try
            {
                if (on is not null)
                {
                    await WorkThroughAsync(on, stop.Token).ConfigureAwait(false);
                    return;
                }

                NpgsqlConnection opened;
                try
                {
                    opened = await PostgresErrors.OpenAsync(dataSource, stop.Token).ConfigureAwait(false);
                }
                catch (SequenceEngineException ex) when (!stop.IsCancellationRequested)
                {
                    LogExtraConnectionFailed(logger, ex.Message);
                    return;
                }

                await using var openedScope = opened.ConfigureAwait(false);
                await WorkThroughAsync(opened, stop.Token).ConfigureAwait(false);
            }
            catch
            {
                await stop.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        var workers = Task.WhenAll(Enumerable.Range(0, extra + 1).Select(i => WorkerAsync(i == 0 ? connection : null)));
        try
        {
            await workers.ConfigureAwait(false);
        }
        catch when (workers.Exception?.InnerExceptions.FirstOrDefault(e => e is not OperationCanceledException) is { } first)
        {
            // The failure that stopped the others, not the cancellations it caused.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        }
    }

    /// <summary>
    /// One chunk in one batch. When it fails on a lock, the sequences whose tables another session holds locked are
    /// reported as such (found in pg_locks, so nothing waits twice) and the rest is read again; when it fails
    /// otherwise, item by item, so one broken table does not hide the others.
    /// </summary>
    private async Task MeasureChunkAsync(NpgsqlConnection connection, Inspection inspection, IReadOnlyList<SequenceInspection> chunk,
        RunSettings settings, CancellationToken cancellationToken)
    {
        var sqlState = await TryMeasureBatchAsync(connection, inspection, chunk, settings, cancellationToken).ConfigureAwait(false);
        if (sqlState is null)
        {
            return;
        }

        LogBatchFallback(logger, sqlState);
        var rest = chunk;
        if (sqlState == PostgresErrorCodes.LockNotAvailable)
        {
            var locked = await LockedRelationsAsync(connection, settings, cancellationToken).ConfigureAwait(false);
            foreach (var sequence in chunk)
            {
                FailLocked(inspection, sequence, locked);
            }

            rest = chunk.Where(s => s.Error is null).ToList();
            if (rest.Count < chunk.Count)
            {
                LogLockedSkipped(logger, chunk.Count - rest.Count);
            }

            if (rest.Count == 0
                || await TryMeasureBatchAsync(connection, inspection, rest, settings, cancellationToken).ConfigureAwait(false) is null)
            {
                return;
            }
        }

        await MeasureOneByOneAsync(connection, inspection, rest, settings, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads a chunk in one transaction: every MAX (MIN), in UNION ALL statements of a few arms, then the state of
    /// every sequence in one statement (<c>pg_sequence_last_value</c>, no statement planned per sequence). That
    /// function reads NULL for a sequence whose <c>is_called</c> is false, whose next value is its
    /// <c>last_value</c>: those few are read from the sequence relation in a second round trip. Returns the SQLSTATE
    /// of the statement error that stopped it, or null.
    /// </summary>
    private static async Task<string?> TryMeasureBatchAsync(NpgsqlConnection connection, Inspection inspection,
        IReadOnlyList<SequenceInspection> chunk, RunSettings settings, CancellationToken cancellationToken)
    {
        var columns = Inspection.ColumnsOf(chunk);
        var commands = columns
            .Select((c, i) => SequenceSql.ExtremeArm(i, c.Schema, c.Table, c.Column, c.Descending))
            .Chunk(ArmsPerStatement)
            .Select(arms => new NpgsqlBatchCommand(SequenceSql.UnionAll(arms)))
            .ToList();
        var columnSets = commands.Count;
        commands.Add(new NpgsqlBatchCommand(SequenceSql.SequenceLastValues)
        {
            Parameters = { ArrayText.Parameter(chunk.Select(s => s.Oid)) },
        });
        var notCalled = new List<SequenceInspection>();
        try
        {
            // Every column arm comes before the sequences, so a sequence is judged once all its columns are read.
            await RunBatchAsync(connection, ReadOnly(settings, commands), (resultSet, reader) =>
            {
                var i = reader.GetInt32(0);
                if (resultSet < columnSets)
                {
                    inspection.SetExtreme(columns[i].ColumnKey, reader.IsDBNull(1) ? null : reader.GetDecimal(1));
                }
                else if (reader.IsDBNull(1))
                {
                    notCalled.Add(chunk[i]);
                }
                else
                {
                    inspection.SetSequenceState(chunk[i], reader.GetInt64(1), true);
                }
            }, cancellationToken).ConfigureAwait(false);
            if (notCalled.Count == 0)
            {
                return null;
            }

            var reads = notCalled.Select((s, i) => SequenceSql.SequenceArm(i, s.Schema, s.Name)).Chunk(ArmsPerStatement)
                .Select(arms => new NpgsqlBatchCommand(SequenceSql.UnionAll(arms)));
            await RunBatchAsync(connection, ReadOnly(settings, reads),
                (_, reader) => inspection.SetSequenceState(notCalled[reader.GetInt32(0)], reader.GetInt64(1), reader.GetBoolean(2)),
                cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (PostgresException ex)
        {
            return ex.SqlState;
        }
    }

    /// <summary>
    /// Fails a sequence when pg_locks shows another session holding (or queued for) ACCESS EXCLUSIVE on its sequence
    /// or one of its tables.
    /// </summary>
    private static void FailLocked(Inspection inspection, SequenceInspection sequence, IReadOnlyDictionary<long, bool> locked)
    {
        foreach (var feed in Inspection.ColumnsOf([sequence]))
        {
            if (locked.TryGetValue(feed.RelationOid, out var held))
            {
                var message = LockedMessage(Identifiers.Display(feed.Schema, feed.Table), held);
                inspection.FailColumn(feed.ColumnKey, message);
                // Also when the column is only reported (a partition named on its own), so nothing reads it again.
                inspection.FailSequence(sequence, message);
            }
        }

        if (locked.TryGetValue(sequence.Oid, out var sequenceHeld))
        {
            inspection.FailSequence(sequence, LockedMessage("sequence " + sequence.Display, sequenceHeld));
        }
    }

    private static string LockedMessage(string what, bool? held) => held switch
    {
        true => $"{what} is locked by another session (ACCESS EXCLUSIVE); it was not checked",
        false => $"{what} is being locked by another session (ACCESS EXCLUSIVE, queued behind a longer transaction); it was not checked",
        null => $"{what} is locked by another session (ACCESS EXCLUSIVE?); it was not checked",
    };

    private static async Task<IReadOnlyDictionary<long, bool>> LockedRelationsAsync(NpgsqlConnection connection, RunSettings settings,
        CancellationToken cancellationToken)
    {
        var locked = new Dictionary<long, bool>();
        await RunBatchAsync(connection, ReadOnly(settings, [new NpgsqlBatchCommand(SequenceSql.LockedRelations)]),
            (_, reader) => locked[reader.GetInt64(0)] = reader.GetBoolean(1), cancellationToken).ConfigureAwait(false);
        return locked;
    }

    private static async Task MeasureOneByOneAsync(NpgsqlConnection connection, Inspection inspection,
        IReadOnlyList<SequenceInspection> sequences, RunSettings settings, CancellationToken cancellationToken)
    {
        foreach (var column in Inspection.ColumnsOf(sequences))
        {
            var sql = SequenceSql.ExtremeArm(0, column.Schema, column.Table, column.Column, column.Descending);
            var (value, error) = await ReadOneAsync(connection, sql, settings,
                r => r.IsDBNull(1) ? (decimal?)null : r.GetDecimal(1), cancellationToken).ConfigureAwait(false);
            var table = Identifiers.Display(column.Schema, column.Table);
            if (error is null)
            {
                inspection.SetExtreme(column.ColumnKey, value);
            }
            else
            {
                inspection.FailColumn(column.ColumnKey, error.SqlState == PostgresErrorCodes.LockNotAvailable
                    ? LockedMessage(table, null)
                    : $"reading {(column.Descending ? "MIN" : "MAX")}({Identifiers.Display(column.Column)}) of {table} failed: "
                      + PostgresErrors.Describe(error, settings.StatementTimeout));
            }
        }

        foreach (var sequence in sequences.Where(s => s.Error is null))
        {
            var (state, error) = await ReadOneAsync(connection, SequenceSql.SequenceArm(0, sequence.Schema, sequence.Name), settings,
                r => (r.GetInt64(1), r.GetBoolean(2)), cancellationToken).ConfigureAwait(false);
            if (error is null)
            {
                inspection.SetSequenceState(sequence, state.Item1, state.Item2);
            }
            else
            {
                inspection.FailSequence(sequence, error.SqlState == PostgresErrorCodes.LockNotAvailable
                    ? LockedMessage("sequence " + sequence.Display, null)
                    : $"reading sequence {sequence.Display} failed: {PostgresErrors.Describe(error, settings.StatementTimeout)}");
            }
        }
    }

    private static async Task<(T Value, PostgresException? Error)> ReadOneAsync<T>(NpgsqlConnection connection, string sql,
        RunSettings settings, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken)
    {
        T value = default!;
        try
        {
            await RunBatchAsync(connection, ReadOnly(settings, [new NpgsqlBatchCommand(sql)]), (_, reader) => value = read(reader),
                cancellationToken).ConfigureAwait(false);
            return (value, null);
        }
        catch (PostgresException ex)
        {
            return (value, ex);
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
                sequence.FailRepair($"repair needs UPDATE on sequence {sequence.Display} to call setval: "
                    + $"GRANT UPDATE ON SEQUENCE {sequence.QuotedName} TO {Identifiers.Quote(inspection.Role)};");
                continue;
            }

            if (sequence.LockTables.FirstOrDefault(f => !f.Row.CanLockTable) is { } unlockable)
            {
                var table = Identifiers.Quote(unlockable.Schema, unlockable.Table);
                var display = Identifiers.Display(unlockable.Schema, unlockable.Table);
                sequence.FailRepair($"repair needs UPDATE, DELETE or TRUNCATE on table {display} "
                    + $"to lock out writers while it repairs: GRANT UPDATE ON {table} TO {Identifiers.Quote(inspection.Role)};");
                continue;
            }

            var target = sequence.Ascending ? sequence.Extreme!.Value + repair.Headroom : sequence.Extreme!.Value - repair.Headroom;
            if (SequenceMath.Beyond(target + sequence.Increment, sequence.Limit, sequence.Increment))
            {
                var withHeadroom = repair.Headroom > 0 ? $" with headroom {repair.Headroom}" : string.Empty;
                sequence.FailRepair($"sequence {sequence.Display} is exhausted: to pass {(sequence.Ascending ? "MAX" : "MIN")} "
                    + $"{sequence.Extreme}{withHeadroom} its next value would be {target + sequence.Increment}, beyond "
                    + $"{sequence.LimitSource} ({sequence.Limit}); widen the column and the sequence (ALTER ... TYPE bigint) "
                    + "before repairing.");
                continue;
            }

            sequence.PlannedNextValue = SequenceMath.ToInt64(target + sequence.Increment);
            planned.Add(sequence);
        }

        return Chunks(planned, s => s.LockWeight, LocksPerTransaction, Math.Max(1, repair.SequencesPerTransaction))
            .Select(g => g.Count == 1 ? RepairGroup.Single(g[0]) : new RepairGroup(g))
            .ToList();
    }

    /// <summary>
    /// Consecutive groups of at most <paramref name="maxCount"/> items whose weights add up to at most
    /// <paramref name="budget"/> (an item heavier than that alone).
    /// </summary>
    private static IEnumerable<List<T>> Chunks<T>(IEnumerable<T> items, Func<T, int> weight, int budget, int maxCount)
    {
        var current = new List<T>();
        var total = 0;
        foreach (var item in items)
        {
            var w = weight(item);
            if (current.Count > 0 && (current.Count >= maxCount || total + w > budget))
            {
                yield return current;
                current = [];
                total = 0;
            }

            current.Add(item);
            total += w;
        }

        if (current.Count > 0)
        {
            yield return current;
        }
    }

    /// <summary>
    /// Repairs a group in one round trip (<see cref="RepairGroup"/>). When that transaction fails, each of its
    /// sequences is repaired on its own, so one locked or broken table costs only its own sequence; a sequence whose
    /// state the chunk's statement could not read (it was called, or reset, between the check and the repair) is
    /// repaired again on its own, its state read from its relation.
    /// </summary>
    private async Task RunRepairGroupAsync(NpgsqlConnection connection, RepairGroup group, long headroom, RunSettings settings,
        CancellationToken cancellationToken)
    {
        var outcomes = new List<RepairOutcome>();
        try
        {
            await RunBatchAsync(connection, group.Statements(headroom, settings).Select(s => new NpgsqlBatchCommand(s)),
                (_, reader) => outcomes.Add(RepairOutcome.Read(group, reader)), cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            if (group.Sequences.Count > 1)
            {
                LogGroupRetry(logger, group.Sequences.Count, ex.SqlState);
                foreach (var sequence in group.Sequences)
                {
                    await RunRepairGroupAsync(connection, RepairGroup.Single(sequence), headroom, settings, cancellationToken)
                        .ConfigureAwait(false);
                }

                return;
            }

            var sequenceToFail = group.Sequences[0];
            sequenceToFail.FailRepair(RepairFailure(sequenceToFail, ex, settings));
            LogRepairFailed(logger, sequenceToFail.Display, ex.SqlState);
            return;
        }

        // Only now that the transaction committed: a report never claims a repair the database does not hold.
        var unread = new List<SequenceInspection>();
        foreach (var (sequence, h, last, called, setTo) in outcomes)
        {
            if (last is not { } lastValue)
            {
                unread.Add(sequence);
                continue;
            }

            sequence.Repaired(h, lastValue, called, setTo);
            if (setTo is { } value)
            {
                LogRepaired(logger, sequence.Display, SequenceMath.ToInt64(sequence.NextValue), value + sequence.Increment);
            }
        }

        foreach (var sequence in unread)
        {
            LogStateChanged(logger, sequence.Display);
            await RunRepairGroupAsync(connection, RepairGroup.Single(sequence), headroom, settings, cancellationToken)
                .ConfigureAwait(false);
        }
    }

    private static string RepairFailure(SequenceInspection sequence, PostgresException ex, RunSettings settings)
    {
        if (ex.SqlState != PostgresErrorCodes.LockNotAvailable)
        {
            return $"repair failed, nothing was changed: {PostgresErrors.Describe(ex, settings.StatementTimeout)}";
        }

        var tables = string.Join(", ", sequence.LockTables.Select(t => Identifiers.Display(t.Schema, t.Table)));
        var seconds = settings.LockTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        return $"could not lock {tables} within {seconds}s: another transaction holds a conflicting lock (a long-running "
            + "transaction, or another repair); nothing was changed, try again later.";
    }

    /// <summary>One row of <see cref="SequenceSql.RepairSequences"/>: a null <paramref name="LastValue"/> is a state not read.</summary>
    private readonly record struct RepairOutcome(SequenceInspection Sequence, decimal? H, long? LastValue, bool Called, long? SetTo)
    {
        public static RepairOutcome Read(RepairGroup group, NpgsqlDataReader reader) => new(
            group.Sequences[reader.GetInt32(0)],
            reader.IsDBNull(1) ? null : reader.GetDecimal(1),
            reader.IsDBNull(2) ? null : reader.GetInt64(2),
            reader.GetBoolean(3),
            reader.IsDBNull(4) ? null : reader.GetInt64(4));
    }

    /// <summary>Wraps statements in a READ ONLY transaction bounded by the run's statement and lock timeouts.</summary>
    private static IEnumerable<NpgsqlBatchCommand> ReadOnly(RunSettings settings, IEnumerable<NpgsqlBatchCommand> commands)
    {
        yield return new NpgsqlBatchCommand(SequenceSql.BeginReadOnly);
        yield return new NpgsqlBatchCommand(SequenceSql.SetLocalStatementTimeout(settings.StatementTimeout));
        yield return new NpgsqlBatchCommand(SequenceSql.SetLocalLockTimeout(settings.LockTimeout));
        foreach (var command in commands)
        {
            yield return command;
        }

        yield return new NpgsqlBatchCommand(SequenceSql.Commit);
    }

    /// <summary>
    /// Runs statements as one batch (one round trip) and hands every row of every result set to <paramref name="read"/>
    /// with the result set's number (statements without rows do not count). A statement error rolls the transaction
    /// back and is rethrown; a lost connection is a <see cref="SequenceEngineException"/>. Also how the tests and the
    /// plan benchmark run the engine's catalog statements.
    /// </summary>
    internal static async Task RunBatchAsync(NpgsqlConnection connection, IEnumerable<NpgsqlBatchCommand> commands,
        Action<int, NpgsqlDataReader> read, CancellationToken cancellationToken)
    {
        try
        {
            await PostgresErrors.RunAsync(connection, async () =>
            {
                var batch = new NpgsqlBatch(connection);
                await using var batchScope = batch.ConfigureAwait(false);
                foreach (var command in commands)
                {
                    batch.BatchCommands.Add(command);
                }

                var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                var resultSet = 0;
                do
                {
                    if (reader.FieldCount == 0)
                    {
                        continue;
                    }

                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        read(resultSet, reader);
                    }

                    resultSet++;
                }
                while (await reader.NextResultAsync(cancellationToken).ConfigureAwait(false));
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException)
        {
            await RollbackAsync(connection, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task RollbackAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await PostgresErrors.RunAsync(connection, async () =>
        {
            var rollback = new NpgsqlCommand(SequenceSql.Rollback, connection);
            await using var rollbackScope = rollback.ConfigureAwait(false);
            await rollback.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = LogEvents.Postgres.Inspected, Level = LogLevel.Debug,
        Message = "Inspected database {Database}: {Feeds} sequence-fed columns, {Targets} to report, {Errors} entry errors")]
    private static partial void LogInspected(ILogger logger, string database, int feeds, int targets, int errors);

    [LoggerMessage(EventId = LogEvents.Postgres.ColumnDetails, Level = LogLevel.Debug,
        Message = "Read the base types of {Domains} domains and the partitions of {Parents} columns' tables; "
                  + "{Gone} columns left out, their domain or table gone since discovery")]
    private static partial void LogColumnDetails(ILogger logger, int domains, int parents, int gone);

    [LoggerMessage(EventId = LogEvents.Postgres.BatchFallback, Level = LogLevel.Warning,
        Message = "A batched read failed ({SqlState}); reading its items again to isolate the failing table")]
    private static partial void LogBatchFallback(ILogger logger, string sqlState);

    [LoggerMessage(EventId = LogEvents.Postgres.Repaired, Level = LogLevel.Information,
        Message = "Repaired sequence {Sequence}: next value {From} -> {To}")]
    private static partial void LogRepaired(ILogger logger, string sequence, long? from, long to);

    [LoggerMessage(EventId = LogEvents.Postgres.RepairGroupRetry, Level = LogLevel.Warning,
        Message = "A repair transaction of {Count} sequences failed ({SqlState}); repairing them one at a time")]
    private static partial void LogGroupRetry(ILogger logger, int count, string sqlState);

    [LoggerMessage(EventId = LogEvents.Postgres.RepairFailed, Level = LogLevel.Warning,
        Message = "Repair of sequence {Sequence} failed ({SqlState})")]
    private static partial void LogRepairFailed(ILogger logger, string sequence, string sqlState);

    [LoggerMessage(EventId = LogEvents.Postgres.RepairStateChanged, Level = LogLevel.Information,
        Message = "Sequence {Sequence} was called or reset between the check and the repair; repairing it on its own")]
    private static partial void LogStateChanged(ILogger logger, string sequence);

    [LoggerMessage(EventId = LogEvents.Postgres.ExtraConnectionFailed, Level = LogLevel.Information,
        Message = "A further connection to measure in parallel could not open ({Reason}); measuring on fewer connections")]
    private static partial void LogExtraConnectionFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = LogEvents.Postgres.LockedSkipped, Level = LogLevel.Warning,
        Message = "{Count} sequences were not checked: another session holds their tables locked")]
    private static partial void LogLockedSkipped(ILogger logger, int count);
}
