using System.Text.RegularExpressions;

namespace SequenceOperator.Tests.Deployment;

public sealed partial class SampleTests
{
    public static TheoryData<string> Samples => new(Directory.GetFiles(RepoPaths.File("config", "samples"), "*.yaml")
        .Select(Path.GetFileName).Order(StringComparer.Ordinal).Select(f => f!));

    [Theory]
    [MemberData(nameof(Samples))]
    public void Sample_IsAValidPolicy(string file)
    {
        var policy = new Manifest(Yaml.Parse(RepoPaths.ReadText("config", "samples", file)).Map());

        Assert.Equal("sequences.cityforge.io/v1alpha1", policy.ApiVersion);
        Assert.Equal("SequenceSyncPolicy", policy.Kind);
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", policy.Name);
        var spec = policy.Root.At("spec");
        Assert.False(string.IsNullOrEmpty(spec.Str("database", "secretRef", "name")));
        Assert.Contains(spec.At("mode") as string ?? "Observe", (string[])["Observe", "Repair"]);
        Assert.True(Duration(spec.At("interval") as string ?? "5m") >= TimeSpan.FromSeconds(10));
        var tables = spec.At("tables").List();
        Assert.NotEmpty(tables);
        Assert.Equal(tables.Count, tables.Select(t => t.Str("name")).Distinct().Count());
        if (spec.At("repair", "lockTimeout") is string lockTimeout)
        {
            Assert.True(Duration(lockTimeout) > TimeSpan.Zero);
        }

        Assert.Null(policy.Root.At("spec", "database", "password"));

        // Against the CRD's schema: with the generated CRD this checks field names, types and enums.
        var crd = Yaml.Parse(RepoPaths.ReadText("config", "crd", "sequences.cityforge.io_sequencesyncpolicies.yaml"));
        var schema = crd.At("spec", "versions").List().Single(v => v.Str("name") == "v1alpha1").At("schema", "openAPIV3Schema");
        var errors = CrdSchema.Validate(policy.Root.At("spec"), schema.At("properties", "spec"), "spec");
        Assert.True(errors.Count == 0, $"{file} does not match the CRD:\n" + string.Join('\n', errors));
    }

    [Fact]
    public void Samples_Worcester_CoversTheIncidentTablesInRepairMode()
    {
        var spec = Yaml.Parse(RepoPaths.ReadText("config", "samples", "worcester.yaml")).At("spec");

        Assert.Equal(["cards", "card_submissions", "tags", "forum_categories", "card_modifications"],
            spec.At("tables").List().Select(t => t.Str("name")));
        Assert.Equal("Repair", spec.Str("mode"));
        Assert.Equal("worcester", Yaml.Parse(RepoPaths.ReadText("config", "samples", "worcester.yaml")).Str("metadata", "namespace"));
        Assert.Equal("shrewsbuddy", Yaml.Parse(RepoPaths.ReadText("config", "samples", "shrewsbuddy.yaml")).Str("metadata", "namespace"));
    }

    [Fact]
    public void Samples_CustomKeyColumns_NameTheirKeyColumns()
    {
        var tables = Yaml.Parse(RepoPaths.ReadText("config", "samples", "custom-key-columns.yaml")).At("spec", "tables").List()
            .ToDictionary(t => t.Str("name"), t => t.At("column") as string);

        Assert.Equal("id_anime", tables["ak_animes"]);
        Assert.Equal("id_manga", tables["ak_mangas"]);
        Assert.Equal("id_jeu", tables["ak_jeux_video"]);
        Assert.Equal("id_screen", tables["ak_screenshots"]);
        Assert.Equal("id_critique", tables["ak_critiques"]);
        Assert.Equal("id_article", tables["ak_articles"]);
        Assert.Equal("id_member", tables["smf_members"]);
    }

    [Fact]
    public void CrdSchema_RejectsWhatTheApiServerWould()
    {
        var schema = Yaml.Parse("""
            type: object
            required: [database]
            properties:
              database: {type: object, properties: {port: {type: integer, minimum: 1}}}
              mode: {type: string, enum: [Observe, Repair]}
              tables: {type: array, items: {type: object, properties: {name: {type: string}}}}
            """);

        Assert.Empty(CrdSchema.Validate(Yaml.Parse("{database: {port: 5432}, mode: Repair, tables: [{name: cards}]}"), schema));
        Assert.Equal(4, CrdSchema.Validate(Yaml.Parse("{mode: Fix, tables: [{name: cards, colum: id}], extra: 1}"), schema).Count);
        Assert.Single(CrdSchema.Validate(Yaml.Parse("{database: {port: 0}}"), schema));
    }

    private static TimeSpan Duration(string text)
    {
        var match = DurationPattern().Match(text);
        Assert.True(match.Success, $"'{text}' is not a duration like 10s, 5m, 1h30m");
        var total = TimeSpan.Zero;
        foreach (Match part in PartPattern().Matches(text))
        {
            var n = long.Parse(part.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            total += part.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromHours(n),
            };
        }

        return total;
    }

    [GeneratedRegex("^([0-9]+(ms|s|m|h))+$", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();

    [GeneratedRegex("([0-9]+)(ms|s|m|h)", RegexOptions.CultureInvariant)]
    private static partial Regex PartPattern();
}
