using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Extensions.Logging;
using SequenceOperator.Entities.Meta;
using SequenceOperator.Kubernetes.Configuration;
using SequenceOperator.Kubernetes.Http;
using SequenceOperator.Kubernetes.Models;

namespace SequenceOperator.Kubernetes;

/// <summary>The <see cref="IKubernetesClient"/> over an <see cref="HttpClient"/> from <see cref="KubernetesHttpClientFactory"/>.</summary>
internal sealed class KubernetesClient : IKubernetesClient, IDisposable
{
    private const string JsonMediaType = "application/json";
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly KubernetesClientOptions _options;
    private readonly string _serverPrefix;

    public KubernetesClient(
        HttpClient http,
        KubernetesClientOptions? options = null,
        string defaultNamespace = "default",
        bool ownsHttpClient = false)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _ownsHttp = ownsHttpClient;
        _options = options ?? new KubernetesClientOptions();
        DefaultNamespace = defaultNamespace;
        var baseAddress = http.BaseAddress ?? throw new ArgumentException(
            "The HttpClient needs a BaseAddress (the API server).",
            nameof(http));

        // Keep a path prefix (API servers behind a proxy such as Rancher's live under one).
        _serverPrefix = baseAddress.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    public string DefaultNamespace { get; }

    /// <summary>A client for a configuration, owning its HttpClient.</summary>
    public static KubernetesClient Create(
        KubernetesClientConfiguration configuration,
        KubernetesClientOptions? options = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        options ??= new KubernetesClientOptions();
        var http = KubernetesHttpClientFactory.Create(configuration, options, loggerFactory, timeProvider);
        return new KubernetesClient(http, options, configuration.Namespace, ownsHttpClient: true);
    }

    public async Task<T> GetAsync<T>(
        ResourceType type,
        string? @namespace,
        string name,
        JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject
    {
        ArgumentNullException.ThrowIfNull(type);
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(type.ItemPath(@namespace, name)));
        return await SendAsync(request, typeInfo, cancellationToken).ConfigureAwait(false);
    }

