using System.Text;
using Npgsql;
using SequenceOperator.Entities;
using SequenceOperator.Reconciliation;

namespace SequenceOperator.Tests.Reconciliation;

public sealed class SecretConnectionTests
{
    private static readonly DatabaseSpec Spec = new() { SecretRef = new SecretReference { Name = "db" } };

    private static Dictionary<string, byte[]> Data(params (string Key, string Value)[] entries) =>
        entries.ToDictionary(e => e.Key, e => Encoding.UTF8.GetBytes(e.Value));

    [Fact]
    public void DiscreteKeys_FillFromTheSpecDefaults()
    {
        var b = SecretConnection.Build(Spec, "db", Data(("username", "app"), ("password", "pw")));
        Assert.Equal(
            ("cityforge-db", 5432, "cityforge", "app", "pw", SslMode.Prefer),
            (b.Host, b.Port, b.Database, b.Username, b.Password, b.SslMode));
    }

    [Fact]
    public void SecretValuesWinOverTheSpec()
    {
        var b = SecretConnection.Build(Spec with { Host = "ignored", Port = 1 }, "db",
            Data(
                ("host", "pg.internal"), ("port", "6432"), ("database", "city"), ("user", "app"), ("password", "pw"),
                ("sslmode", "verify-full")));
        Assert.Equal(("pg.internal", 6432, "city", "app", SslMode.VerifyFull), (b.Host, b.Port, b.Database, b.Username, b.SslMode));
    }

    [Fact]
    public void CloudNativePgSecret_UsesItsUri()
    {
        var b = SecretConnection.Build(Spec, "db", Data(
            ("uri", "postgresql://app:s%40cret@cluster-rw.worcester:5432/app"), ("username", "app"), ("password", "s@cret"),
            ("jdbc-uri", "jdbc:postgresql://x"), ("pgpass", "x")));
        Assert.Equal(("cluster-rw.worcester", 5432, "app", "app", "s@cret"), (b.Host, b.Port, b.Database, b.Username, b.Password));
    }

    [Fact]
    public void DatabaseUrl_WithoutHostOrDatabase_TakesThemFromTheSpec()
    {
        var b = SecretConnection.Build(Spec, "db", Data(("DATABASE_URL", "postgres://app:pw@/?sslmode=require")));
        Assert.Equal(("cityforge-db", "cityforge", SslMode.Require), (b.Host, b.Database, b.SslMode));
    }

    [Theory]
    [InlineData("password", "no user name")]
    [InlineData("username", "no password")]
    public void MissingCredentials_NameTheKeysNotTheValues(string present, string expected)
    {
        var ex = Assert.Throws<SecretInvalidException>(() => SecretConnection.Build(Spec, "db", Data((present, "TopSecretValue"))));
        Assert.Contains(expected, ex.Message);
        Assert.Contains($"keys present: {present}", ex.Message);
        Assert.DoesNotContain("TopSecretValue", ex.Message);
    }

    [Fact]
    public void BadUri_IsSecretInvalidWithoutTheUri()
    {
        var ex = Assert.Throws<SecretInvalidException>(
            () => SecretConnection.Build(Spec, "db", Data(("uri", "postgresql://u:TopSecretValue@h:99999/db"))));
        Assert.Contains("key 'uri'", ex.Message);
        Assert.DoesNotContain("TopSecretValue", ex.Message);
    }

    [Fact]
    public void BadPort_IsSecretInvalid()
    {
        var ex = Assert.Throws<SecretInvalidException>(
            () => SecretConnection.Build(Spec, "db", Data(("username", "u"), ("password", "p"), ("port", "pg"))));
        Assert.Contains("'port'", ex.Message);
    }
}
