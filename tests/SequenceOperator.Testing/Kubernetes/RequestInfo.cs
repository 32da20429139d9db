namespace SequenceOperator.Testing.Kubernetes;

/// <summary>What a request asks for, as the real server's request-info resolver sees it.</summary>
public sealed record RequestInfo
{
    /// <summary>get, list, watch, create, update, patch, delete (the audit verbs).</summary>
    public required string Verb { get; init; }

    public required string Method { get; init; }

    public required string Path { get; init; }

    public string Query { get; init; } = string.Empty;

    public ApiResourceDefinition? Resource { get; init; }

    public string? Namespace { get; init; }

    public string? Name { get; init; }

    public string? Subresource { get; init; }

    /// <summary>A query parameter's value (URL-decoded), or null.</summary>
    public string? QueryValue(string name)
    {
        foreach (var pair in Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (Uri.UnescapeDataString(parts[0]) == name)
            {
                return parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : string.Empty;
            }
        }

        return null;
    }
}

/// <summary>One request as the double received it, for assertions.</summary>
public sealed record RecordedRequest
{
    public required RequestInfo Info { get; init; }

    public string? UserAgent { get; init; }

    public string? Authorization { get; init; }

    public string? ContentType { get; init; }

    /// <summary>The subject of the TLS client certificate, if one was presented.</summary>
    public string? ClientCertificateSubject { get; init; }

    /// <summary>The authenticated user, or null when authentication failed.</summary>
    public string? User { get; set; }

    public int StatusCode { get; set; }

    public string Verb => Info.Verb;

    public string Path => Info.Path;

    public string Query => Info.Query;

    /// <summary>A query parameter's value (URL-decoded), or null.</summary>
    public string? QueryValue(string name) => Info.QueryValue(name);
}
