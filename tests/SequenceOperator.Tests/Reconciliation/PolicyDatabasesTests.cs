using Npgsql;
using SequenceOperator.Reconciliation;

namespace SequenceOperator.Tests.Reconciliation;

public sealed class PolicyDatabasesTests
{
    private static NpgsqlConnectionStringBuilder Settings(string text) => new(text);

    [Theory]
    [InlineData("Host=db;Username=u", 10)] // not stated: the operator's bound
    [InlineData("Host=db;Username=u;Timeout=3", 3)] // a Secret may ask for less
    [InlineData("Host=db;Username=u;Timeout=60", 10)] // never for more
    [InlineData("Host=db;Username=u;Timeout=0", 10)] // nor for none at all
    public void ConnectTimeout_IsBoundedByTheOperators(string secret, int expected) =>
        Assert.Equal(expected, PolicyDatabases.WithConnectTimeout(Settings(secret), TimeSpan.FromSeconds(10)).Timeout);

    [Fact]
    public void ConnectTimeout_IsWholeSeconds_AtLeastOne() =>
        Assert.Equal((1, 2), (PolicyDatabases.WithConnectTimeout(Settings("Host=db"), TimeSpan.FromMilliseconds(200)).Timeout,
            PolicyDatabases.WithConnectTimeout(Settings("Host=db"), TimeSpan.FromMilliseconds(1500)).Timeout));
}
