using Npgsql;
using SequenceOperator.Postgres;
using SequenceOperator.Tests.Infrastructure;

namespace SequenceOperator.Tests.Postgres;

/// <summary>
/// <see cref="ArrayText"/>: lists sent and read as the text of an array, through the data source the engine uses
/// (which has no array type mappings), against a real server.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ArrayTextTests(PostgresFixture fixture)
{
    /// <summary>Names a user could give a table: quotes, backslashes, braces, commas, spaces, NULL, empty, non-ASCII.</summary>
    public static readonly string[] HostileNames =
        ["cards", "Cards", "a b", "say \"hi\"", @"back\slash", @"\", "\"", "{x}", "a,b", "NULL", "null", "", " ", "åäö_表", "x'y"];

    [Fact]
    public async Task Strings_SentAsAParameter_ArriveAsTheSameTextArray()
    {
        await using var dataSource = await DataSourceAsync();
        await using var command = dataSource.CreateCommand(
            "SELECT x.i::int4, x.v FROM pg_catalog.unnest($1::pg_catalog.text[]) WITH ORDINALITY AS x(v, i) ORDER BY x.i");
        command.Parameters.Add(ArrayText.Parameter(HostileNames));

        var arrived = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                Assert.Equal(arrived.Count + 1, reader.GetInt32(0));
                arrived.Add(reader.GetString(1));
            }
        }

        Assert.Equal(HostileNames, arrived);
    }

    [Fact]
    public async Task Strings_ReadFromTheServersArrayText_AreTheElements()
    {
        await using var dataSource = await DataSourceAsync();
        await using var command = dataSource.CreateCommand("SELECT $1::pg_catalog.text[]::text");
        command.Parameters.Add(ArrayText.Parameter(HostileNames));

        var text = (string)(await command.ExecuteScalarAsync())!;

        Assert.Equal(HostileNames, ArrayText.ReadStrings(text));
    }

    [Fact]
    public async Task Int64s_RoundTrip_IncludingTheExtremes_AndTheEmptyList()
    {
        long[] values = [0, 1, -1, 16_433, long.MaxValue, long.MinValue];
        await using var dataSource = await DataSourceAsync();
        foreach (var list in new[] { values, [] })
        {
            await using var command = dataSource.CreateCommand("SELECT $1::pg_catalog.int8[]::text");
            command.Parameters.Add(ArrayText.Parameter(list));

            Assert.Equal(list, ArrayText.ReadInt64s((string)(await command.ExecuteScalarAsync())!));
        }
    }

    [Fact]
    public async Task TheEnginesDataSource_HasNoArrayMappings_SoListsMustGoAsText()
    {
        // What ArrayText is for: were the engine to read an array as such, this is the error its users would get.
        await using var dataSource = await DataSourceAsync();
        await using var command = dataSource.CreateCommand("SELECT ARRAY[1, 2]::int8[]");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();

        Assert.ThrowsAny<Exception>(() => reader.GetFieldValue<long[]>(0));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1,2")]
    [InlineData("{1,2")]
    [InlineData("{1,}")]
    [InlineData("{,1}")]
    [InlineData("{1,NULL}")]
    [InlineData("{{1,2},{3,4}}")]
    [InlineData("{\"unterminated}")]
    [InlineData("{\"a\"b}")]
    [InlineData("[0:1]={1,2}")]
    public void Malformed_IsAFormatException(string text)
    {
        Assert.Throws<FormatException>(() => ArrayText.ReadStrings(text));
    }

    [Fact]
    public void ANulCharacter_IsRefused_BeforeAnythingIsSent()
    {
        Assert.Throws<ArgumentException>(() => ArrayText.Parameter(["a\0b"]));
    }

    private async Task<NpgsqlDataSource> DataSourceAsync() =>
        DatabaseConnection.CreateDataSource(new NpgsqlConnectionStringBuilder(await fixture.Server.CreateDatabaseAsync("arrays")));
}
