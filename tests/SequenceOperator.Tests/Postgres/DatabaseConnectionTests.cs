using Npgsql;
using SequenceOperator.Postgres;

namespace SequenceOperator.Tests.Postgres;

public sealed class DatabaseConnectionTests
{
    [Fact]
    public void Parse_Uri_WithEncodedPasswordAndParameters()
    {
        var b = DatabaseConnection.Parse("postgresql://app%40corp:p%40ss%3Aw0rd%2F@db.example:6543/city%20forge?sslmode=verify-full&connect_timeout=7&application_name=ci");
        Assert.Equal("app@corp", b.Username);
        Assert.Equal("p@ss:w0rd/", b.Password);
        Assert.Equal("db.example", b.Host);
        Assert.Equal(6543, b.Port);
        Assert.Equal("city forge", b.Database);
        Assert.Equal(SslMode.VerifyFull, b.SslMode);
        Assert.Equal(7, b.Timeout);
        Assert.Equal("ci", b.ApplicationName);
    }

    [Fact]
    public void Parse_PostgresScheme_Ipv6AndDefaults()
    {
        Assert.Null(DatabaseConnection.Parse("postgres://u@/db").Host); // left for the caller to default
        var b = DatabaseConnection.Parse("postgres://u@[::1]/db");
        Assert.Equal("::1", b.Host);
        Assert.Equal(5432, b.Port);
        Assert.Equal("u", b.Username);
        Assert.Null(b.Password);
    }

    [Fact]
    public void Parse_PrismaSchemaParameter_SetsSearchPath() =>
        Assert.Equal("app", DatabaseConnection.Parse("postgresql://u:p@h:5432/db?schema=app").SearchPath);

    [Fact]
    public void Parse_NpgsqlConnectionString()
    {
        var b = DatabaseConnection.Parse("Host=h;Port=5433;Database=d;Username=u;Password=secret");
        Assert.Equal(("h", 5433, "d", "u"), (b.Host, b.Port, b.Database, b.Username));
    }

    [Theory]
    [InlineData("postgresql://u:hunter2secret@h:notaport/db")]
    [InlineData("postgresql://u:hunter2secret@h/db?sslmode=sometimes")]
    [InlineData("postgresql://u:hunter2secret@h/db?bogus=1")]
    [InlineData("Host=h;Password=hunter2secret;Port=xyz")]
    [InlineData("Host=h;Password=hunter2secret;Nonsense=1")]
    public void Parse_Invalid_ExplainsWithoutRepeatingTheSecret(string connection)
    {
        var ex = Assert.Throws<SequenceEngineException>(() => DatabaseConnection.Parse(connection));
        Assert.Equal(EngineFailure.InvalidConnectionString, ex.Failure);
        Assert.DoesNotContain("hunter2secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateDataSource_NamesTheApplicationAndBoundsThePool()
    {
        using var ds = DatabaseConnection.CreateDataSource(DatabaseConnection.Parse("Host=h;Database=d;Username=u"), maxPoolSize: 2);
        var b = new NpgsqlConnectionStringBuilder(ds.ConnectionString);
        Assert.Equal("sequence-operator", b.ApplicationName);
        Assert.Equal(2, b.MaxPoolSize);
    }
}
