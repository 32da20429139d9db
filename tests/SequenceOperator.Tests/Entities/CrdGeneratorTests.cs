using System.Text.Json.Nodes;
using SequenceOperator.Crd;

namespace SequenceOperator.Tests.Entities;

public sealed class CrdGeneratorTests
{
    // Set SEQUENCE_OPERATOR_UPDATE_CRD=1 to rewrite the committed CRD from the types (then review and commit the diff).
    private const string UpdateVariable = "SEQUENCE_OPERATOR_UPDATE_CRD";

    private static readonly string Generated = CrdGenerator.GenerateYaml();

    private static JsonObject Crd => (JsonObject)TestFiles.YamlToJson(Generated)!;

    private static JsonObject Version => (JsonObject)Crd["spec"]!["versions"]![0]!;

    private static JsonObject Root => (JsonObject)Version["schema"]!["openAPIV3Schema"]!;

    private static JsonObject Spec => (JsonObject)Root["properties"]!["spec"]!;

    private static JsonObject Status => (JsonObject)Root["properties"]!["status"]!;

    [Fact]
    public void Crd_CommittedFile_MatchesGeneratedFromTypes()
    {
        var path = TestFiles.PathOf(CrdGenerator.CommittedPath);
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, Generated);
        }

        Assert.True(File.Exists(path), $"{CrdGenerator.CommittedPath} is missing: run the tests with {UpdateVariable}=1.");
        var committed = File.ReadAllText(path);
        Assert.True(committed == Generated,
            $"{CrdGenerator.CommittedPath} differs from the CRD generated from the types: run the tests with {UpdateVariable}=1 and commit "
                + "the file.");
    }

    [Fact]
    public void Crd_Generation_IsByteStable()
    {
        Assert.Equal(Generated, CrdGenerator.GenerateYaml());
        Assert.EndsWith("\n", Generated, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", Generated, StringComparison.Ordinal);
        Assert.DoesNotContain("\t", Generated, StringComparison.Ordinal);
        Assert.DoesNotContain(" \n", Generated, StringComparison.Ordinal);
        Assert.False(Generated.EndsWith("\n\n", StringComparison.Ordinal));
    }

    [Fact]
    public void Crd_ParsedYaml_EqualsTheGeneratedTree()
    {
        Assert.True(JsonNode.DeepEquals(CrdGenerator.Generate(), Crd), "the YAML does not read back as the tree it was written from");
    }

    [Fact]
    public void Crd_Names_AreTheSequenceSyncPolicyNamesAndShortName()
    {
        Assert.Equal("apiextensions.k8s.io/v1", Crd["apiVersion"]!.GetValue<string>());
        Assert.Equal("CustomResourceDefinition", Crd["kind"]!.GetValue<string>());
        Assert.Equal("sequencesyncpolicies.sequences.cityforge.io", Crd["metadata"]!["name"]!.GetValue<string>());
        var spec = Crd["spec"]!;
        Assert.Equal("sequences.cityforge.io", spec["group"]!.GetValue<string>());
        Assert.Equal("Namespaced", spec["scope"]!.GetValue<string>());
        Assert.Equal("SequenceSyncPolicy", spec["names"]!["kind"]!.GetValue<string>());
        Assert.Equal("SequenceSyncPolicyList", spec["names"]!["listKind"]!.GetValue<string>());
        Assert.Equal("sequencesyncpolicies", spec["names"]!["plural"]!.GetValue<string>());
        Assert.Equal("sequencesyncpolicy", spec["names"]!["singular"]!.GetValue<string>());
        Assert.Equal(["ssp"], spec["names"]!["shortNames"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Single(spec["versions"]!.AsArray());
        Assert.Equal("v1alpha1", Version["name"]!.GetValue<string>());
        Assert.True(Version["served"]!.GetValue<bool>());
        Assert.True(Version["storage"]!.GetValue<bool>());
        Assert.Empty(Version["subresources"]!["status"]!.AsObject());
    }

    [Fact]
    public void Crd_PrinterColumns_HaveTheirJsonPaths()
    {
        var columns = Version["additionalPrinterColumns"]!.AsArray()
            .Select(c => (c!["name"]!.GetValue<string>(), c["type"]!.GetValue<string>(), c["jsonPath"]!.GetValue<string>()))
            .ToList();
        Assert.Equal(
            [
                ("Mode", "string", ".spec.mode"),
                ("Checked", "integer", ".status.sequencesChecked"),
                ("Behind", "integer", ".status.sequencesBehind"),
                ("Repaired", "integer", ".status.sequencesRepaired"),
                ("Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status"),
                ("Last Check", "date", ".status.lastCheckTime"),
                ("Age", "date", ".metadata.creationTimestamp"),
            ],
            columns);

        // Every column but the conditions filter and metadata points at a field the schema has, of a fitting type.
        foreach (var (
            _,
            type,
            path) in columns.Where(c => !c.Item3.Contains(
                '[',
                StringComparison.Ordinal) && !c.Item3.StartsWith(".metadata", StringComparison.Ordinal)))
        {
            JsonNode node = Root;
            foreach (var segment in path.TrimStart('.').Split('.'))
            {
                node = node["properties"]![segment] ?? throw new Xunit.Sdk.XunitException($"{path}: no field {segment}");
            }

            var schemaType = node["type"]!.GetValue<string>();
            Assert.Equal(type == "date" ? "string" : type, schemaType);
            if (type == "date")
            {
                Assert.Equal("date-time", node["format"]!.GetValue<string>());
            }
        }
    }

    [Fact]
    public void Crd_Schema_IsStructural()
    {
        var problems = StructuralSchemaChecker.Check(Root);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void StructuralSchemaChecker_FlagsWhatTheApiServerRejects()
    {
        // The checker guards the CRD test above, so it must itself catch the classic mistakes.
        var bad = (JsonObject)JsonNode.Parse("""
            {
              "type": "object",
              "properties": {
                "metadata": { "type": "object", "properties": { "name": { "type": "string" } } },
                "a": { "type": ["string", "null"] },
                "b": { "$ref": "#/x" },
                "c": { "type": "object", "properties": { "d": { "type": "string" } }, "additionalProperties": false },
                "e": { "type": "object", "properties": { "f": { "type": "integer" } }, "default": { "g": 1 } },
                "h": { "type": "string", "enum": ["X"], "default": "Y" },
                "i": { "type": "array" },
                "j": { "description": "no type" }
              }
            }
            """)!;
        var problems = StructuralSchemaChecker.Check(bad);
        Assert.Contains(problems, p => p.Contains(".metadata", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains(".a:", StringComparison.Ordinal) && p.Contains("type", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains(".b:", StringComparison.Ordinal));
        Assert.Contains(
            problems,
            p => p.Contains(".c:", StringComparison.Ordinal) && p.Contains("additionalProperties", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains(".e:", StringComparison.Ordinal) && p.Contains("default", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains(".h:", StringComparison.Ordinal) && p.Contains("default", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains(".i:", StringComparison.Ordinal) && p.Contains("items", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains(".j:", StringComparison.Ordinal));
    }

    [Fact]
    public void Crd_Schema_HasTheDefaults()
    {
        var database = Spec["properties"]!["database"]!["properties"]!;
        Assert.Equal("cityforge-db", database["host"]!["default"]!.GetValue<string>());
        Assert.Equal(5432, database["port"]!["default"]!.GetValue<long>());
        Assert.Equal("cityforge", database["name"]!["default"]!.GetValue<string>());
        Assert.Equal("Prefer", database["sslMode"]!["default"]!.GetValue<string>());

        var spec = Spec["properties"]!;
        Assert.Equal("Observe", spec["mode"]!["default"]!.GetValue<string>());
        Assert.Equal("5m", spec["interval"]!["default"]!.GetValue<string>());
        Assert.False(spec["suspend"]!["default"]!.GetValue<bool>());
        Assert.Empty(spec["repair"]!["default"]!.AsObject());
        Assert.Equal(0, spec["repair"]!["properties"]!["headroom"]!["default"]!.GetValue<long>());
        Assert.Equal("2s", spec["repair"]!["properties"]!["lockTimeout"]!["default"]!.GetValue<string>());
    }

    [Fact]
    public void Crd_Schema_HasEnumsAndBounds()
    {
        var spec = Spec["properties"]!;
        Assert.Equal(["Observe", "Repair"], Strings(spec["mode"]!["enum"]));
        Assert.Equal(
            ["Disable", "Allow", "Prefer", "Require", "VerifyCA", "VerifyFull"],
            Strings(spec["database"]!["properties"]!["sslMode"]!["enum"]));
        Assert.Equal(1, spec["database"]!["properties"]!["port"]!["minimum"]!.GetValue<long>());
        Assert.Equal(65535, spec["database"]!["properties"]!["port"]!["maximum"]!.GetValue<long>());
        Assert.Equal(0, spec["repair"]!["properties"]!["headroom"]!["minimum"]!.GetValue<long>());

        Assert.Equal(["database"], Strings(Spec["required"]));
        Assert.Equal(["secretRef"], Strings(spec["database"]!["required"]));
        Assert.Equal(["name"], Strings(spec["database"]!["properties"]!["secretRef"]!["required"]));
        Assert.Null(spec["database"]!["properties"]!["secretRef"]!["properties"]!["namespace"]);
        var table = spec["tables"]!["items"]!;
        Assert.Equal(["name"], Strings(table["required"]));
        Assert.Equal(1, table["properties"]!["name"]!["minLength"]!.GetValue<long>());
        Assert.Equal(1, table["properties"]!["column"]!["minLength"]!.GetValue<long>());
        Assert.Equal(["spec"], Strings(Root["required"]));

        var item = Status["properties"]!["sequences"]!["items"]!;
        Assert.Equal(["InSync", "Behind", "Repaired", "Error", "Skipped"], Strings(item["properties"]!["status"]!["enum"]));
        Assert.True(item["properties"]!["maxValue"]!["nullable"]!.GetValue<bool>());
        Assert.True(item["properties"]!["repairedNextValue"]!["nullable"]!.GetValue<bool>());
        Assert.True(item["properties"]!["nextValue"]!["nullable"]!.GetValue<bool>()); // unknown for an entry that could not be read
        Assert.Equal(
            [
                "schema", "table", "column", "sequenceSchema", "sequenceName", "maxValue", "nextValue", "behindBy", "capacityUsed",
                "status", "repairedNextValue", "message", "lastDriftTime", "driftCount", "lastRepairTime", "explicitIdRows",
                "lastExplicitIdRowsTime", "consumptionPerDay", "exhaustionTime", "forecast",
            ],
            item["properties"]!.AsObject().Select(p => p.Key));

        var conditions = Status["properties"]!["conditions"]!;
        Assert.Equal("map", conditions["x-kubernetes-list-type"]!.GetValue<string>());
        Assert.Equal(["type"], Strings(conditions["x-kubernetes-list-map-keys"]));
        Assert.Equal(["True", "False", "Unknown"], Strings(conditions["items"]!["properties"]!["status"]!["enum"]));
        Assert.Equal("date-time", conditions["items"]!["properties"]!["lastTransitionTime"]!["format"]!.GetValue<string>());
        Assert.Equal(
            [
                "observedGeneration",
                "lastCheckTime",
                "lastRepairTime",
                "sequencesChecked",
                "sequencesBehind",
                "sequencesRepaired",
                "conditions",
                "sequences",
            ],
            Status["properties"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Crd_Durations_HavePatternAndCelRules()
    {
        var interval = Spec["properties"]!["interval"]!;
        Assert.Equal("^([0-9]+(\\.[0-9]+)?(ns|us|ms|s|m|h))+$", interval["pattern"]!.GetValue<string>());
        var rule = Assert.Single(interval["x-kubernetes-validations"]!.AsArray())!;
        Assert.Equal("duration(self) >= duration('10s')", rule["rule"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(rule["message"]!.GetValue<string>()));

        var lockTimeout = Spec["properties"]!["repair"]!["properties"]!["lockTimeout"]!;
        Assert.Equal(interval["pattern"]!.GetValue<string>(), lockTimeout["pattern"]!.GetValue<string>());
        Assert.Equal(
            "duration(self) > duration('0s')",
            Assert.Single(lockTimeout["x-kubernetes-validations"]!.AsArray())!["rule"]!.GetValue<string>());
    }

    [Fact]
    public void Crd_Durations_StateTheirUpperBounds_WhereKubectlExplainShowsThem()
    {
        var specRules = Spec["x-kubernetes-validations"]!.AsArray();
        Assert.Equal(2, specRules.Count);
        Assert.Equal("!has(self.interval) || duration(self.interval) <= duration('1176h')", specRules[0]!["rule"]!.GetValue<string>());
        Assert.Equal(".interval", specRules[0]!["fieldPath"]!.GetValue<string>());
        Assert.Contains("at most 1176h", Spec["properties"]!["interval"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(
            "!has(self.driftRecurrenceWindow) || duration(self.driftRecurrenceWindow) <= duration('720h')",
            specRules[1]!["rule"]!.GetValue<string>());
        Assert.Equal(".driftRecurrenceWindow", specRules[1]!["fieldPath"]!.GetValue<string>());
        var window = Spec["properties"]!["driftRecurrenceWindow"]!;
        Assert.Contains("at most 720h", window["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("24h", window["default"]!.GetValue<string>());
        var windowRule = Assert.Single(window["x-kubernetes-validations"]!.AsArray())!;
        Assert.Equal("duration(self) >= duration('1m')", windowRule["rule"]!.GetValue<string>());

        var repair = Spec["properties"]!["repair"]!;
        var repairRule = Assert.Single(repair["x-kubernetes-validations"]!.AsArray())!;
        Assert.Equal("!has(self.lockTimeout) || duration(self.lockTimeout) <= duration('1h')", repairRule["rule"]!.GetValue<string>());
        Assert.Equal(".lockTimeout", repairRule["fieldPath"]!.GetValue<string>());
        Assert.Contains("at most 1h", repair["properties"]!["lockTimeout"]!["description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void DurationBounds_AreWhatATimerAndPostgreSqlCanHonour()
    {
        Assert.Equal(TimeSpan.FromHours(1176), SequenceOperator.Entities.SequenceSyncPolicySpec.MaximumInterval);
        Assert.True(
            SequenceOperator.Entities.SequenceSyncPolicySpec.MaximumInterval <= SequenceOperator.Reconciliation.WorkQueue<string>.MaxDelay);

        // A repair's statements may take the longest command timeout plus the longest lock timeout: within PostgreSQL's INT_MAX ms.
        Assert.True(
            SequenceOperator.Entities.RepairSpec.MaximumLockTimeout + SequenceOperator.Hosting.OperatorOptionsValidator.MaxCommandTimeout
            <= TimeSpan.FromMilliseconds(int.MaxValue));
    }

    [Fact]
    public void Crd_Defaults_AreWhatTheTypesDefaultTo()
    {
        // A spec with only the required fields, as the API server would store it after defaulting, must equal what
        // the C# types produce for the same input: the CRD defaults and the C# initializers cannot drift apart.
        var minimal = """{"database":{"secretRef":{"name":"db"}}}""";
        var defaulted = ApplyDefaults(Spec, JsonNode.Parse(minimal))!;
        var typed = System.Text.Json.JsonSerializer.Deserialize(
            minimal,
            SequenceOperator.Entities.SequenceSyncPolicyJsonContext.Default.SequenceSyncPolicySpec)!;
        var serialized = JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(
            typed,
            SequenceOperator.Entities.SequenceSyncPolicyJsonContext.Default.SequenceSyncPolicySpec))!;
        Assert.True(
            JsonNode.DeepEquals(defaulted, serialized),
            $"CRD-defaulted {defaulted.ToJsonString()} != typed {serialized.ToJsonString()}");
    }

    // Kubernetes-style defaulting: top-down, a defaulted object then gets its own fields' defaults.
    private static JsonNode? ApplyDefaults(JsonNode schema, JsonNode? value)
    {
        if (value is JsonObject obj && schema["properties"] is JsonObject properties)
        {
            foreach (var (name, propertySchema) in properties)
            {
                if (!obj.ContainsKey(name) && propertySchema!["default"] is { } @default)
                {
                    obj[name] = @default.DeepClone();
                }

                if (obj[name] is { } child)
                {
                    obj[name] = ApplyDefaults(propertySchema!, child.DeepClone());
                }
            }
        }

        return value;
    }

    private static List<string> Strings(JsonNode? array) => [.. array!.AsArray().Select(n => n!.GetValue<string>())];
}
