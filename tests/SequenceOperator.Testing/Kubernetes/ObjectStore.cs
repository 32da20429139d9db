using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace SequenceOperator.Testing.Kubernetes;

/// <summary>
/// The double's etcd and registry: objects as JSON with a cluster-wide increasing resourceVersion, a bounded history
/// (the watch window; older versions answer 410), and the write semantics of the real server's REST strategies.
/// Every method is safe to call from tests directly, as if another client did it.
/// </summary>
public sealed class ObjectStore
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    private readonly Lock _lock = new();
    private readonly Dictionary<(ApiResourceDefinition Resource, string Namespace, string Name), JsonObject> _objects = [];
    private readonly List<StoredEvent> _history = [];
    private readonly List<WatchSubscription> _watchers = [];
    private readonly TimeProvider _time;
    private long _revision = 100;
    private long _compacted = 100;

    public ObjectStore(TimeProvider? time = null, int historyLimit = 10_000)
    {
        _time = time ?? TimeProvider.System;
        HistoryLimit = historyLimit;
    }

    /// <summary>How many changes stay watchable; older resourceVersions answer 410 Expired.</summary>
    public int HistoryLimit { get; set; }

    /// <summary>The current cluster-wide resourceVersion.</summary>
    public long Revision
    {
        get
        {
            lock (_lock)
            {
                return _revision;
            }
        }
    }

    /// <summary>The oldest resourceVersion still watchable and listable (everything after it is in the history).</summary>
    public long CompactedRevision
    {
        get
        {
            lock (_lock)
            {
                return _compacted;
            }
        }
    }

    /// <summary>
    /// Forgets all history, as an etcd compaction at the current revision: older versions and continue tokens answer 410.
    /// </summary>
    public void Compact()
    {
        lock (_lock)
        {
            _history.Clear();
            _compacted = _revision;
        }
    }

    public JsonObject? Get(ApiResourceDefinition resource, string? @namespace, string name)
    {
        lock (_lock)
        {
            return _objects.TryGetValue(Key(resource, @namespace, name), out var value) ? (JsonObject)value.DeepClone() : null;
        }
    }

    /// <summary>Every object of a resource (in one namespace, or all), sorted as etcd keys are.</summary>
    public IReadOnlyList<JsonObject> All(ApiResourceDefinition resource, string? @namespace = null)
    {
        lock (_lock)
        {
            return Current(resource, @namespace).Select(o => (JsonObject)o.DeepClone()).ToList();
        }
    }

    public JsonObject Create(ApiResourceDefinition resource, string? @namespace, JsonObject body)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(body);
        var value = (JsonObject)body.DeepClone();
        var metadata = Metadata(value);
        var ns = resource.Namespaced ? @namespace ?? metadata["namespace"]?.GetValue<string>() ?? string.Empty : string.Empty;
        if (resource.Namespaced && ns.Length == 0)
        {
            throw Statuses.BadRequest("the namespace of the object is required");
        }

        if (resource.Namespaced && metadata["namespace"]?.GetValue<string>() is { Length: > 0 } bodyNamespace && bodyNamespace != ns)
        {
            throw Statuses.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        lock (_lock)
        {
            var name = metadata["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name))
            {
                var prefix = metadata["generateName"]?.GetValue<string>();
                if (string.IsNullOrEmpty(prefix))
                {
                    throw Statuses.Invalid(resource, string.Empty, [("metadata.name", "Required value: name or generateName is required")]);
                }

                do
                {
                    name = prefix + RandomNumberGenerator.GetString(GenerateNameAlphabet, 5);
                }
                while (_objects.ContainsKey(Key(resource, ns, name)));
            }

            if (_objects.ContainsKey(Key(resource, ns, name)))
            {
                throw Statuses.AlreadyExists(resource, name);
            }

            value["apiVersion"] = resource.ApiVersion;
            value["kind"] = resource.Kind;
            metadata["name"] = name;
            if (resource.Namespaced)
            {
                metadata["namespace"] = ns;
            }
            else
            {
                metadata.Remove("namespace");
            }

            metadata["uid"] = Guid.NewGuid().ToString();
            metadata["creationTimestamp"] = Timestamp(_time.GetUtcNow());
            metadata.Remove("deletionTimestamp");
            metadata.Remove("deletionGracePeriodSeconds");
            metadata.Remove("resourceVersion");
            if (resource.TracksGeneration)
            {
                metadata["generation"] = 1L;
            }
            else
            {
                metadata.Remove("generation");
            }

            if (resource.HasStatusSubresource)
            {
                value.Remove("status");
            }

            Normalize(resource, value);
            Validate(resource, name, value);
            return Commit(resource, ns, name, "ADDED", value, null);
        }
    }

    /// <summary>PUT. <paramref name="subresource"/> "status" takes only the status; otherwise status is kept as stored.</summary>
    public JsonObject Update(ApiResourceDefinition resource, string? @namespace, string name, JsonObject body, string? subresource = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(body);
        var bodyName = Metadata(body)["name"]?.GetValue<string>();
        if (bodyName is not null && bodyName != name)
        {
            throw Statuses.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        lock (_lock)
        {
            var ns = resource.Namespaced ? @namespace ?? string.Empty : string.Empty;
            if (!_objects.TryGetValue(Key(resource, ns, name), out var current))
            {
                if (resource.AllowCreateOnUpdate && subresource is null)
                {
                    var create = (JsonObject)body.DeepClone();
                    Metadata(create)["name"] = name;
                    Metadata(create).Remove("resourceVersion");
                    return Create(resource, ns, create);
                }

                throw Statuses.NotFound(resource, name);
            }

            var version = Metadata(body)["resourceVersion"]?.GetValue<string>();
            if (string.IsNullOrEmpty(version))
            {
                if (!resource.AllowUnconditionalUpdate)
                {
                    throw Statuses.Invalid(
                        resource,
                        name,
                        [("metadata.resourceVersion", "Invalid value: 0x0: must be specified for an update")]);
                }
            }
            else if (version != ResourceVersion(current))
            {
                throw Statuses.Conflict(resource, name);
            }

            return ApplyUpdate(resource, ns, name, current, body, subresource);
        }
    }

    /// <summary>PATCH with <c>application/merge-patch+json</c> or <c>application/json-patch+json</c>.</summary>
    public JsonObject Patch(
        ApiResourceDefinition resource,
        string? @namespace,
        string name,
        string contentType,
        string patch,
        string? subresource = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        JsonNode? patchNode;
        try
        {
            patchNode = JsonNode.Parse(patch);
        }
        catch (JsonException)
        {
            throw Statuses.BadRequest("error decoding patch: invalid JSON");
        }

        lock (_lock)
        {
            var ns = resource.Namespaced ? @namespace ?? string.Empty : string.Empty;
            if (!_objects.TryGetValue(Key(resource, ns, name), out var current))
            {
                throw Statuses.NotFound(resource, name);
            }

            var patched = contentType switch
            {
                "application/merge-patch+json" => Patches.MergePatch(current, patchNode),
                "application/json-patch+json" => Patches.JsonPatch(current, patchNode),
                _ => throw new ApiErrorException(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types include: "
                    + "application/json-patch+json, application/merge-patch+json"),
            };
            if (patched is not JsonObject patchedObject)
            {
                throw Statuses.BadRequest("the patched object is not a JSON object");
            }

            var version = Metadata(patchedObject)["resourceVersion"]?.GetValue<string>();
            if (!string.IsNullOrEmpty(version) && version != ResourceVersion(current))
            {
                throw Statuses.Conflict(resource, name);
            }

            var bodyName = Metadata(patchedObject)["name"]?.GetValue<string>();
            if (bodyName != name)
            {
                throw Statuses.BadRequest("the name of the object cannot be changed by a patch");
            }

            return ApplyUpdate(resource, ns, name, current, patchedObject, subresource);
        }
    }

    /// <summary>DELETE. With finalizers the object only gets a deletionTimestamp; it goes once they are removed.</summary>
    public JsonObject Delete(
        ApiResourceDefinition resource,
        string? @namespace,
        string name,
        string? preconditionResourceVersion = null,
        string? preconditionUid = null)
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (_lock)
        {
            var ns = resource.Namespaced ? @namespace ?? string.Empty : string.Empty;
            if (!_objects.TryGetValue(Key(resource, ns, name), out var current))
            {
                throw Statuses.NotFound(resource, name);
            }

            var uid = Metadata(current)["uid"]?.GetValue<string>();
            if (preconditionUid is not null && preconditionUid != uid)
            {
                throw Statuses.Conflict(
                    resource,
                    name,
                    $"Precondition failed: UID in precondition: {preconditionUid}, UID in object meta: {uid}");
            }

            if (preconditionResourceVersion is not null && preconditionResourceVersion != ResourceVersion(current))
            {
                throw Statuses.Conflict(resource, name,
                    $"Precondition failed: ResourceVersion in precondition: {preconditionResourceVersion}, ResourceVersion in object meta: "
                        + $"{ResourceVersion(current)}");
            }

            if (Metadata(current)["finalizers"] is JsonArray { Count: > 0 })
            {
                if (Metadata(current)["deletionTimestamp"] is not null)
                {
                    return (JsonObject)current.DeepClone();
                }

                var marked = (JsonObject)current.DeepClone();
                Metadata(marked)["deletionTimestamp"] = Timestamp(_time.GetUtcNow());
                Metadata(marked)["deletionGracePeriodSeconds"] = 0;
                return Commit(resource, ns, name, "MODIFIED", marked, current);
            }

            return Commit(resource, ns, name, "DELETED", (JsonObject)current.DeepClone(), current);
        }
    }

    /// <summary>Creates or overwrites an object with no checks (test setup, "another client wrote this").</summary>
    public JsonObject Put(ApiResourceDefinition resource, JsonObject value)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(value);
        var ns = resource.Namespaced ? Metadata(value)["namespace"]?.GetValue<string>() ?? string.Empty : string.Empty;
        var name = Metadata(value)["name"]?.GetValue<string>() ?? throw new ArgumentException("metadata.name is required", nameof(value));
        lock (_lock)
        {
            if (!_objects.TryGetValue(Key(resource, ns, name), out var current))
            {
                return Create(resource, ns, value);
            }

            var copy = (JsonObject)value.DeepClone();
            Metadata(copy)["resourceVersion"] = ResourceVersion(current);
            return ApplyUpdate(resource, ns, name, current, copy, null, force: true);
        }
    }

    internal ListResult List(
        ApiResourceDefinition resource,
        string? @namespace,
        Func<JsonObject, bool> filter,
        int limit,
        string? continueToken,
        string? resourceVersion,
        string? match)
    {
        lock (_lock)
        {
            long listRevision;
            string? start = null;
            if (!string.IsNullOrEmpty(continueToken))
            {
                (listRevision, start) = ContinueToken.Decode(continueToken);
                if (listRevision < _compacted)
                {
                    throw new ApiErrorException(410, "Expired",
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without "
                            + "the continue parameter, "
                        + "or use the continue token in this response to retrieve the remainder of the results. Continuing with the "
                            + "provided token results in an "
                        + "inconsistent list - objects that were created, modified, or deleted between the time the first chunk was "
                            + "returned and now may show up in the list.")
                    {
                        Metadata = new JsonObject { ["continue"] = ContinueToken.Encode(_revision, start) },
                    };
                }
            }
            else if (match == "Exact")
            {
                listRevision = ParseRevision(resourceVersion)
                    ?? throw Statuses.BadRequest("resourceVersionMatch=Exact needs a resourceVersion");
                if (listRevision < _compacted)
                {
                    throw Statuses.Expired($"too old resource version: {listRevision} ({_compacted})");
                }
            }
            else
            {
                var requested = ParseRevision(resourceVersion);
                if (requested > _revision)
                {
                    throw new ApiErrorException(504, "Timeout", $"Too large resource version: {requested}, current: {_revision}");
                }

                listRevision = _revision;
            }

            var items = StateAt(resource, @namespace, listRevision)
                .Where(e => start is null || string.CompareOrdinal(SortKey(e.Key), start) > 0)
                .Where(e => filter(e.Value))
                .ToList();
            string? next = null;
            long? remaining = null;
            if (limit > 0 && items.Count > limit)
            {
                remaining = items.Count - limit;
                items = items.Take(limit).ToList();
                next = ContinueToken.Encode(listRevision, SortKey(items[^1].Key));
            }

            return new ListResult(items.Select(e => e.Value).ToList(), listRevision, next, remaining);
        }
    }

    internal WatchSubscription Subscribe(
        ApiResourceDefinition resource,
        string? @namespace,
        string? resourceVersion,
        Func<JsonObject, bool> filter)
    {
        lock (_lock)
        {
            var revision = ParseRevision(resourceVersion);
            var subscription = new WatchSubscription(this, resource, @namespace, filter);
            if (revision is null or 0)
            {
                foreach (var value in Current(resource, @namespace))
                {
                    subscription.Offer(new StoredEvent(long.Parse(ResourceVersion(value), CultureInfo.InvariantCulture), resource,
                        Metadata(value)["namespace"]?.GetValue<string>() ?? string.Empty,
                        Metadata(value)["name"]!.GetValue<string>(),
                        "ADDED",
                        value,
                        null));
                }
            }
            else if (revision < _compacted)
            {
                subscription.ExpiredMessage = $"too old resource version: {revision} ({_compacted})";
                return subscription;
            }
            else
            {
                foreach (var change in _history.Where(e => e.Revision > revision))
                {
                    subscription.Offer(change);
                }
            }

            _watchers.Add(subscription);
            return subscription;
        }
    }

    /// <summary>A bookmark's resourceVersion for a subscription: the current revision, if nothing is waiting to be sent.</summary>
    internal long? BookmarkRevision(WatchSubscription subscription)
    {
        lock (_lock)
        {
            return subscription.Pending == 0 ? _revision : null;
        }
    }

    internal void Unsubscribe(WatchSubscription subscription)
    {
        lock (_lock)
        {
            _watchers.Remove(subscription);
        }
    }

    internal static JsonObject Metadata(JsonObject value)
    {
        if (value["metadata"] is JsonObject metadata)
        {
            return metadata;
        }

        metadata = new JsonObject();
        value["metadata"] = metadata;
        return metadata;
    }

    private JsonObject ApplyUpdate(
        ApiResourceDefinition resource,
        string ns,
        string name,
        JsonObject current,
        JsonObject body,
        string? subresource,
        bool force = false)
    {
        JsonObject next;
        if (subresource == "status")
        {
            // The status endpoint takes the status and nothing else (metadata included).
            next = (JsonObject)current.DeepClone();
            next.Remove("status");
            if (body["status"] is { } status)
            {
                next["status"] = status.DeepClone();
            }
        }
        else if (subresource is not null)
        {
            throw new ApiErrorException(404, "NotFound", "the server could not find the requested resource");
        }
        else
        {
            next = (JsonObject)body.DeepClone();
            if (resource.HasStatusSubresource && !force)
            {
                next.Remove("status");
                if (current["status"] is { } status)
                {
                    next["status"] = status.DeepClone();
                }
            }

            var metadata = Metadata(next);
            var old = Metadata(current);
            foreach (var field in new[]
            {
                "name",
                "namespace",
                "uid",
                "creationTimestamp",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generation",
            })
            {
                metadata.Remove(field);
                if (old[field] is { } kept)
                {
                    metadata[field] = kept.DeepClone();
                }
            }
        }

        next["apiVersion"] = resource.ApiVersion;
        next["kind"] = resource.Kind;
        Metadata(next)["resourceVersion"] = ResourceVersion(current);
        Normalize(resource, next);

        if (JsonNode.DeepEquals(next, current))
        {
            // The real server skips writes that change nothing: same resourceVersion, no watch event.
            return (JsonObject)current.DeepClone();
        }

        if (resource.TracksGeneration && SpecChanged(current, next))
        {
            Metadata(next)["generation"] = Int64(Metadata(current)["generation"]) + 1;
        }

        Validate(resource, name, next);
        if (Metadata(next)["deletionTimestamp"] is not null && Metadata(next)["finalizers"] is not JsonArray { Count: > 0 })
        {
            return Commit(resource, ns, name, "DELETED", next, current);
        }

        return Commit(resource, ns, name, "MODIFIED", next, current);
    }

    private JsonObject Commit(ApiResourceDefinition resource, string ns, string name, string type, JsonObject value, JsonObject? previous)
    {
        _revision++;
        Metadata(value)["resourceVersion"] = _revision.ToString(CultureInfo.InvariantCulture);
        var key = Key(resource, ns, name);
        if (type == "DELETED")
        {
            _objects.Remove(key);
        }
        else
        {
            _objects[key] = value;
        }

        var change = new StoredEvent(_revision, resource, ns, name, type, value, previous);
        _history.Add(change);
        while (_history.Count > Math.Max(HistoryLimit, 1))
        {
            _compacted = _history[0].Revision;
            _history.RemoveAt(0);
        }

        foreach (var watcher in _watchers)
        {
            watcher.Offer(change);
        }

        return (JsonObject)value.DeepClone();
    }

    private IEnumerable<JsonObject> Current(ApiResourceDefinition resource, string? @namespace) =>
        _objects
            .Where(e => e.Key.Resource == resource && (@namespace is null || e.Key.Namespace == @namespace))
            .OrderBy(e => SortKey(e.Key), StringComparer.Ordinal)
            .Select(e => e.Value);

    /// <summary>The objects as they were at a revision, rebuilt by undoing later changes (the history covers them).</summary>
    private List<KeyValuePair<(ApiResourceDefinition Resource, string Namespace, string Name), JsonObject>> StateAt(
        ApiResourceDefinition resource, string? @namespace, long revision)
    {
        var state = _objects
            .Where(e => e.Key.Resource == resource && (@namespace is null || e.Key.Namespace == @namespace))
            .ToDictionary(e => e.Key, e => e.Value);
        for (var i = _history.Count - 1; i >= 0 && _history[i].Revision > revision; i--)
        {
            var change = _history[i];
            if (change.Resource != resource || (@namespace is not null && change.Namespace != @namespace))
            {
                continue;
            }

            var key = Key(resource, change.Namespace, change.Name);
            if (change.Previous is null)
            {
                state.Remove(key);
            }
            else
            {
                state[key] = change.Previous;
            }
        }

        return state.OrderBy(e => SortKey(e.Key), StringComparer.Ordinal).ToList();
    }

    private static (ApiResourceDefinition, string, string) Key(ApiResourceDefinition resource, string? @namespace, string name) =>
        (resource, resource.Namespaced ? @namespace ?? string.Empty : string.Empty, name);

    private static string SortKey((ApiResourceDefinition Resource, string Namespace, string Name) key) => key.Namespace + "/" + key.Name;

    private static long Int64(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<long>(out var l) => l,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<double>(out var d) => (long)d,
        _ => 0,
    };

    private static string ResourceVersion(JsonObject value) => Metadata(value)["resourceVersion"]?.GetValue<string>() ?? "0";

    private static long? ParseRevision(string? resourceVersion)
    {
        if (string.IsNullOrEmpty(resourceVersion))
        {
            return null;
        }

        return long.TryParse(resourceVersion, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Statuses.BadRequest($"resourceVersion: Invalid value: \"{resourceVersion}\": must be a valid resource version");
    }

    private static bool SpecChanged(JsonObject before, JsonObject after)
    {
        static JsonObject Strip(JsonObject value)
        {
            var copy = (JsonObject)value.DeepClone();
            copy.Remove("metadata");
            copy.Remove("status");
            copy.Remove("apiVersion");
            copy.Remove("kind");
            return copy;
        }

        return !JsonNode.DeepEquals(Strip(before), Strip(after));
    }

    private static void Normalize(ApiResourceDefinition resource, JsonObject value)
    {
        if (resource.Group.Length == 0 && resource.Plural == "secrets" && value["stringData"] is JsonObject stringData)
        {
            // The Secret registry folds stringData into data (base64) and never stores stringData.
            var data = value["data"] as JsonObject ?? new JsonObject();
            foreach (var (key, text) in stringData)
            {
                data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(text?.GetValue<string>() ?? string.Empty));
            }

            value["data"] = data.DeepClone();
            value.Remove("stringData");
        }

        if (resource.Group.Length == 0 && resource.Plural == "secrets" && value["data"] is JsonObject secretData)
        {
            foreach (var (key, encoded) in secretData)
            {
                try
                {
                    _ = Convert.FromBase64String(encoded?.GetValue<string>() ?? string.Empty);
                }
                catch (FormatException)
                {
                    throw Statuses.BadRequest(
                        $"Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at data[{key}]");
                }
            }
        }
    }

    private static void Validate(ApiResourceDefinition resource, string name, JsonObject value)
    {
        if (resource.Validate is { } validate && validate(value) is { Count: > 0 } causes)
        {
            throw Statuses.Invalid(resource, name, causes);
        }
    }

    private static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>One page of a list.</summary>
