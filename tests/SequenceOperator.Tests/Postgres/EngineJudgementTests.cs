using Npgsql;
using SequenceOperator.Postgres;
using SequenceOperator.Tests.Infrastructure;

namespace SequenceOperator.Tests.Postgres;

/// <summary>
/// Which columns a sequence feeds are judged (they hold the sequence's values) and which are reported as
/// <see cref="SequenceStatus.Skipped"/>, with why; CYCLE sequences; what entries show.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class EngineJudgementTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Check_DefaultsThatAreNotTheSequencesValues_AreSkippedWithTheReason()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE SEQUENCE inv_seq; CREATE TABLE invoices (code text PRIMARY KEY DEFAULT 'INV-' || nextval('inv_seq'));
            INSERT INTO invoices (code) VALUES ('INV-77');
            CREATE SEQUENCE tens_seq; CREATE TABLE tens (id bigint PRIMARY KEY DEFAULT nextval('tens_seq') * 10);
            INSERT INTO tens DEFAULT VALUES; INSERT INTO tens DEFAULT VALUES; -- 10, 20: the sequence is at 2, as it should be
            CREATE SEQUENCE txt_seq; CREATE TABLE txt (id text PRIMARY KEY DEFAULT nextval('txt_seq')::text);
            INSERT INTO txt (id) VALUES ('99'), ('100');
            CREATE SEQUENCE num_seq; CREATE TABLE num (id numeric PRIMARY KEY DEFAULT nextval('num_seq'));
            INSERT INTO num (id) VALUES (5);
            CREATE TABLE plain (id serial PRIMARY KEY); INSERT INTO plain (id) VALUES (3);
            """);
        var report = await db.CheckAsync();

        Assert.Equal(SequenceStatus.Behind, report.Entry("plain").Status);
        Assert.True(report.Succeeded); // 'INV-' || nextval is no longer a permanent error
        Assert.Empty(report.Errors);
        var invoices = report.Entry("invoices");
        Assert.Equal(SequenceStatus.Skipped, invoices.Status);
        Assert.Equal("not checked: the default is 'INV-' || nextval(...), so its values are not the sequence's values", invoices.Message);
        Assert.Null(invoices.MaxValue);
        Assert.Equal(
            "not checked: the default is nextval(...) * 10, so its values are not the sequence's values",
            report.Entry("tens").Message);
        var txt = report.Entry("txt");
        Assert.Equal(SequenceStatus.Skipped, txt.Status); // never judged by a text MAX ('99' > '100')
        Assert.Contains("column public.txt.id is text, not an integer type", txt.Message);
        Assert.Contains("'99' sorts after '100'", txt.Message);
        Assert.Contains("column public.num.id is numeric, not an integer type", report.Entry("num").Message);

        // Skipped is never repaired: the *10 sequence is not pushed up tenfold, run after run.
        var repaired = await db.RepairAsync();
        Assert.Equal(SequenceStatus.Repaired, repaired.Entry("plain").Status);
        Assert.All(repaired.Sequences.Where(s => s.Table != "plain"), s => Assert.Equal(SequenceStatus.Skipped, s.Status));
        Assert.Equal((2L, true), await db.SequenceStateAsync("tens_seq"));
        Assert.Equal((1L, false), await db.SequenceStateAsync("txt_seq"));
        Assert.Equal((1L, false), await db.SequenceStateAsync("num_seq"));
        Assert.Equal((1L, false), await db.SequenceStateAsync("inv_seq"));
    }

    [Fact]
    public async Task Check_SequenceFeedingAJudgedAndASkippedColumn_IsJudgedOnTheJudgedOne()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE SEQUENCE order_seq;
            CREATE TABLE orders (id bigint PRIMARY KEY DEFAULT nextval('order_seq'));
            CREATE TABLE order_refs (ref text PRIMARY KEY DEFAULT 'ORD-' || nextval('order_seq'));
            INSERT INTO orders (id) SELECT generate_series(1, 10);
            INSERT INTO order_refs (ref) VALUES ('ORD-500');
            """);
        var report = await db.CheckAsync();

        var orders = report.Entry("orders");
        Assert.Equal((SequenceStatus.Behind, 10L, 10L), (orders.Status, orders.BehindBy, orders.JudgedMaxValue!.Value));
        Assert.DoesNotContain("order_refs", orders.Message);
        var refs = report.Entry("order_refs");
        Assert.Equal(SequenceStatus.Skipped, refs.Status);
        Assert.EndsWith("; the sequence is judged on public.orders.id", refs.Message);

        var onlyRefs = await db.CheckAsync("order_refs");
        Assert.Equal(SequenceStatus.Skipped, Assert.Single(onlyRefs.Sequences).Status);
        Assert.True(onlyRefs.Succeeded && onlyRefs.Behind.Count == 0);

        var repaired = await db.RepairAsync();
        Assert.Equal(11, repaired.Entry("orders").RepairedNextValue);
        Assert.Equal(SequenceStatus.Skipped, repaired.Entry("order_refs").Status);
    }

    [Fact]
    public async Task Check_DomainOverInt4_IsJudgedAndEndsWhereInt4Ends()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE DOMAIN positive_id AS int4 CHECK (VALUE > 0);
            CREATE DOMAIN order_id AS positive_id;
            CREATE SEQUENCE wide AS bigint;
            CREATE TABLE d (id order_id PRIMARY KEY DEFAULT nextval('wide'));
            INSERT INTO d (id) VALUES (2147483600);
            """);
        var check = Assert.Single((await db.CheckAsync()).Sequences);
        Assert.Equal((SequenceStatus.Behind, 2147483600L), (check.Status, check.BehindBy));

        var repaired = Assert.Single((await db.RepairAsync(new RepairOptions { Headroom = 100 })).Sequences);
        Assert.Equal(SequenceStatus.Error, repaired.Status);
        Assert.Contains("exhausted", repaired.Message);
        Assert.Contains("order_id (a domain over integer) column type's maximum (2147483647)", repaired.Message);
        Assert.Equal((1L, false), await db.SequenceStateAsync("wide"));
    }

    [Fact]
    public async Task Check_NarrowingCastInTheDefault_BoundsTheSequenceLikeTheColumnType()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE SEQUENCE wide AS bigint;
            CREATE TABLE n (id bigint PRIMARY KEY DEFAULT nextval('wide')::int4);
            INSERT INTO n (id) VALUES (2147483647);
            """);
        var repaired = Assert.Single((await db.RepairAsync()).Sequences);
        Assert.Equal(SequenceStatus.Error, repaired.Status);
        Assert.Contains("integer (its default casts to it) column type's maximum (2147483647)", repaired.Message);
    }

    [Fact]
    public async Task Check_LegacyTextDefaults_WithNoDependencyRecorded_AreFound()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE SEQUENCE legacy_seq;
            CREATE TABLE legacy (id int PRIMARY KEY DEFAULT nextval('legacy_seq'::text));
            INSERT INTO legacy (id) VALUES (7);
            CREATE SCHEMA "Odd S"; CREATE SEQUENCE "Odd S"."My Seq";
            CREATE TABLE legacy_odd (id bigint PRIMARY KEY DEFAULT nextval('"Odd S"."My Seq"'::text));
            INSERT INTO legacy_odd (id) VALUES (12);
            CREATE SCHEMA other; CREATE SEQUENCE other.legacy_seq; -- not on the search_path: the bare name finds public's
            """);
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM pg_depend d JOIN pg_attrdef ad ON ad.oid = d.objid
            WHERE d.classid = 'pg_attrdef'::regclass AND ad.adrelid IN ('legacy'::regclass, 'legacy_odd'::regclass) AND d.refobjsubid = 0
            """)); // the premise: a text argument leaves no trace in pg_depend
        var report = await db.CheckAsync();

        var legacy = report.Entry("legacy");
        Assert.Equal(
            ("public", "legacy_seq", SequenceStatus.Behind, 7L),
            (legacy.SequenceSchema, legacy.SequenceName, legacy.Status, legacy.BehindBy));
        var odd = report.Entry("legacy_odd");
        Assert.Equal(("Odd S", "My Seq", 12L), (odd.SequenceSchema, odd.SequenceName, odd.BehindBy));

        var repaired = await db.RepairAsync();
        Assert.Equal(8, repaired.Entry("legacy").RepairedNextValue);
        Assert.Equal(8, await db.ScalarAsync<int>("INSERT INTO legacy DEFAULT VALUES RETURNING id"));
        Assert.Equal(13, await db.ScalarAsync<long>("INSERT INTO legacy_odd DEFAULT VALUES RETURNING id"));
    }

    [Fact]
    public async Task Check_CyclingSequenceAtItsLimit_IsBehindAndItsRepairIsAnExhaustionError()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE SEQUENCE cyc MAXVALUE 100 CYCLE;
            CREATE TABLE c (id int PRIMARY KEY DEFAULT nextval('cyc'));
            INSERT INTO c SELECT nextval('cyc') FROM generate_series(1, 100); -- 1..100: the sequence stands at its MAXVALUE
            CREATE SEQUENCE dcyc INCREMENT BY -1 MINVALUE -50 MAXVALUE -1 CYCLE;
            CREATE TABLE dc (id int PRIMARY KEY DEFAULT nextval('dcyc'));
            INSERT INTO dc SELECT nextval('dcyc') FROM generate_series(1, 50);
            """);
        var report = await db.CheckAsync();

        var c = report.Entry("c");
        Assert.Equal((SequenceStatus.Behind, 1L, 100L), (c.Status, c.NextValue!.Value, c.BehindBy)); // next is MINVALUE 1, not 101
        Assert.Contains("the sequence cycles: after its MAXVALUE its next value is 1", c.Message);
        var dc = report.Entry("dc");
        Assert.Equal((SequenceStatus.Behind, -1L, 50L), (dc.Status, dc.NextValue!.Value, dc.BehindBy));

        var insert = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync("INSERT INTO c DEFAULT VALUES"));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, insert.SqlState); // what Behind means: the next insert collides

        var repaired = await db.RepairAsync();
        Assert.All(repaired.Sequences, s => Assert.Equal(SequenceStatus.Error, s.Status));
        Assert.Contains("exhausted", repaired.Entry("c").Message);
        Assert.Contains("beyond the sequence's MAXVALUE (100)", repaired.Entry("c").Message);
        Assert.Contains("beyond the sequence's MINVALUE (-50)", repaired.Entry("dc").Message);
    }

    [Fact]
    public async Task Repair_CycledSequenceBehindDataBelowItsLimit_MovesItPastTheData()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE SEQUENCE cyc MAXVALUE 100 CYCLE;
            CREATE TABLE c (id int PRIMARY KEY DEFAULT nextval('cyc'));
            SELECT setval('cyc', 100); -- at its limit: it hands out 1 next
            INSERT INTO c (id) SELECT generate_series(1, 10);
            """);
        var check = Assert.Single((await db.CheckAsync()).Sequences);
        Assert.Equal((1L, 10L), (check.NextValue!.Value, check.BehindBy));

        var repaired = Assert.Single((await db.RepairAsync()).Sequences);
        Assert.Equal(SequenceStatus.Repaired, repaired.Status); // re-read under lock with the same wrap-around rule
        Assert.Equal(11, repaired.RepairedNextValue);
        Assert.Equal(11, await db.ScalarAsync<int>("INSERT INTO c DEFAULT VALUES RETURNING id"));
    }

    [Fact]
    public async Task Check_SharedSequence_ShowsTheValueItIsJudgedAgainstAndWhereItComesFrom()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE SEQUENCE shared_ids;
            CREATE TABLE a (id bigint PRIMARY KEY DEFAULT nextval('shared_ids'));
            CREATE TABLE b (id bigint PRIMARY KEY DEFAULT nextval('shared_ids'));
            INSERT INTO a (id) VALUES (10); INSERT INTO b (id) VALUES (24);
            """);
        var report = await db.CheckAsync();

        var a = report.Entry("a");
        Assert.Equal((10L, 24L), (a.MaxValue!.Value, a.JudgedMaxValue!.Value));
        Assert.Contains("judged against MAX 24 of public.b.id", a.Message);
        var b = report.Entry("b");
        Assert.Equal((24L, 24L), (b.MaxValue!.Value, b.JudgedMaxValue!.Value));
        Assert.DoesNotContain("judged against", b.Message);
    }

    [Fact]
    public async Task RepairDryRun_EntriesShowTheNextValueTheRepairWouldSet()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE t (id serial PRIMARY KEY); INSERT INTO t (id) VALUES (42);
            CREATE TABLE fine (id serial PRIMARY KEY);
            """);
        var report = await db.RepairAsync(new RepairOptions { DryRun = true, Headroom = 8 });

        var t = report.Entry("t");
        Assert.Equal((SequenceStatus.Behind, 51L, (long?)null), (t.Status, t.PlannedNextValue!.Value, t.RepairedNextValue));
        Assert.Contains("the repair sets the next value to 51", t.Message);
        Assert.Null(report.Entry("fine").PlannedNextValue);
        Assert.Null((await db.CheckAsync()).Entry("t").PlannedNextValue); // a check plans nothing
        Assert.Equal((1L, false), await db.SequenceStateAsync("t_id_seq"));
    }

    [Fact]
    public async Task Check_SchemaWithoutUsage_NamesTheExactGrant()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE SCHEMA vault;
            CREATE TABLE vault.items (id serial PRIMARY KEY); INSERT INTO vault.items (id) VALUES (4);
            CREATE TABLE open_items (id serial PRIMARY KEY); INSERT INTO open_items (id) VALUES (2);
            DO $$ BEGIN CREATE ROLE seq_no_usage LOGIN PASSWORD 'no-usage-pw'; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            GRANT SELECT ON vault.items, vault.items_id_seq, open_items, open_items_id_seq TO seq_no_usage;
            """);
        var report = await db.Engine.CheckAsync(db.As("seq_no_usage", "no-usage-pw"), EngineDatabase.Options(), CancellationToken.None);

        Assert.Equal(SequenceStatus.Behind, report.Entry("open_items").Status);
        var items = report.Entry("items");
        Assert.Equal(SequenceStatus.Error, items.Status);
        Assert.Contains("GRANT USAGE ON SCHEMA \"vault\" TO \"seq_no_usage\";", items.Message);
    }

    [Fact]
    public async Task Messages_NeverDoubleASemicolon()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE SEQUENCE shared_ids;
            CREATE TABLE a (id bigint PRIMARY KEY DEFAULT nextval('shared_ids'));
            CREATE TABLE b (id bigint PRIMARY KEY DEFAULT nextval('shared_ids'));
            DO $$ BEGIN CREATE ROLE seq_semicolon LOGIN PASSWORD 'semicolon-pw'; EXCEPTION WHEN duplicate_object THEN NULL; END $$;
            GRANT SELECT ON a, shared_ids TO seq_semicolon;
            """);
        var report = await db.Engine.CheckAsync(db.As("seq_semicolon", "semicolon-pw"), EngineDatabase.Options(), CancellationToken.None);

        var a = report.Entry("a");
        Assert.Equal(SequenceStatus.Error, a.Status);
        Assert.Contains("GRANT SELECT ON \"public\".\"b\" TO \"seq_semicolon\"; the sequence also feeds public.b.id", a.Message);
        Assert.All(report.Sequences, s => Assert.DoesNotContain(";;", s.Message));
    }

    [Fact]
    public async Task Check_PartitionedTable_IsIndexedOnlyWhenEveryPartitionIs()
    {
        await using var db = await EngineDatabase.CreateAsync(fixture.Server, """
            CREATE TABLE events (id bigserial, region int NOT NULL) PARTITION BY LIST (region);
            CREATE TABLE events_eu PARTITION OF events FOR VALUES IN (1);
            CREATE TABLE events_us PARTITION OF events FOR VALUES IN (2);
            CREATE TABLE events_asia PARTITION OF events FOR VALUES IN (3);
            CREATE INDEX ON events_eu (id);
            INSERT INTO events (id, region) VALUES (5, 1), (77, 2);
            CREATE TABLE logs (id bigserial, day int NOT NULL) PARTITION BY LIST (day);
            CREATE TABLE logs_1 PARTITION OF logs FOR VALUES IN (1);
            CREATE INDEX ON logs_1 (id);
            """);
        var report = await db.CheckAsync();

        var events = report.Entry("events");
        Assert.False(events.Indexed);
        Assert.Equal(77, events.BehindBy);
        Assert.Contains("no index on id in partitions public.events_asia, public.events_us: MAX scans them", events.Message);
        Assert.True(report.Entry("logs").Indexed); // no index on the parent, but one in every partition
    }
}
