using System.Text.Json.Nodes;
using SequenceOperator.Crd;
using SequenceOperator.Testing.Kubernetes;

namespace SequenceOperator.Tests.Kubernetes;

/// <summary>The double validates custom resources as the API server does with the generated CRD.</summary>
public sealed class CrdValidationTests
{
    private static readonly Func<JsonObject, IReadOnlyList<(
        string Field,
        string Message)>> Validate = CrdValidation.For(CrdGenerator.Generate());

    private static JsonObject Policy(string spec, string? status = null)
    {
        var policy = new JsonObject
        {
            ["apiVersion"] = "sequences.cityforge.io/v1alpha1",
            ["kind"] = "SequenceSyncPolicy",
            ["metadata"] = new JsonObject { ["name"] = "p", ["namespace"] = "worcester" },
            ["spec"] = JsonNode.Parse(spec),
        };
        if (status is not null)
        {
            policy["status"] = JsonNode.Parse(status);
        }

        return policy;
    }

    private static List<string> Fields(JsonObject policy) => [.. Validate(policy).Select(c => c.Field)];

    [Fact]
    public void AValidPolicyAndStatus_Pass() => Assert.Empty(Validate(Policy(
        """{"database":{"secretRef":{"name":"db"},"port":5432},"tables":["""
        + """{"name":"cards","column":"id"}],"mode":"Repair","interval":"1h30m","repair":{"headroom":0,"lockTimeout":"500ms"}}""",
        """{"observedGeneration":1,"lastCheckTime":"2025-01-02T03:04:05Z","conditions":["""
        + """{"type":"Ready","status":"True","reason":"CheckSucceeded","message":"ok","lastTransitionTime":"2025-01-02T03:04:05Z"}]"""
        + ""","sequences":["""
        + """{"schema":"public","table":"cards","column":"id","sequenceSchema":"public","sequenceName":"cards_id_seq","maxValue":"""
        + """null,"behindBy":0,"capacityUsed":0.5,"status":"InSync"}]}""")));

    [Fact]
    public void SchemaViolations_AreCausesAtTheirFields()
    {
        var fields = Fields(Policy("""{"database":{"port":70000},"mode":"Fix","interval":"5d","tables":[{"column":""}]}"""));
        Assert.Contains("spec.database.secretRef", fields);
        Assert.Contains("spec.database.port", fields);
        Assert.Contains("spec.mode", fields);
        Assert.Contains("spec.interval", fields);
        Assert.Contains("spec.tables[0].name", fields);
        Assert.Contains("spec.tables[0].column", fields);
        Assert.Contains("spec.interval", Fields(Policy("""{"database":{"secretRef":{"name":"db"}},"interval":5}""")));
    }

    [Fact]
    public void DurationRules_AreEvaluated()
    {
        var cause = Assert.Single(Validate(Policy("""{"database":{"secretRef":{"name":"db"}},"interval":"9s"}""")));
        Assert.Equal(("spec.interval", "Invalid value: \"string\": interval must be at least 10s"), cause);
        Assert.Equal(
            "spec.repair.lockTimeout",
            Assert.Single(Validate(Policy("""{"database":{"secretRef":{"name":"db"}},"repair":{"lockTimeout":"0s"}}"""))).Field);

        // Beyond Go's time.Duration, CEL's duration() fails: the rule cannot pass.
        var overflow = Validate(Policy("""{"database":{"secretRef":{"name":"db"}},"interval":"9999999h"}"""));
        Assert.NotEmpty(overflow);
        Assert.All(overflow, c => Assert.Contains("evaluation error", c.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void DuplicateConditionTypes_AreRejected() =>
        Assert.Equal(["status.conditions[1]"], Fields(Policy("""{"database":{"secretRef":{"name":"db"}}}""",
            """{"conditions":[{"type":"Ready","status":"True","reason":"A","message":"","lastTransitionTime":"2025-01-02T03:04:05Z"},"""
            + """{"type":"Ready","status":"False","reason":"B","message":"","lastTransitionTime":"2025-01-02T03:04:05Z"}]}""")));

    [Fact]
    public void WithoutRules_OnlyTheSchemaApplies() =>
        Assert.Empty(CrdValidation.For(CrdGenerator.Generate(), evaluateRules: false)(
            Policy("""{"database":{"secretRef":{"name":"db"}},"interval":"9s"}""")));

    [Fact]
    public void ARuleTheDoubleCannotEvaluate_FailsLoudly()
    {
        var crd = CrdGenerator.Generate();
        var spec = crd["spec"]!["versions"]![0]!["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!;
        var interval = spec["properties"]!["interval"]!.AsObject();
        interval["x-kubernetes-validations"] = new JsonArray(new JsonObject { ["rule"] = "self.size() > 1", ["message"] = "m" });
        Assert.Throws<NotSupportedException>(
            () => CrdValidation.For(crd)(Policy("""{"database":{"secretRef":{"name":"db"}},"interval":"5m"}""")));
    }
}
