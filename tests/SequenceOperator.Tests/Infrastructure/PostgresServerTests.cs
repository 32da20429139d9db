using Npgsql;

namespace SequenceOperator.Tests.Infrastructure;

[Collection(PostgresCollection.Name)]
public sealed class PostgresServerTests(PostgresFixture fixture)
{
    [Fact]
    public async Task CreateDatabase_GivesAnEmptyDatabaseOnARealServer()
    {
        var cs = await fixture.Server.CreateDatabaseAsync();
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT current_database(), (SELECT count(*) FROM pg_class WHERE relkind = 'S')", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.StartsWith("test_", reader.GetString(0));
        Assert.Equal(0L, reader.GetInt64(1));
    }

    [Fact]
    public async Task WrongPassword_IsRejected()
    {
        var cs = fixture.Server.ConnectionStringFor("postgres", password: "not-the-password");
        await using var conn = new NpgsqlConnection(cs);
        var ex = await Assert.ThrowsAsync<PostgresException>(() => conn.OpenAsync());
        Assert.Equal("28P01", ex.SqlState);
    }
}
