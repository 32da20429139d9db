using System.Text.Json.Nodes;
using SequenceOperator.Kubernetes.Configuration;
using YamlDotNet.Core;

namespace SequenceOperator.Tests.Kubernetes;

/// <summary>The YAML-to-JSON step that lets the kubeconfig be bound by source-generated code (no reflection).</summary>
public sealed class YamlJsonTests
{
    [Fact]
    public void Parse_MapsMappingsSequencesAndScalarsAsKubernetesToolingReadsThem()
    {
        var json = YamlJson.Parse("""
            name: prod
            port: 6443
            plainTrue: true
            quotedTrue: "true"
            upperFalse: FALSE
            tilde: ~
            empty:
            nullWord: null
            quotedNull: 'null'
            list:
              - a
              - 2
            nested: { x: "y" }
            """)!.AsObject();

        Assert.Equal("prod", (string?)json["name"]);
        Assert.Equal("6443", (string?)json["port"]); // numbers stay text: every field read is a string or a bool
        Assert.True((bool)json["plainTrue"]!);
        Assert.Equal("true", (string?)json["quotedTrue"]);
        Assert.False((bool)json["upperFalse"]!);
        Assert.Null(json["tilde"]);
        Assert.True(json.ContainsKey("empty"));
        Assert.Null(json["empty"]);
        Assert.Null(json["nullWord"]);
        Assert.Equal("null", (string?)json["quotedNull"]);
        Assert.Equal(["a", "2"], json["list"]!.AsArray().Select(n => (string?)n));
        Assert.Equal("y", (string?)json["nested"]!["x"]);
    }

    [Fact]
    public void Parse_EmptyText_IsNull_AndAnchorsResolve()
    {
        Assert.Null(YamlJson.Parse(string.Empty));
        var json = YamlJson.Parse("base: &b { server: https://x }\ncopy: *b\n")!;
        Assert.Equal("https://x", (string?)json["copy"]!["server"]);
    }

    [Fact]
    public void Parse_ANonScalarKey_IsAYamlError()
    {
        Assert.Throws<YamlException>(() => YamlJson.Parse("? [a, b]\n: c\n"));
    }

    [Fact]
    public void Kubeconfig_WithAValueOfTheWrongType_NamesTheFieldNotTheValue()
    {
        using var folder = new TempFolder();
        var path = folder.File("config", """
            clusters:
            - name: c
              cluster:
                server: https://127.0.0.1:1
                insecure-skip-tls-verify: [s3cr3t-value]
            """);
        var error = Assert.Throws<KubeconfigException>(() => KubeconfigLoader.Load([path], null, mustExist: true));
        Assert.Contains("insecure-skip-tls-verify", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", error.Message, StringComparison.Ordinal);
    }
}
