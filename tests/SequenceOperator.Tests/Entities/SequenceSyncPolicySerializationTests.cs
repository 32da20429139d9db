using System.Text.Json;
using System.Text.Json.Nodes;
using SequenceOperator.Entities;
using SequenceOperator.Entities.Meta;

namespace SequenceOperator.Tests.Entities;

public sealed class SequenceSyncPolicySerializationTests
{
    // The worcester policy as the README shows it (spec, tables with a custom key column, Repair settings).
    private const string WorcesterSample = """
        apiVersion: sequences.cityforge.io/v1alpha1
        kind: SequenceSyncPolicy
        metadata: { name: cityforge, namespace: worcester }
        spec:
          database:
            secretRef: { name: cityforge-db-credentials }  # a Secret in this namespace; there is no namespace field
            host: cityforge-db                              # default: cityforge-db, the Service of the namespace's database
            port: 5432
            name: cityforge                                 # default: cityforge
            sslMode: Prefer
          tables:                                          # optional; empty or absent: every sequence-fed column in the database
            - name: cards
            - name: ak_animes
              column: id_anime
          mode: Observe                                    # Observe (report only, the default) or Repair
          interval: 5m                                     # how often to check; at least 10s
          repair: { headroom: 0, lockTimeout: 2s }
          driftRecurrenceWindow: 24h                       # behind again within this long: a DriftRecurring Event
          suspend: false
        """;

    private static SequenceSyncPolicyJsonContext Json => SequenceSyncPolicyJsonContext.Default;

    [Fact]
    public void WorcesterSample_Deserializes_ToTheTypedFields()
    {
        var json = TestFiles.YamlToJson(WorcesterSample)!.ToJsonString();
        var policy = JsonSerializer.Deserialize(json, Json.V1Alpha1SequenceSyncPolicy)!;

        Assert.Equal("sequences.cityforge.io/v1alpha1", policy.ApiVersion);
        Assert.Equal("SequenceSyncPolicy", policy.Kind);
        Assert.Equal("cityforge", policy.Metadata.Name);
        Assert.Equal("worcester", policy.Metadata.Namespace);
        Assert.Equal("cityforge-db-credentials", policy.Spec.Database.SecretRef.Name);
        Assert.Equal("cityforge-db", policy.Spec.Database.Host);
        Assert.Equal(5432, policy.Spec.Database.Port);
        Assert.Equal("cityforge", policy.Spec.Database.Name);
        Assert.Equal(DatabaseSslMode.Prefer, policy.Spec.Database.SslMode);
        Assert.Equal(2, policy.Spec.Tables!.Count);
        Assert.Equal(new TableSpec { Name = "cards" }, policy.Spec.Tables[0]);
        Assert.Equal(new TableSpec { Name = "ak_animes", Column = "id_anime" }, policy.Spec.Tables[1]);
        Assert.True(policy.Spec.HasExplicitTables);
        Assert.Equal(PolicyMode.Observe, policy.Spec.Mode);
        Assert.Equal(TimeSpan.FromMinutes(5), policy.Spec.GetInterval());
        Assert.Equal(0, policy.Spec.Repair.Headroom);
        Assert.Equal(TimeSpan.FromSeconds(2), policy.Spec.Repair.GetLockTimeout());
        Assert.Equal("24h", policy.Spec.DriftRecurrenceWindow);
        Assert.False(policy.Spec.Suspend);
        Assert.Null(policy.Status);
    }

    [Fact]
    public void WorcesterSample_RoundTrips_ThroughTheJsonTypes()
    {
        var original = TestFiles.YamlToJson(WorcesterSample)!;
        var policy = JsonSerializer.Deserialize(original.ToJsonString(), Json.V1Alpha1SequenceSyncPolicy)!;
        var written = JsonNode.Parse(JsonSerializer.Serialize(policy, Json.V1Alpha1SequenceSyncPolicy))!;
        Assert.True(JsonNode.DeepEquals(original, written), $"{original.ToJsonString()}\n!=\n{written.ToJsonString()}");
    }