internal sealed record ListResult(IReadOnlyList<JsonObject> Items, long Revision, string? Continue, long? RemainingItemCount);

/// <summary>Continue tokens as the real server makes them: base64 JSON holding the list's revision and the last key.</summary>
internal static class ContinueToken
{
    public static string Encode(long revision, string start) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject
        {
            ["v"] = "meta.k8s.io/v1",
            ["rv"] = revision,
            ["start"] = start + "\u0000",
        }.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static (long Revision, string Start) Decode(string token)
    {
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
            var node = JsonNode.Parse(Convert.FromBase64String(base64))!;
            return (node["rv"]!.GetValue<long>(), node["start"]!.GetValue<string>().TrimEnd('\u0000'));
        }
        catch (Exception e) when (e is FormatException or JsonException or NullReferenceException or InvalidOperationException)
        {
            throw Statuses.BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
        }
    }
}

/// <summary>A watch's queue of changes, fed under the store's lock so bookmarks can never overtake a change.</summary>
internal sealed class WatchSubscription(
    ObjectStore store,
    ApiResourceDefinition resource,
    string? @namespace,
    Func<JsonObject, bool> filter) : IDisposable
{
    private readonly Channel<StoredEvent> _channel = Channel.CreateUnbounded<StoredEvent>(); // multi-reader kind: it can count

    /// <summary>Set when the requested version is older than the history: the watch answers 410 in the stream.</summary>
    public string? ExpiredMessage { get; set; }

    public int Pending => _channel.Reader.Count;

    public ChannelReader<StoredEvent> Reader => _channel.Reader;

    public void Offer(StoredEvent change)
    {
        if (change.Resource == resource && (@namespace is null || change.Namespace == @namespace) && filter(change.Object))
        {
            _channel.Writer.TryWrite(change);
        }
    }

    public void Dispose()
    {
        store.Unsubscribe(this);
        _channel.Writer.TryComplete();
    }
}
