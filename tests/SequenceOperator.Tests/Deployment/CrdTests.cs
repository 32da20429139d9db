namespace SequenceOperator.Tests.Deployment;

public sealed class CrdTests
{
    private const string FileName = "sequences.cityforge.io_sequencesyncpolicies.yaml";

    [Fact]
    public void Crd_InTheChart_IsByteIdenticalToConfigCrd()
    {
        var generated = File.ReadAllBytes(RepoPaths.File("config", "crd", FileName));
        var shipped = File.ReadAllBytes(RepoPaths.File("charts", "sequence-operator", "crds", FileName));

        Assert.NotEmpty(generated);
        Assert.True(generated.AsSpan().SequenceEqual(shipped),
            $"charts/sequence-operator/crds/{FileName} differs from config/crd/{FileName}: copy the generated file over it.");
        Assert.Equal([FileName], Directory.GetFiles(RepoPaths.File("charts", "sequence-operator", "crds")).Select(Path.GetFileName));
    }

    [Fact]
    public void Crd_DefinesSequenceSyncPolicy()
    {
        var crd = new Manifest(Yaml.Parse(RepoPaths.ReadText("config", "crd", FileName)).Map());

        Assert.Equal("CustomResourceDefinition", crd.Kind);
        Assert.Equal("sequencesyncpolicies.sequences.cityforge.io", crd.Name);
        var spec = crd.Root.At("spec");
        Assert.Equal("sequences.cityforge.io", spec.Str("group"));
        Assert.Equal("Namespaced", spec.Str("scope"));
        Assert.Equal("SequenceSyncPolicy", spec.Str("names", "kind"));
        Assert.Equal("sequencesyncpolicies", spec.Str("names", "plural"));
        Assert.Contains("ssp", spec.Strings("names", "shortNames"));
        var version = spec.At("versions").List().Single(v => v.Str("name") == "v1alpha1");
        Assert.Equal("true", version.Str("served"));
        Assert.Equal("true", version.Str("storage"));
        Assert.NotNull(version.At("subresources", "status"));
        Assert.Equal("object", version.Str("schema", "openAPIV3Schema", "type"));
    }

    [ToolFact]
    public void Chart_InstallsTheCrdFromCrdsFolderNotAsATemplate()
    {
        Assert.Empty(Chart.Render().OfKind("CustomResourceDefinition"));

        var withCrds = Yaml.Manifests(Chart.Template("", "--include-crds").EnsureSuccess("helm template --include-crds").Stdout);
        Assert.Equal("sequencesyncpolicies.sequences.cityforge.io", withCrds.Single("CustomResourceDefinition").Name);
    }
}
