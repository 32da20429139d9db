namespace SequenceOperator.Tests.Deployment;

/// <summary>The restricted Pod Security Standard, as checks on a rendered Deployment.</summary>
internal static class PodSecurity
{
    public static void AssertRestricted(Manifest deployment)
    {
        var pod = deployment.Root.At("spec", "template", "spec");
        Assert.Equal("true", pod.Str("securityContext", "runAsNonRoot"));
        Assert.Equal("RuntimeDefault", pod.Str("securityContext", "seccompProfile", "type"));
        Assert.NotEqual("0", pod.At("securityContext", "runAsUser") as string);
        Assert.Null(pod.At("hostNetwork"));
        Assert.Null(pod.At("hostPID"));
        Assert.Null(pod.At("hostIPC"));

        var containers = pod.At("containers").List();
        Assert.NotEmpty(containers);
        Assert.Null(pod.At("initContainers"));
        foreach (var container in containers)
        {
            var context = container.At("securityContext");
            Assert.Equal("true", context.Str("runAsNonRoot"));
            Assert.Equal("false", context.Str("allowPrivilegeEscalation"));
            Assert.Equal("true", context.Str("readOnlyRootFilesystem"));
            Assert.Equal("false", context.Str("privileged"));
            Assert.Equal(["ALL"], context.Strings("capabilities", "drop"));
            Assert.Null(context.At("capabilities", "add"));
            Assert.Equal("RuntimeDefault", context.Str("seccompProfile", "type"));
            Assert.Null(container.At("ports") is List<object?> ports ? ports.FirstOrDefault(p => p.At("hostPort") is not null) : null);
        }

        // Only emptyDir volumes (no hostPath); /tmp is writable because the root filesystem is not.
        foreach (var volume in pod.At("volumes") as List<object?> ?? [])
        {
            Assert.NotNull(volume.At("emptyDir"));
        }

        Assert.Contains(containers[0].At("volumeMounts").List(), m => m.Str("mountPath") == "/tmp");
    }

    public static void AssertProbes(Manifest deployment)
    {
        var container = deployment.Root.At("spec", "template", "spec", "containers").List()[0];
        var healthPort = container.At("ports").List().Single(p => p.Str("name") == "health").Str("containerPort");
        Assert.Equal("/healthz", container.Str("livenessProbe", "httpGet", "path"));
        Assert.Equal("/readyz", container.Str("readinessProbe", "httpGet", "path"));
        Assert.Equal("health", container.Str("livenessProbe", "httpGet", "port"));
        Assert.Equal("health", container.Str("readinessProbe", "httpGet", "port"));
        Assert.Contains($"--health-port={healthPort}", container.Strings("args"));
    }
}
