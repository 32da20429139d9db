using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SequenceOperator.Testing.Kubernetes;

/// <summary>
/// An in-process kube-apiserver double on loopback (real Kestrel, HTTPS by default with an in-process CA): REST
/// paths for core and grouped resources, namespaced and cluster-scoped; get, list (paged, consistent continue
/// tokens), watch (from a version, bookmarks, 410 in the stream past the history window), create, update, patch
/// (merge and JSON), status subresource, delete (finalizers); Status bodies as the real server writes them; and
/// test hooks: faults, authentication, a request log, and direct access to the <see cref="Store"/>.
/// </summary>
public sealed class FakeKubeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<(string Group, string Version, string Plural), ApiResourceDefinition> _resources = [];
    private readonly Lock _lock = new();
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<Exception> _errors = [];
    private readonly HashSet<HttpContext> _activeWatches = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly X509Certificate2? _serverCertificate;

    private FakeKubeApiServer(FakeKubeApiServerOptions options)
    {
        Store = new ObjectStore(historyLimit: options.HistoryLimit);
        BookmarkInterval = options.BookmarkInterval;
        MaxWatchDuration = options.MaxWatchDuration;
        Security.Required = options.RequireAuthentication;
        foreach (var resource in new[]
        {
            ApiResourceDefinition.Secrets,
            ApiResourceDefinition.Events,
            ApiResourceDefinition.Leases,
        }.Concat(options.Resources))
        {
            Register(resource);
        }

        if (options.Https)
        {
            CertificateAuthority = new TestCertificateAuthority();
            _serverCertificate = CertificateAuthority.IssueServerCertificate(["localhost"], [IPAddress.Loopback]);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                if (_serverCertificate is not null)
                {
                    listen.UseHttps(https =>
                    {
                        https.ServerCertificate = _serverCertificate;
                        https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                        https.AllowAnyClientCertificate();
                    });
                }
            });
        });
        _app = builder.Build();
        _app.Run(HandleAsync);
    }

    public ObjectStore Store { get; }

    public ServerSecurity Security { get; } = new();

    public FaultInjector Faults { get; } = new();

    /// <summary>The CA that signed the serving certificate and signs accepted client certificates (null over HTTP).</summary>
    public TestCertificateAuthority? CertificateAuthority { get; }

    /// <summary><c>https://127.0.0.1:port</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    public TimeSpan BookmarkInterval { get; set; }

    public TimeSpan MaxWatchDuration { get; set; }

    /// <summary>Every request received so far.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_lock)
            {
                return _requests.ToList();
            }
        }
    }

    /// <summary>Exceptions the double itself failed with (answered as 500): a test can assert there are none.</summary>
    public IReadOnlyList<Exception> UnhandledErrors
    {
        get
        {
            lock (_lock)
            {
                return _errors.ToList();
            }
        }
    }

    public static async Task<FakeKubeApiServer> StartAsync(
        FakeKubeApiServerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var server = new FakeKubeApiServer(options ?? new FakeKubeApiServerOptions());
        await server._app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return server;
    }

    public void Register(ApiResourceDefinition resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (_lock)
        {
            _resources[(resource.Group, resource.Version, resource.Plural)] = resource;
        }
    }

    /// <summary>Forgets the watch history now (an etcd compaction): older versions and continue tokens answer 410.</summary>
    public void CompactHistory() => Store.Compact();

    /// <summary>Breaks every open watch connection now (as a network failure or an API-server restart would).</summary>
    public int DropActiveWatches()
    {
        List<HttpContext> watches;
        lock (_lock)
        {
            watches = _activeWatches.ToList();
        }

        foreach (var watch in watches)
        {
            watch.Abort();
        }

        return watches.Count;
    }

    /// <summary>How many watches are open now.</summary>
    public int ActiveWatchCount
    {
        get
        {
            lock (_lock)
            {
                return _activeWatches.Count;
            }
        }
    }

    /// <summary>How many requests had this verb (and resource plural).</summary>
    public int CountRequests(string verb, string? plural = null) =>
        Requests.Count(r => r.Verb == verb && (plural is null || r.Info.Resource?.Plural == plural));

    public void ClearRequests()
    {
        lock (_lock)
        {
            _requests.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _serverCertificate?.Dispose();
        CertificateAuthority?.Dispose();
        _stopping.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var info = Resolve(context.Request);
        var record = new RecordedRequest
        {
            Info = info,
            UserAgent = context.Request.Headers.UserAgent.ToString(),
            Authorization = context.Request.Headers.Authorization.ToString() is { Length: > 0 } auth ? auth : null,
            ContentType = context.Request.ContentType,
            ClientCertificateSubject = context.Connection.ClientCertificate?.Subject,
        };
        lock (_lock)
        {
            _requests.Add(record);
        }

        try
        {
            var faults = Faults.Take(info);
            foreach (var latency in faults.Where(f => f.Latency is not null))
            {
                await Task.Delay(latency.Latency!.Value, context.RequestAborted).ConfigureAwait(false);
            }

            if (faults.Any(f => f.ResetConnection))
            {
                record.StatusCode = -1;
                context.Abort();
                return;
            }

            if (faults.FirstOrDefault(f => f.StatusCode is not null) is { } error)
            {
                if (error.RetryAfterSeconds is int seconds)
                {
                    context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                }

                var reason = error.StatusCode switch
                {
                    429 => "TooManyRequests",
                    503 => "ServiceUnavailable",
                    504 => "Timeout",
                    401 => "Unauthorized",
                    403 => "Forbidden",
                    _ => "InternalError",
                };
                var details = error.RetryAfterSeconds is int retry ? new JsonObject { ["retryAfterSeconds"] = retry } : null;
                var message = error.StatusCode == 429
                    ? "Too many requests, please try again later."
                    : "Internal error occurred: injected fault";
                throw new ApiErrorException(error.StatusCode!.Value, reason, message, details);
            }

            record.User = Authenticate(context);
            if (record.User is null)
            {
                throw new ApiErrorException(401, "Unauthorized", "Unauthorized");
            }

            if (info.Resource is null)
            {
                throw new ApiErrorException(404, "NotFound", "the server could not find the requested resource");
            }

            if (Security.IsForbidden(info, record.User))
            {
                var scope = info.Namespace is null ? "at the cluster scope" : $"in the namespace \"{info.Namespace}\"";
                var what = info.Name is null ? info.Resource.QualifiedPlural : $"{info.Resource.QualifiedPlural} \"{info.Name}\"";
                throw new ApiErrorException(403, "Forbidden",
                    $"{what} is forbidden: User \"{record.User}\" cannot {info.Verb} resource \"{info.Resource.Plural}\" in API group "
                        + $"\"{info.Resource.Group}\" {scope}",
                    Statuses.Details(info.Resource, info.Name));
            }

            if (info.Verb == "watch" && faults.Any(f => f.StallWatch))
            {
                record.StatusCode = 200;
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/json";
                await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
                using var stalled = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
                await Task.Delay(Timeout.Infinite, stalled.Token).ConfigureAwait(false);
                return;
            }

            var drop = faults.FirstOrDefault(f => f.DropWatchAfterEvents is not null)?.DropWatchAfterEvents;
            await DispatchAsync(context, info, record, drop).ConfigureAwait(false);
        }
        catch (ApiErrorException e)
        {
            record.StatusCode = e.Code;
            if (!context.Response.HasStarted)
            {
                await WriteJsonAsync(context, e.Code, e.ToStatus()).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested || _stopping.IsCancellationRequested)
        {
            // The client went away or the server stops.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A bug in the double: answer 500 as the real server would, and keep it for the tests to see.
            lock (_lock)
            {
                _errors.Add(e);
            }

            record.StatusCode = 500;
            if (!context.Response.HasStarted)
            {
                await WriteJsonAsync(
                    context,
                    500,
                    Statuses.Failure(500, "InternalError", "Internal error occurred: " + e.GetType().Name)).ConfigureAwait(false);
            }
        }
    }

    private async Task DispatchAsync(HttpContext context, RequestInfo info, RecordedRequest record, int? dropWatchAfter)
    {
        var resource = info.Resource!;
        var query = context.Request.Query;
        if (info.Subresource is not null && (info.Subresource != "status" || !resource.HasStatusSubresource))
        {
            throw new ApiErrorException(404, "NotFound", "the server could not find the requested resource");
        }

        switch (info.Verb)
        {
            case "get":
                var found = Store.Get(resource, info.Namespace, info.Name!) ?? throw Statuses.NotFound(resource, info.Name!);

                await Respond(context, record, 200, found).ConfigureAwait(false);
                break;
            case "list":
                var filter = Filter(query["labelSelector"], query["fieldSelector"]);
                var limit = int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : 0;
                string? continueToken = query["continue"];
                if (
                    !string.IsNullOrEmpty(continueToken) && !string.IsNullOrEmpty(
                        query["resourceVersion"]) && query["resourceVersion"] != "0")
                {
                    throw Statuses.BadRequest("specifying resource version is not allowed when using continue");
                }

                var page = Store.List(
                    resource,
                    info.Namespace,
                    filter,
                    limit,
                    continueToken,
                    query["resourceVersion"],
                    query["resourceVersionMatch"]);
                var metadata = new JsonObject { ["resourceVersion"] = page.Revision.ToString(CultureInfo.InvariantCulture) };
                if (page.Continue is not null)
                {
                    metadata["continue"] = page.Continue;
                    metadata["remainingItemCount"] = page.RemainingItemCount;
                }

                var items = new JsonArray();
                foreach (var item in page.Items)
                {
                    var copy = (JsonObject)item.DeepClone();
                    if (!resource.IsCustomResource)
                    {
                        // Built-in list items carry no apiVersion/kind on the real server.
                        copy.Remove("apiVersion");
                        copy.Remove("kind");
                    }

                    items.Add(copy);
                }

                await Respond(context, record, 200, new JsonObject
                {
                    ["kind"] = resource.Kind + "List",
                    ["apiVersion"] = resource.ApiVersion,
                    ["metadata"] = metadata,
                    ["items"] = items,
                }).ConfigureAwait(false);
                break;
            case "watch":
                await WatchAsync(context, info, record, dropWatchAfter).ConfigureAwait(false);
                break;
            case "create":
                var created = Store.Create(resource, info.Namespace, await ReadObjectAsync(context).ConfigureAwait(false));
                await Respond(context, record, 201, created).ConfigureAwait(false);
                break;
            case "update":
                var body = await ReadObjectAsync(context).ConfigureAwait(false);
                var existed = Store.Get(resource, info.Namespace, info.Name!) is not null;
                var updated = Store.Update(resource, info.Namespace, info.Name!, body, info.Subresource);
                await Respond(context, record, existed ? 200 : 201, updated).ConfigureAwait(false);
                break;
            case "patch":
                var contentType = (context.Request.ContentType ?? string.Empty).Split(';')[0].Trim();
                using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
                {
                    var patch = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
                    var patched = Store.Patch(resource, info.Namespace, info.Name!, contentType, patch, info.Subresource);
                    await Respond(context, record, 200, patched).ConfigureAwait(false);
                }

                break;
            case "delete":
                string? rv = null;
                string? uid = null;
                if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
                {
                    var options = await ReadObjectAsync(context).ConfigureAwait(false);
                    rv = options["preconditions"]?["resourceVersion"]?.GetValue<string>();
                    uid = options["preconditions"]?["uid"]?.GetValue<string>();
                }

                var deleted = Store.Delete(resource, info.Namespace, info.Name!, rv, uid);
                await Respond(context, record, 200, deleted).ConfigureAwait(false);
                break;
            default:
                throw new ApiErrorException(405, "MethodNotAllowed", $"the server does not allow this method on the requested resource");
        }
    }

    private async Task WatchAsync(HttpContext context, RequestInfo info, RecordedRequest record, int? dropAfter)
    {
        var query = context.Request.Query;
        var bookmarks = query["allowWatchBookmarks"] == "true";
        var duration = int.TryParse(query["timeoutSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(Math.Min(seconds, MaxWatchDuration.TotalSeconds))
            : MaxWatchDuration;
        var filter = Filter(query["labelSelector"], query["fieldSelector"]);
        using var subscription = Store.Subscribe(info.Resource!, info.Namespace, query["resourceVersion"], filter);

        record.StatusCode = 200;
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(context.RequestAborted).ConfigureAwait(false);
        if (subscription.ExpiredMessage is not null)
        {
            // As the real server: HTTP 200, then an ERROR event carrying a 410 Status, then the end of the stream.
            await WriteEventAsync(context, "ERROR", Statuses.Failure(410, "Expired", subscription.ExpiredMessage)).ConfigureAwait(false);
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token);
        stop.CancelAfter(duration);
        var sent = 0;
        lock (_lock)
        {
            _activeWatches.Add(context);
        }

        try
        {
            await StreamAsync().ConfigureAwait(false);
        }
        finally
        {
            lock (_lock)
            {
                _activeWatches.Remove(context);
            }
        }

        async Task StreamAsync()
        {
            if (dropAfter == 0)
            {
                context.Abort();
                return;
            }

            var nextBookmark = DateTimeOffset.UtcNow + BookmarkInterval;
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    while (subscription.Reader.TryRead(out var change))
                    {
                        var value = (JsonObject)change.Object.DeepClone();
                        await WriteEventAsync(context, change.Type, value).ConfigureAwait(false);
                        if (++sent == dropAfter)
                        {
                            // Let the event reach the client, then break the connection.
                            await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
                            context.Abort();
                            return;
                        }
                    }

                    if (bookmarks && DateTimeOffset.UtcNow >= nextBookmark)
                    {
                        nextBookmark = DateTimeOffset.UtcNow + BookmarkInterval;
                        if (Store.BookmarkRevision(subscription) is long revision)
                        {
                            await WriteEventAsync(context, "BOOKMARK", new JsonObject
                            {
                                ["kind"] = info.Resource!.Kind,
                                ["apiVersion"] = info.Resource.ApiVersion,
                                ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture) },
                            }).ConfigureAwait(false);
                        }

                        continue;
                    }

                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                    var untilBookmark = nextBookmark - DateTimeOffset.UtcNow;
                    if (bookmarks)
                    {
                        wait.CancelAfter(untilBookmark < TimeSpan.Zero ? TimeSpan.Zero : untilBookmark);
                    }

                    try
                    {
                        if (!await subscription.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                        {
                            return;
                        }
                    }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                    {
                        // Time for a bookmark.
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Timeout: the stream ends normally, the client watches again from its last version.
            }
        }
    }

    private static async Task WriteEventAsync(HttpContext context, string type, JsonObject value)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = value }.ToJsonString() + "\n";
        await context.Response.WriteAsync(line, context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static Task Respond(HttpContext context, RecordedRequest record, int code, JsonObject body)
    {
        record.StatusCode = code;
        return WriteJsonAsync(context, code, body);
    }

    private static async Task WriteJsonAsync(HttpContext context, int code, JsonObject body)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext context)
    {
        try
        {
            return await JsonNode.ParseAsync(
                context.Request.Body,
                cancellationToken: context.RequestAborted).ConfigureAwait(false) as JsonObject
                ?? throw Statuses.BadRequest("the body of the request is not a JSON object");
        }
        catch (JsonException)
        {
            throw Statuses.BadRequest("the body of the request could not be decoded as JSON");
        }
    }

    private static Func<JsonObject, bool> Filter(string? labelSelector, string? fieldSelector)
    {
        var labels = Selectors.Labels(labelSelector);
        var fields = Selectors.Fields(fieldSelector);
        return o => labels(o) && fields(o);
    }

    private string? Authenticate(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            // A presented but unknown token fails even where anonymous requests would pass, as on the real server.
            return Security.UserForToken(authorization["Bearer ".Length..].Trim());
        }

        if (context.Connection.ClientCertificate is { } certificate && CertificateAuthority is not null)
        {
            return CertificateAuthority.Verifies(certificate) ? certificate.GetNameInfo(X509NameType.SimpleName, false) : null;
        }

        return Security.Required ? null : "system:anonymous-admin";
    }

    private RequestInfo Resolve(HttpRequest request)
    {
        var path = request.Path.Value ?? "/";
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        string group;
        string version;
        string[] rest;
        if (segments.Length >= 2 && segments[0] == "api")
        {
            (group, version, rest) = (string.Empty, segments[1], segments[2..]);
        }
        else if (segments.Length >= 3 && segments[0] == "apis")
        {
            (group, version, rest) = (segments[1], segments[2], segments[3..]);
        }
        else
        {
            return new RequestInfo
            {
                Verb = request.Method.ToLowerInvariant(),
                Method = request.Method,
                Path = path,
                Query = request.QueryString.Value ?? string.Empty,
            };
        }

        string? ns = null;
        if (rest.Length >= 3 && rest[0] == "namespaces")
        {
            ns = rest[1];
            rest = rest[2..];
        }

        ApiResourceDefinition? resource = null;
        if (rest.Length is >= 1 and <= 3)
        {
            lock (_lock)
            {
                _resources.TryGetValue((group, version, rest[0]), out resource);
            }

            // A namespaced resource has no cluster-scoped item paths; a cluster-scoped one has no namespaced paths.
            if (
                resource is not null && (
                    (resource.Namespaced && ns is null && rest.Length > 1) || (!resource.Namespaced && ns is not null)))
            {
                resource = null;
            }
        }

        var name = rest.Length >= 2 ? rest[1] : null;
        var subresource = rest.Length >= 3 ? rest[2] : null;
        var watch = request.Query["watch"] is var w && (w == "true" || w == "1");
        var verb = request.Method switch
        {
            "GET" when name is null => watch ? "watch" : "list",
            "GET" => "get",
            "POST" when name is null => "create",
            "PUT" when name is not null => "update",
            "PATCH" when name is not null => "patch",
            "DELETE" when name is not null => "delete",
            _ => "unsupported",
        };
        return new RequestInfo
        {
            Verb = verb,
            Method = request.Method,
            Path = path,
            Query = request.QueryString.Value ?? string.Empty,
            Resource = resource,
            Namespace = ns,
            Name = name,
            Subresource = subresource,
        };
    }
}
