using System.Text.Json.Nodes;
using SequenceOperator.Reconciliation;

namespace SequenceOperator.Tests.Reconciliation;

public sealed class MergeDiffTests
{
    [Fact]
    public void Unchanged_IsNull() =>
        Assert.Null(StatusMapping.MergeDiff(JsonNode.Parse("""{"a":1,"b":{"c":[1,2]}}"""), JsonNode.Parse("""{"b":{"c":[1,2]},"a":1}""")));

    [Fact]
    public void ChangedAddedAndRemovedKeys()
    {
        var diff = StatusMapping.MergeDiff(
            JsonNode.Parse("""{"a":1,"gone":true,"nested":{"keep":1,"drop":2,"change":3}}"""),
            JsonNode.Parse("""{"a":2,"new":"x","nested":{"keep":1,"change":4}}"""));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":2,"new":"x","nested":{"drop":null,"change":4},"gone":null}"""), diff));
    }

    [Fact]
    public void ArraysAreReplacedWhole()
    {
        var diff = StatusMapping.MergeDiff(JsonNode.Parse("""{"list":[1,2]}"""), JsonNode.Parse("""{"list":[1,3]}"""));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"list":[1,3]}"""), diff));
    }
}
