using SequenceOperator.Postgres;
using SequenceOperator.Tests.Infrastructure;

namespace SequenceOperator.Tests.Postgres;

/// <summary>
/// <see cref="NameTable"/>: one copy of each catalog name across the engine's runs, bounded; and the engine's reports
/// of two databases of the same application share their names.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class NameTableTests(PostgresFixture fixture)
{
    [Fact]
    public void Intern_GivesTheFirstCopy_ForEqualNames()
    {
        var names = new NameTable();
        var first = new string("cards".AsSpan());
        var second = new string("cards".AsSpan());
        Assert.NotSame(first, second);

        Assert.Same(first, names.Intern(first));
        Assert.Same(first, names.Intern(second));
        Assert.Same("Cards", names.Intern("Cards")); // ordinal: a different name
    }

    [Fact]
    public void Intern_PastItsCapacity_KeepsNoMore_AndStillAnswers()
    {
        var names = new NameTable();
        for (var i = 0; i < NameTable.Capacity; i++)
        {
            names.Intern("t" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var late = new string("late_table".AsSpan());
        var again = new string("late_table".AsSpan());
        Assert.Same(late, names.Intern(late));
        Assert.Same(again, names.Intern(again)); // not kept: each comes back as it came
        Assert.Equal("t0", names.Intern(new string("t0".AsSpan())));
    }

    [Fact]
    public async Task Intern_FromManyThreads_KeepsOneCopyEach_AndStopsAtItsCapacity()
    {
        var names = new NameTable();
        const int Threads = 4;
        var perThread = NameTable.Capacity / 2;
        // Each thread: names every thread asks for, and as many of its own; together past the capacity.
        var results = await Task.WhenAll(Enumerable.Range(0, Threads).Select(thread => Task.Run(() =>
        {
            var kept = new string[perThread];
            for (var i = 0; i < perThread; i++)
            {
                var n = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                kept[i] = names.Intern("n" + n);
                names.Intern($"own{thread}_{n}");
            }

            return kept;
        })));

        // Below the capacity every thread got the one kept copy.
        for (var i = 0; i < 1000; i++)
        {
            Assert.All(results, r => Assert.Same(results[0][i], r[i]));
        }

        // The table is full: a new name is not kept (each comes back as it came).
        var late = new string("late_table".AsSpan());
        var again = new string("late_table".AsSpan());
        Assert.Same(late, names.Intern(late));
        Assert.Same(again, names.Intern(again));
    }

    [Fact]
    public async Task OneEngine_TwoDatabasesOfOneSchema_ReportTheSameNameInstances()
    {
        const string schema = """
            CREATE TABLE cards (id bigserial PRIMARY KEY);
            CREATE TABLE tags (id serial PRIMARY KEY);
            INSERT INTO cards (id) VALUES (5);
            """;
        await using var worcester = await EngineDatabase.CreateAsync(fixture.Server, schema);
        await using var shrewsbuddy = await EngineDatabase.CreateAsync(fixture.Server, schema);

        var engine = worcester.Engine;
        var first = await engine.CheckAsync(worcester.DataSource, new CheckOptions(), CancellationToken.None);
        var second = await engine.CheckAsync(shrewsbuddy.DataSource, new CheckOptions(), CancellationToken.None);

        var (a, b) = (first.Entry("cards"), second.Entry("cards"));
        Assert.Equal(SequenceStatus.Behind, a.Status);
        Assert.Same(a.Table, b.Table);
        Assert.Same(a.Schema, b.Schema);
        Assert.Same(a.Column, b.Column);
        Assert.Same(a.SequenceName, b.SequenceName);
        Assert.Equal("public.cards_id_seq", a.QualifiedSequenceName); // the metrics' and insights' sequence label
        Assert.Same(a.QualifiedSequenceName, b.QualifiedSequenceName);
        Assert.Same(first.Entry("tags").Schema, a.Schema);
    }
}
