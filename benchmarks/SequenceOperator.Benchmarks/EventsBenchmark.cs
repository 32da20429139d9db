using System.Globalization;
using System.Text.Json.Serialization.Metadata;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Events;
using SequenceOperator.Kubernetes.Models;

namespace SequenceOperator.Benchmarks;

/// <summary>
/// What the <see cref="EventRecorder"/> keeps in memory for each series it remembers: <c>--policies</c> policies each
/// record <c>--per-policy</c> distinct Warning events (notes as the reconciler writes them for sequences behind). The
/// policies' references stay alive throughout, as the informer's cache keeps them; each note is dropped once recorded.
/// The client answers every create at once with the Event sent, so recording completes synchronously and the live heap
/// (a full collection) before and after it differs only by what the recorder keeps. Usage:
/// <c>events [--policies 2000] [--per-policy 11]</c>.
/// </summary>
internal static class EventsBenchmark
{
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        var policies = 2000;
        var perPolicy = 11;
        BenchmarkArguments.Read(args, [
            ("--policies", value => policies = BenchmarkArguments.WholeNumber(value)),
            ("--per-policy", value => perPolicy = BenchmarkArguments.WholeNumber(value)),
        ]);

        var regarding = Enumerable.Range(0, policies).Select(p => new ObjectReference
        {
            ApiVersion = "cityforge.io/v1alpha1",
            Kind = "SequenceSyncPolicy",
            Namespace = string.Create(CultureInfo.InvariantCulture, $"tenant-{p:D4}"),
            Name = "sequences",
            Uid = Guid.NewGuid().ToString(),
        }).ToList();
        var series = policies * perPolicy;
        using var recorder = new EventRecorder(new AcceptingClient(), new EventRecorderOptions
        {
            MaxTrackedSeries = Math.Max(new EventRecorderOptions().MaxTrackedSeries, series),
        });

        var before = GC.GetTotalMemory(forceFullCollection: true);
        foreach (var policy in regarding)
        {
            for (var t = 1; t <= perPolicy; t++)
            {
                await recorder.RecordAsync(policy, EventType.Warning, "SequenceBehind", string.Create(CultureInfo.InvariantCulture,
                    $"Sequence public.t_{t:D3}_id_seq of public.t_{t:D3}.id is behind by 999: next value 1001, highest value in use 2000."),
                    "Check");
            }
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(regarding); // alive in both measurements, as in the informer's cache
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"events: {policies} policies x {perPolicy} series"));
        output.WriteLine("| series remembered | live heap before (MB) | after (MB) | bytes per series |");
        output.WriteLine("|---:|---:|---:|---:|");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {recorder.TrackedSeries} | {before / 1048576.0:F1} | {after / 1048576.0:F1} | {(after - before) / (double)series:F0} |"));
        return recorder.TrackedSeries == series ? 0 : 1;
    }

    /// <summary>Answers each create at once with the object sent, as the API server would; the recorder needs nothing else.</summary>
    private sealed class AcceptingClient : IKubernetesClient
    {
        public string DefaultNamespace => "default";

        public Task<T> CreateAsync<T>(ResourceType type, T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
            where T : class, IKubernetesObject => Task.FromResult(value);

        public Task<T> GetAsync<T>(ResourceType type, string? @namespace, string name, JsonTypeInfo<T> typeInfo,
            CancellationToken cancellationToken = default)
            where T : class, IKubernetesObject => throw new NotSupportedException();

        public Task<T?> TryGetAsync<T>(ResourceType type, string? @namespace, string name, JsonTypeInfo<T> typeInfo,
            CancellationToken cancellationToken = default)
            where T : class, IKubernetesObject => throw new NotSupportedException();

        public Task<KubernetesList<T>> ListAsync<T>(ResourceType type, string? @namespace, JsonTypeInfo<T> typeInfo,
            ListOptions? options = null, CancellationToken cancellationToken = default)
            where T : class, IKubernetesObject => throw new NotSupportedException();

        public Task<T> ReplaceAsync<T>(ResourceType type, T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
            where T : class, IKubernetesObject => throw new NotSupportedException();

        public Task<T> ReplaceStatusAsync<T>(ResourceType type, T value, JsonTypeInfo<T> typeInfo,
            CancellationToken cancellationToken = default)
            where T : class, IKubernetesObject => throw new NotSupportedException();

        public Task<T> PatchAsync<T>(ResourceType type, string? @namespace, string name, KubernetesPatch patch, JsonTypeInfo<T> typeInfo,
            CancellationToken cancellationToken = default)
            where T : class, IKubernetesObject => throw new NotSupportedException();

        public Task<T> PatchStatusAsync<T>(ResourceType type, string? @namespace, string name, KubernetesPatch patch,
            JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
            where T : class, IKubernetesObject => throw new NotSupportedException();

        public Task DeleteAsync(ResourceType type, string? @namespace, string name, DeleteOptions? options = null,
            CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(ResourceType type, string? @namespace, JsonTypeInfo<T> typeInfo,
            WatchOptions? options = null, CancellationToken cancellationToken = default)
            where T : class, IKubernetesObject => throw new NotSupportedException();
    }
}
