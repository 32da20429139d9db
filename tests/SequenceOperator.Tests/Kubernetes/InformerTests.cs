using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using SequenceOperator.Kubernetes;
using SequenceOperator.Kubernetes.Informers;
using SequenceOperator.Testing.Kubernetes;

namespace SequenceOperator.Tests.Kubernetes;

public sealed class InformerTests
{
    private static readonly ApiResourceDefinition Widgets = TestResources.WidgetDefinition;

    private static InformerOptions FastOptions(params string[] namespaces) => new()
    {
        Namespaces = namespaces,
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(200),
        WatchTimeout = TimeSpan.FromMinutes(5),
    };

    private static JsonObject WidgetJson(string name, string ns = "default", int size = 1) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = new JsonObject { ["size"] = size },
    };

    [Fact]
    public async Task Informer_InitialList_SyncsCacheAndEmitsAdded()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Store.Create(Widgets, "default", WidgetJson("a"));
        env.Server.Store.Create(Widgets, "default", WidgetJson("b"));
        var informer = new Informer<Widget>(env.Client, TestResources.Widgets, TestJsonContext.Default.Widget, FastOptions());
        using var subscription = informer.Subscribe();
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);

        await informer.WaitForSyncAsync().WaitAsync(Eventually.Limit);
        Assert.True(informer.HasSynced);
        Assert.Equal(["a", "b"], informer.List().Select(w => w.Metadata.Name).Order());
        var first = await Eventually.NextAsync(subscription.Reader);
        var second = await Eventually.NextAsync(subscription.Reader);
        Assert.All([first, second], e => Assert.Equal(InformerEventType.Added, e.Type));

        using var late = informer.Subscribe(replayExisting: true);
        var replayed = await Eventually.DrainAsync(late.Reader, TimeSpan.FromMilliseconds(200));
        Assert.Equal(["a", "b"], replayed.Select(e => e.Object.Metadata.Name).Order());
        Assert.All(replayed, e => Assert.Equal(InformerEventType.Added, e.Type));

        env.Server.Store.Patch(Widgets, "default", "a", "application/merge-patch+json", """{"spec":{"size":3}}""");
        Assert.Equal(InformerEventType.Modified, (await Eventually.NextAsync(late.Reader)).Type);
        var modified = await Eventually.NextAsync(subscription.Reader);
        Assert.Equal((InformerEventType.Modified, "a", 3), (modified.Type, modified.Object.Metadata.Name, modified.Object.Spec!.Size));
        Assert.Equal(3, informer.Get("default", "a")!.Spec!.Size);

        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Limit);
    }

    [Fact]
    public async Task Informer_AfterDrop_ResumesFromLastResourceVersion()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Faults.Add(FaultRule.DropWatch(afterEvents: 1, times: 1));
        var informer = new Informer<Widget>(env.Client, TestResources.Widgets, TestJsonContext.Default.Widget, FastOptions());
        var restarts = new ConcurrentQueue<WatchRestartReason>();
        informer.WatchRestarted += (_, e) => restarts.Enqueue(e.Reason);
        using var subscription = informer.Subscribe();
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(Eventually.Limit);

        var first = env.Server.Store.Create(Widgets, "default", WidgetJson("first"));
        Assert.Equal("first", (await Eventually.NextAsync(subscription.Reader)).Object.Metadata.Name);
        await Eventually.WaitAsync(() => env.Server.CountRequests("watch") == 2, "a second watch");

        var second = env.Server.Store.Create(Widgets, "default", WidgetJson("second"));
        var next = await Eventually.NextAsync(subscription.Reader);
        Assert.Equal((InformerEventType.Added, "second"), (next.Type, next.Object.Metadata.Name));

        var watches = env.Server.Requests.Where(r => r.Verb == "watch").ToList();
        Assert.Equal(first["metadata"]!["resourceVersion"]!.GetValue<string>(), watches[1].QueryValue("resourceVersion"));
        Assert.Equal(1, env.Server.CountRequests("list"));
        Assert.Equal([WatchRestartReason.Failed], restarts);
        Assert.Equal(1, informer.WatchRestarts);
        Assert.Empty(await Eventually.DrainAsync(subscription.Reader, TimeSpan.FromMilliseconds(300)));
        Assert.Equal(second["metadata"]!["uid"]!.GetValue<string>(), informer.Get("default", "second")!.Metadata.Uid);

        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Limit);
    }

    [Fact]
    public async Task Informer_WatchEndedByServer_ResumesFromBookmarkVersion()
    {
        await using var env = await KubernetesTestServer.StartAsync(new FakeKubeApiServerOptions
        {
            BookmarkInterval = TimeSpan.FromMilliseconds(100),
            MaxWatchDuration = TimeSpan.FromMilliseconds(800),
        });
        var informer = new Informer<Widget>(env.Client, TestResources.Widgets, TestJsonContext.Default.Widget, FastOptions());
        var restarts = new ConcurrentQueue<WatchRestartReason>();
        informer.WatchRestarted += (_, e) => restarts.Enqueue(e.Reason);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(Eventually.Limit);

        // Only another resource changes: just bookmarks can tell the informer the newer version.
        var secret = env.Server.Store.Create(
            ApiResourceDefinition.Secrets,
            "default",
            new JsonObject { ["metadata"] = new JsonObject { ["name"] = "s" } });
        var secretVersion = long.Parse(secret["metadata"]!["resourceVersion"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        await Eventually.WaitAsync(
            () => env.Server.Requests.Any(r => r.Verb == "watch" && long.Parse(
                r.QueryValue("resourceVersion")!,
                CultureInfo.InvariantCulture) >= secretVersion),
            "a watch resumed from the bookmark's version");
        Assert.Contains(WatchRestartReason.Closed, restarts);
        Assert.Equal(1, env.Server.CountRequests("list"));

        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Limit);
    }

    [Fact]
    public async Task Informer_On410_RelistsAndEmitsEachDeletionExactlyOnce()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        foreach (var name in new[] { "w0", "w1", "w2", "w3" })
        {
            env.Server.Store.Create(Widgets, "default", WidgetJson(name));
        }

        var informer = new Informer<Widget>(env.Client, TestResources.Widgets, TestJsonContext.Default.Widget, FastOptions());
        var restarts = new ConcurrentQueue<WatchRestartReason>();
        informer.WatchRestarted += (_, e) => restarts.Enqueue(e.Reason);
        using var subscription = informer.Subscribe();
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(Eventually.Limit);
        Assert.Equal(4, (await Eventually.DrainAsync(subscription.Reader, TimeSpan.FromMilliseconds(200))).Count);

        // Seen while connected: w0 deleted.
        await Eventually.WaitAsync(() => env.Server.CountRequests("watch") == 1, "the first watch");
        env.Server.Store.Delete(Widgets, "default", "w0");
        var deleted = await Eventually.NextAsync(subscription.Reader);
        Assert.Equal((InformerEventType.Deleted, "w0"), (deleted.Type, deleted.Object.Metadata.Name));

        // Disconnected: the watch breaks and cannot reconnect while things change and history is compacted.
        var outage = env.Server.Faults.Add(FaultRule.Error("watch", 500, times: null));
        Assert.Equal(1, env.Server.DropActiveWatches());
        await Eventually.WaitAsync(() => outage.Hits >= 1, "the watch to be down");
        env.Server.Store.Delete(Widgets, "default", "w1");
        env.Server.Store.Patch(Widgets, "default", "w2", "application/merge-patch+json", """{"spec":{"size":9}}""");
        env.Server.Store.Create(Widgets, "default", WidgetJson("w4"));
        env.Server.CompactHistory();
        env.Server.Faults.Remove(outage);

        await Eventually.WaitAsync(() => restarts.Contains(WatchRestartReason.Expired), "a 410 and a relist");
        await Eventually.WaitAsync(
            () => informer.Get("default", "w4") is not null && informer.Get("default", "w1") is null,
            "the relisted cache");
        var changes = await Eventually.DrainAsync(subscription.Reader, TimeSpan.FromMilliseconds(500));

        var deletion = Assert.Single(changes, c => c.Type == InformerEventType.Deleted);
        Assert.Equal("w1", deletion.Object.Metadata.Name);
        Assert.Contains(changes, c => c.Type == InformerEventType.Modified && c.Object.Metadata.Name == "w2" && c.Object.Spec!.Size == 9);
        Assert.Single(changes, c => c.Type == InformerEventType.Added && c.Object.Metadata.Name == "w4");
        Assert.DoesNotContain(changes, c => c.Object.Metadata.Name is "w0" or "w3");
        Assert.Equal(["w2", "w3", "w4"], informer.List().Select(w => w.Metadata.Name).Order());
        Assert.Equal(2, env.Server.CountRequests("list"));

        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Limit);
    }

    [Fact]
    public async Task Informer_WithNamespaces_ListsAndWatchesOnlyThose()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Store.Create(Widgets, "a", WidgetJson("x", "a"));
        env.Server.Store.Create(Widgets, "b", WidgetJson("y", "b"));
        env.Server.Store.Create(Widgets, "c", WidgetJson("z", "c"));
        var informer = new Informer<Widget>(env.Client, TestResources.Widgets, TestJsonContext.Default.Widget, FastOptions("a", "b"));
        using var subscription = informer.Subscribe();
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(Eventually.Limit);

        Assert.Equal(["a", "b"], informer.List().Select(w => w.Metadata.Namespace).Order());
        await Eventually.WaitAsync(() => env.Server.CountRequests("watch") == 2, "two watches");
        env.Server.Store.Create(Widgets, "c", WidgetJson("ignored", "c"));
        env.Server.Store.Create(Widgets, "b", WidgetJson("seen", "b"));
        var changes = await Eventually.DrainAsync(subscription.Reader, TimeSpan.FromMilliseconds(400));
        Assert.Contains(changes, c => c.Object.Metadata.Name == "seen");
        Assert.DoesNotContain(changes, c => c.Object.Metadata.Namespace == "c");
        Assert.Equal(
            ["/apis/example.com/v1/namespaces/a/widgets", "/apis/example.com/v1/namespaces/b/widgets"],
            env.Server.Requests.Where(r => r.Verb == "watch").Select(r => r.Path).Order());

        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Limit);
    }

    [Fact]
    public async Task Informer_ListFailing_KeepsRetryingUntilItSyncs()
    {
        await using var env = await KubernetesTestServer.StartAsync(clientOptions: new KubernetesClientOptions { MaxRetryAttempts = 0 });
        env.Server.Store.Create(Widgets, "default", WidgetJson("a"));
        env.Server.Faults.Add(FaultRule.Error("list", 500, times: 3));
        var informer = new Informer<Widget>(env.Client, TestResources.Widgets, TestJsonContext.Default.Widget, FastOptions());
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(Eventually.Limit);
        Assert.Equal(4, env.Server.CountRequests("list"));
        Assert.NotNull(informer.Get("default", "a"));
        Assert.True(informer.LastActivity > DateTimeOffset.UtcNow - informer.StallThreshold);

        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Limit);
    }

    [Fact]
    public async Task Informer_SilentDeadWatch_IsDetectedAndReconnected()
    {
        await using var env = await KubernetesTestServer.StartAsync();
        env.Server.Faults.Add(FaultRule.Stall(times: 1));
        var options = FastOptions();
        options.WatchTimeout = TimeSpan.FromSeconds(1);
        options.StallGrace = TimeSpan.FromMilliseconds(500);
        var informer = new Informer<Widget>(env.Client, TestResources.Widgets, TestJsonContext.Default.Widget, options);
        var restarts = new ConcurrentQueue<WatchRestartReason>();
        informer.WatchRestarted += (_, e) => restarts.Enqueue(e.Reason);
        using var subscription = informer.Subscribe();
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(Eventually.Limit);

        // Created while the only watch is dead: delivered once the informer gives up on it and reconnects.
        env.Server.Store.Create(Widgets, "default", WidgetJson("late"));
        var change = await Eventually.NextAsync(subscription.Reader);
        Assert.Equal((InformerEventType.Added, "late"), (change.Type, change.Object.Metadata.Name));
        Assert.Equal(WatchRestartReason.Stalled, restarts.First());

        await stop.CancelAsync();
        await run.WaitAsync(Eventually.Limit);
    }
}
