using SequenceOperator.Cli;
using SequenceOperator.Entities;
using SequenceOperator.Testing.Operator;
using SequenceOperator.Tests.Infrastructure;

namespace SequenceOperator.Tests.Operator;

/// <summary><c>sequence-operator run</c> as a user starts it: flags, a kubeconfig file, SIGTERM-like cancellation.</summary>
[Collection(PostgresCollection.Name)]
public sealed class RunCommandTests(PostgresFixture fixture)
{
    [Fact]
    public async Task Run_WithAKubeconfigFile_ReconcilesAndStopsCleanlyOnCancellation()
    {
        await using var env = await OperatorEnvironment.StartAsync(fixture.Server);
        await env.CreateTenantAsync("worcester", "CREATE TABLE cards (id serial PRIMARY KEY); INSERT INTO cards (id) VALUES (42);");
        await env.CreatePolicyAsync("worcester", "cityforge", new SequenceSyncPolicySpec
        {
            Database = new DatabaseSpec { SecretRef = new SecretReference { Name = "cityforge-db-credentials" } },
        });

        var dir = Directory.CreateTempSubdirectory("seqop-kubeconfig-");
        try
        {
            var kubeconfig = Path.Combine(dir.FullName, "config");
            var certificateAuthorityData = Convert.ToBase64String(
                System.Text.Encoding.ASCII.GetBytes(env.Api.CertificateAuthority!.CertificatePem));
            await File.WriteAllTextAsync(kubeconfig, $"""
                apiVersion: v1
                kind: Config
                current-context: test
                clusters:
                - name: double
                  cluster:
                    server: {env.Api.BaseAddress}
                    certificate-authority-data: {certificateAuthorityData}
                users:
                - name: operator
                  user:
                    token: {OperatorEnvironment.Token}
                contexts:
                - name: test
                  context:
                    cluster: double
                    user: operator
                    namespace: sequence-operator-system
                """);
            using var stop = new CancellationTokenSource();
            using var stdout = new StringWriter();
            using var stderr = new StringWriter();
            var run = CommandLine.RunAsync(
                ["run", "--kubeconfig", kubeconfig, "--metrics-port", "0", "--health-port", "1"], stdout, stderr, stop.Token,
                environment: name => name switch
                {
                    "SEQUENCE_OPERATOR_METRICS_PORT" => null,
                    _ => null,
                });

            // Ports 0 and 1 are rejected: a clear usage error, before anything starts.
            Assert.Equal(2, await run);
            Assert.Contains("--metrics-port must be from 1 to 65535", stderr.ToString());

            var ports = Testing.LoopbackPorts.Free(2);
            var running = CommandLine.RunAsync(
                [
                    "run",
                    "--kubeconfig",
                    kubeconfig,
                    "--metrics-port",
                    ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--health-port",
                    ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--log-format",
                    "json",
                ],
                stdout, stderr, stop.Token, environment: _ => null);
            var policy = await env.WaitForPolicyAsync("worcester", "cityforge", p => p.Status?.SequencesBehind == 1);
            Assert.True(policy.Status!.IsReady);

            await stop.CancelAsync();
            Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
