using System.Text;
using Npgsql;
using SequenceOperator.Entities;
using SequenceOperator.Postgres;
using SequenceOperator.Reconciliation;

namespace SequenceOperator.Tests.Postgres;

public sealed class DatabaseConnectionTests
{
    [Fact]
    public void Parse_Uri_WithEncodedPasswordAndParameters()
    {
        var b = DatabaseConnection.Parse(
            "postgresql://app%40corp:p%40ss%3Aw0rd%2F@db.example:6543/city%20forge"
            + "?sslmode=verify-full&connect_timeout=7&application_name=ci");
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

    [Theory]
    [InlineData("postgresql://u:p@h:5432/db?schema=My%20Schema", "\"My Schema\"")]
    [InlineData("postgresql://u:p@h:5432/db?schema=My Schema", "\"My Schema\"")]
    [InlineData("postgresql://u:p@h:5432/db?schema=CityForge", "\"CityForge\"")]
    [InlineData("postgresql://u:p@h:5432/db?schema=odd%22name", "\"odd\"\"name\"")]
    public void Parse_SchemaParameter_IsQuotedForTheSearchPath(string uri, string searchPath) =>
        Assert.Equal(searchPath, DatabaseConnection.Parse(uri).SearchPath);

    [Theory]
    [InlineData("Host=h;Password=hunter2secret;Timeout=abc", "key 'Timeout' must be a whole number of seconds from 0 to 1024")]
    [InlineData("Host=h;Password=hunter2secret;timeout=abc", "key 'Timeout' must be a whole number of seconds from 0 to 1024")]
    [InlineData("Host=h;Password=hunter2secret;Port=99999", "key 'Port' must be a whole number from 1 to 65535")]
    [InlineData("Host=h;Password=hunter2secret;Pooling=maybe", "key 'Pooling' must be true or false")]
    [InlineData(
        "Host=h;Password=hunter2secret;SSL Mode=sometimes",
        "key 'SSL Mode' must be one of Disable, Allow, Prefer, Require, VerifyCA, VerifyFull")]
    [InlineData("Host=h;Password=hunter2secret;Nonsense=1", "key 'Nonsense' is not one Npgsql knows")]
    public void Parse_BadValue_NamesTheKeyAndWhy(string connection, string expected)
    {
        var ex = Assert.Throws<SequenceEngineException>(() => DatabaseConnection.Parse(connection));
        Assert.Equal(EngineFailure.InvalidConnectionString, ex.Failure);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("key=value pairs", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotKeyValuePairs_SaysSo()
    {
        var ex = Assert.Throws<SequenceEngineException>(() => DatabaseConnection.Parse("Host=h;Password=\"hunter2secret"));
        Assert.Contains("key=value pairs", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Secret_GarbageConnectionString_NamesTheKeyAndWhy()
    {
        var spec = new DatabaseSpec { SecretRef = new SecretReference { Name = "db" } };
        var data = new Dictionary<string, byte[]>
        {
            ["uri"] = Encoding.UTF8.GetBytes("Host=h;Username=u;Password=hunter2secret;Timeout=abc"),
        };

        var ex = Assert.Throws<SecretInvalidException>(() => SecretConnection.Build(spec, "db", data));

        Assert.Contains("key 'Timeout' must be a whole number of seconds from 0 to 1024", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("key=value pairs", ex.Message, StringComparison.Ordinal);
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

    [Theory]
    [InlineData("Host=h;Database=d;Username=u", null, null, GssEncryptionMode.Disable)]
    [InlineData("Host=h;Database=d;Username=u;GSS Encryption Mode=Prefer", null, null, GssEncryptionMode.Prefer)]
    [InlineData("Host=h;Database=d;Username=u;gssencryptionmode=require", null, null, GssEncryptionMode.Require)]
    [InlineData("postgres://u@h/d?gssencmode=prefer", null, null, GssEncryptionMode.Prefer)]
    [InlineData("postgres://u@h/d", null, null, GssEncryptionMode.Disable)]
    [InlineData("Host=h;Database=d;Username=u", "FILE:/tmp/krb5cc_1000", null, GssEncryptionMode.Prefer)]
    [InlineData("Host=h;Database=d;Username=u", null, "prefer", GssEncryptionMode.Prefer)]
    public void GssEncryption_IsOffUnlessTheConnectionOrTheEnvironmentAsksForKerberos(
        string connection, string? credentialCache, string? environmentMode, GssEncryptionMode expected)
    {
        var settings = DatabaseConnection.Parse(connection);
        Assert.Equal(expected, DatabaseConnection.EffectiveGssEncryptionMode(settings, credentialCache, environmentMode));
    }

    [Fact]
    public void CreateDataSource_WithoutKerberosInSight_DoesNotLoadGss()
    {
        // CI has neither KRB5CCNAME nor PGGSSENCMODE: the data source's own setting is Disable, a named one stays.
        Assert.True(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KRB5CCNAME")));
        using var plain = DatabaseConnection.CreateDataSource(DatabaseConnection.Parse("Host=h;Database=d;Username=u"));
        Assert.Equal(GssEncryptionMode.Disable, new NpgsqlConnectionStringBuilder(plain.ConnectionString).GssEncryptionMode);
        using var named = DatabaseConnection.CreateDataSource(
            DatabaseConnection.Parse("Host=h;Database=d;Username=u;GSS Encryption Mode=Prefer"));
        Assert.Equal(GssEncryptionMode.Prefer, new NpgsqlConnectionStringBuilder(named.ConnectionString).GssEncryptionMode);
    }

    [Fact]
    public void Uri_GssEncMode_OutOfItsValues_IsRefused()
    {
        var ex = Assert.Throws<SequenceEngineException>(() => DatabaseConnection.Parse("postgres://u@h/d?gssencmode=sometimes"));
        Assert.Contains("gssencmode must be disable, prefer or require", ex.Message, StringComparison.Ordinal);
    }
}