    [Fact]
    public void Serialize_IsCamelCaseWithoutNullsAndWithEnumNames()
    {
        var policy = new V1Alpha1SequenceSyncPolicy
        {
            Metadata = new ObjectMeta { Name = "p", Namespace = "n" },
            Spec = new SequenceSyncPolicySpec
            {
                Database = new DatabaseSpec { SecretRef = new SecretReference { Name = "s" }, SslMode = DatabaseSslMode.VerifyCA },
                Mode = PolicyMode.Repair,
            },
        };
        var json = JsonNode.Parse(JsonSerializer.Serialize(policy, Json.V1Alpha1SequenceSyncPolicy))!;
        Assert.Equal("Repair", json["spec"]!["mode"]!.GetValue<string>());
        Assert.Equal("VerifyCA", json["spec"]!["database"]!["sslMode"]!.GetValue<string>());
        Assert.Equal("s", json["spec"]!["database"]!["secretRef"]!["name"]!.GetValue<string>());
        Assert.False(json["spec"]!.AsObject().ContainsKey("tables"));
        Assert.False(json.AsObject().ContainsKey("status"));
        Assert.False(json["metadata"]!.AsObject().ContainsKey("uid"));
        Assert.False(json["spec"]!.AsObject().ContainsKey("hasExplicitTables"));
    }

    [Fact]
    public void Deserialize_WithoutRequiredFields_Throws()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"spec":{}}""", Json.V1Alpha1SequenceSyncPolicy));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(
            """{"spec":{"database":{"secretRef":{}}}}""",
            Json.V1Alpha1SequenceSyncPolicy));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(
            """{"database":{"secretRef":{"name":"s"}},"tables":[{"column":"id"}]}""",
            Json.SequenceSyncPolicySpec));
    }

    [Fact]
    public void Status_RoundTrips_WithRfc3339TimesAndNullableLongs()
    {
        var status = new SequenceSyncPolicyStatus
        {
            ObservedGeneration = 3,
            LastCheckTime = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)),
            SequencesChecked = 1,
            Sequences =
            [
                new SequenceStatusEntry
                {
                    Schema = "public", Table = "cards", Column = "id", SequenceSchema = "public", SequenceName = "cards_id_seq",
                    MaxValue = null,
                    NextValue = 10,
                    BehindBy = 5,
                    CapacityUsed = 0.25,
                    Status = SequenceEntryStatus.Behind,
                    Message = "behind",
                },
            ],
        }.WithReady(SequenceSyncPolicyReasons.CheckSucceeded, "ok", new DateTimeOffset(2025, 1, 2, 1, 4, 5, TimeSpan.Zero));

        var text = JsonSerializer.Serialize(status, Json.SequenceSyncPolicyStatus);
        var json = JsonNode.Parse(text)!;
        Assert.Equal("2025-01-02T01:04:05Z", json["lastCheckTime"]!.GetValue<string>());
        Assert.Equal("2025-01-02T01:04:05Z", json["conditions"]![0]!["lastTransitionTime"]!.GetValue<string>());
        Assert.Equal("Behind", json["sequences"]![0]!["status"]!.GetValue<string>());
        Assert.False(json["sequences"]![0]!.AsObject().ContainsKey("maxValue"));
        Assert.False(json.AsObject().ContainsKey("lastRepairTime"));
        Assert.False(json.AsObject().ContainsKey("isReady"));
        Assert.Equal(
            ["schema", "table", "column", "sequenceSchema", "sequenceName", "nextValue", "behindBy", "capacityUsed", "status", "message"],
            json["sequences"]![0]!.AsObject().Select(p => p.Key));

        var back = JsonSerializer.Deserialize(text, Json.SequenceSyncPolicyStatus)!;
        Assert.Equal(status.LastCheckTime, back.LastCheckTime);
        Assert.Equal(status.Sequences![0], back.Sequences![0]);
        Assert.Equal(status.Conditions![0], back.Conditions![0]);
        Assert.True(back.IsReady);
    }

    [Fact]
    public void List_Deserializes_ItemsAndContinueToken()
    {
        const string json = """
            {"apiVersion":"sequences.cityforge.io/v1alpha1","kind":"SequenceSyncPolicyList",
             "metadata":{"resourceVersion":"42","continue":"abc"},
             "items":[{"metadata":{"name":"a","generation":2},"spec":{"database":{"secretRef":{"name":"s"}}}}]}
            """;
        var list = JsonSerializer.Deserialize(json, Json.V1Alpha1SequenceSyncPolicyList)!;
        Assert.Equal("42", list.Metadata.ResourceVersion);
        Assert.Equal("abc", list.Metadata.Continue);
        var item = Assert.Single(list.Items);
        Assert.Equal(2, item.Metadata.Generation);
        Assert.Equal("5m", item.Spec.Interval);
        Assert.Equal(DatabaseSpec.DefaultPort, item.Spec.Database.Port);
        Assert.False(item.Spec.HasExplicitTables);
    }
}