    public async Task<T?> TryGetAsync<T>(
        ResourceType type,
        string? @namespace,
        string name,
        JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject
    {
        try
        {
            return await GetAsync(type, @namespace, name, typeInfo, cancellationToken).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    public async Task<KubernetesList<T>> ListAsync<T>(
        ResourceType type,
        string? @namespace,
        JsonTypeInfo<T> typeInfo,
        ListOptions? options = null,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(typeInfo);
        options ??= new ListOptions();
        var pageSize = options.PageSize ?? _options.ListPageSize;
        var items = new List<T>();
        string? listVersion = null;
        string? continueToken = null;
        do
        {
            RawList page;
            try
            {
                page = await ListPageAsync(type, @namespace, options, pageSize, continueToken, cancellationToken).ConfigureAwait(false);
            }
            catch (GoneException) when (continueToken is not null)
            {
                // The continue token expired (its snapshot was compacted): as client-go's pager, fall back to one full list.
                items.Clear();
                page = await ListPageAsync(type, @namespace, options, 0, null, cancellationToken).ConfigureAwait(false);
                listVersion = null;
            }

            listVersion ??= page.Metadata?.ResourceVersion;
            foreach (var element in page.Items ?? [])
            {
                items.Add(element.Deserialize(typeInfo) ?? throw new KubernetesApiException("The server listed a null item."));
            }

            continueToken = string.IsNullOrEmpty(page.Metadata?.Continue) ? null : page.Metadata.Continue;
        }
        while (continueToken is not null);

        return new KubernetesList<T>(items, listVersion ?? string.Empty);
    }

    public async Task<T> CreateAsync<T>(ResourceType type, T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(value);
        var @namespace = NamespaceOf(type, value);
        using var request = new HttpRequestMessage(HttpMethod.Post, Url(type.CollectionPath(@namespace)))
        {
            Content = JsonContent(value, typeInfo),
        };
        return await SendAsync(request, typeInfo, cancellationToken).ConfigureAwait(false);
    }

    public Task<T> ReplaceAsync<T>(ResourceType type, T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject =>
        PutAsync(type, value, typeInfo, null, cancellationToken);

    public Task<T> ReplaceStatusAsync<T>(
        ResourceType type,
        T value,
        JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject =>
        PutAsync(type, value, typeInfo, "status", cancellationToken);

    public Task<T> PatchAsync<T>(
        ResourceType type,
        string? @namespace,
        string name,
        KubernetesPatch patch,
        JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject =>
        PatchAsync(type, @namespace, name, patch, typeInfo, null, cancellationToken);

    public Task<T> PatchStatusAsync<T>(
        ResourceType type,
        string? @namespace,
        string name,
        KubernetesPatch patch,
        JsonTypeInfo<T> typeInfo,
        CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject =>
        PatchAsync(type, @namespace, name, patch, typeInfo, "status", cancellationToken);

    public async Task DeleteAsync(
        ResourceType type,
        string? @namespace,
        string name,
        DeleteOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(type);
        using var request = new HttpRequestMessage(HttpMethod.Delete, Url(type.ItemPath(@namespace, name)));
        if (options is not null)
        {
            var body = new DeleteOptionsBody
            {
                Preconditions = options.ResourceVersion is null && options.Uid is null
                    ? null
                    : new Preconditions { ResourceVersion = options.ResourceVersion, Uid = options.Uid },
                PropagationPolicy = options.PropagationPolicy,
                GracePeriodSeconds = options.GracePeriodSeconds,
            };
            request.Content = JsonContent(body, KubernetesJsonContext.Default.DeleteOptionsBody);
        }

        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ApiErrors.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
        }
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync<T>(
        ResourceType type,
        string? @namespace,
        JsonTypeInfo<T> typeInfo,
        WatchOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
        where T : class, IKubernetesObject
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(typeInfo);
        options ??= new WatchOptions();
        var query = new List<KeyValuePair<string, string>> { new("watch", "true") };
        AddIfSet(query, "resourceVersion", options.ResourceVersion);
        if (options.AllowBookmarks)
        {
            query.Add(new("allowWatchBookmarks", "true"));
        }

        if (options.TimeoutSeconds is int timeout)
        {
            query.Add(new("timeoutSeconds", timeout.ToString(CultureInfo.InvariantCulture)));
        }

        AddIfSet(query, "labelSelector", options.LabelSelector);
        AddIfSet(query, "fieldSelector", options.FieldSelector);

        using var request = new HttpRequestMessage(HttpMethod.Get, Url(type.CollectionPath(type.Namespaced ? @namespace : null), query));
        request.Options.Set(KubernetesRequestOptions.NoRetry, true);
        using var response = await _http.SendAsync(
            request,
            HttpCompletionOption.ResponseHeadersRead,
            cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ApiErrors.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                yield return ParseWatchEvent(line, typeInfo);
            }
        }
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    internal static WatchEvent<T> ParseWatchEvent<T>(string line, JsonTypeInfo<T> typeInfo)
        where T : class, IKubernetesObject
    {
        RawWatchEvent raw;
        try
        {
            raw = JsonSerializer.Deserialize(line, KubernetesJsonContext.Default.RawWatchEvent)
                ?? throw new KubernetesApiException("The watch stream held an empty event.");
        }
        catch (JsonException e)
        {
            throw new KubernetesApiException("The watch stream held an event that is not valid JSON.", e);
        }

        switch (raw.Type)
        {
            case "ADDED" or "MODIFIED" or "DELETED":
                var value = raw.Object.Deserialize(typeInfo) ?? throw new KubernetesApiException("A watch event carried no object.");
                var type = raw.Type switch
                {
                    "ADDED" => WatchEventType.Added,
                    "MODIFIED" => WatchEventType.Modified,
                    _ => WatchEventType.Deleted,
                };
                return new WatchEvent<T>(type, value, value.Metadata.ResourceVersion, null);
            case "BOOKMARK":
                var bookmark = raw.Object.Deserialize(KubernetesJsonContext.Default.MetadataOnly);
                return new WatchEvent<T>(WatchEventType.Bookmark, null, bookmark?.Metadata?.ResourceVersion, null);
            case "ERROR":
                var status = raw.Object.ValueKind == JsonValueKind.Object
                    ? raw.Object.Deserialize(KubernetesJsonContext.Default.Status)
                    : null;
                return new WatchEvent<T>(
                    WatchEventType.Error,
                    null,
                    null,
                    status ?? new Status { Code = 500, Message = "The watch failed without a status." });
            default:
                throw new KubernetesApiException($"The watch stream held an event of unknown type '{raw.Type}'.");
        }
    }

    private async Task<T> PutAsync<T>(
        ResourceType type,
        T value,
        JsonTypeInfo<T> typeInfo,
        string? subresource,
        CancellationToken cancellationToken)
        where T : class, IKubernetesObject
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(value);
        var name = value.Metadata.Name ?? throw new ArgumentException("metadata.name is required to replace an object.", nameof(value));
        using var request = new HttpRequestMessage(HttpMethod.Put, Url(type.ItemPath(NamespaceOf(type, value), name, subresource)))
        {
            Content = JsonContent(value, typeInfo),
        };
        return await SendAsync(request, typeInfo, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> PatchAsync<T>(
        ResourceType type,
        string? @namespace,
        string name,
        KubernetesPatch patch,
        JsonTypeInfo<T> typeInfo,
        string? subresource,
        CancellationToken cancellationToken)
        where T : class, IKubernetesObject
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(patch);
        using var request = new HttpRequestMessage(HttpMethod.Patch, Url(type.ItemPath(@namespace, name, subresource)))
        {
            Content = new StringContent(patch.Body, Encoding.UTF8, patch.ContentType),
        };
        request.Content.Headers.ContentType!.CharSet = null;
        return await SendAsync(request, typeInfo, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RawList> ListPageAsync(
        ResourceType type,
        string? @namespace,
        ListOptions options,
        int pageSize,
        string? continueToken,
        CancellationToken cancellationToken)
    {
        var query = new List<KeyValuePair<string, string>>();
        AddIfSet(query, "labelSelector", options.LabelSelector);
        AddIfSet(query, "fieldSelector", options.FieldSelector);
        if (pageSize > 0)
        {
            query.Add(new("limit", pageSize.ToString(CultureInfo.InvariantCulture)));
        }

        if (continueToken is not null)
        {
            // The server rejects resourceVersion together with continue: the token pins the version.
            query.Add(new("continue", continueToken));
        }
        else
        {
            AddIfSet(query, "resourceVersion", options.ResourceVersion);
            AddIfSet(query, "resourceVersionMatch", options.ResourceVersionMatch);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, Url(type.CollectionPath(type.Namespaced ? @namespace : null), query));
        return await SendAsync(request, KubernetesJsonContext.Default.RawList, cancellationToken).ConfigureAwait(false);
    }

    private async Task<TResult> SendAsync<TResult>(
        HttpRequestMessage request,
        JsonTypeInfo<TResult> typeInfo,
        CancellationToken cancellationToken)
        where TResult : class
    {
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ApiErrors.FromResponseAsync(response, cancellationToken).ConfigureAwait(false);
        }

        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(bytes, typeInfo)
                ?? throw new KubernetesApiException($"The server answered HTTP {(int)response.StatusCode} without a body.");
        }
        catch (JsonException e)
        {
            throw new KubernetesApiException(
                $"The server's answer (HTTP {(int)response.StatusCode}) could not be read as {typeof(TResult).Name}.",
                e);
        }
    }

    private Uri Url(string path, IReadOnlyList<KeyValuePair<string, string>>? query = null)
    {
        var builder = new StringBuilder(_serverPrefix).Append(path);
        if (query is { Count: > 0 })
        {
            builder.Append('?');
            for (var i = 0; i < query.Count; i++)
            {
                if (i > 0)
                {
                    builder.Append('&');
                }

                builder.Append(query[i].Key).Append('=').Append(Uri.EscapeDataString(query[i].Value));
            }
        }

        return new Uri(builder.ToString(), UriKind.Absolute);
    }

    private static string? NamespaceOf<T>(ResourceType type, T value)
        where T : IKubernetesObject
    {
        if (!type.Namespaced)
        {
            return null;
        }

        return string.IsNullOrEmpty(value.Metadata.Namespace)
            ? throw new ArgumentException($"metadata.namespace is required: {type.QualifiedPlural} are namespaced.", nameof(value))
            : value.Metadata.Namespace;
    }

    private static ByteArrayContent JsonContent<TValue>(TValue value, JsonTypeInfo<TValue> typeInfo)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(JsonMediaType);
        return content;
    }

    private static void AddIfSet(List<KeyValuePair<string, string>> query, string key, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            query.Add(new(key, value));
        }
    }
}
