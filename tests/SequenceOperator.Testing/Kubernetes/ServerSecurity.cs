using System.Collections.Concurrent;

namespace SequenceOperator.Testing.Kubernetes;

/// <summary>
/// Authentication and authorization of the double. With <see cref="Required"/> off every request is served as
/// anonymous admin; with it on, a request needs a known bearer token or a client certificate issued by the
/// server's CA (user = CN), else 401. <see cref="Forbid"/> rules answer 403 as RBAC would.
/// </summary>
public sealed class ServerSecurity
{
    private readonly ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<Func<RequestInfo, string, bool>> _forbidden = [];

    public bool Required { get; set; }

    /// <summary>Accept <paramref name="token"/> as <paramref name="user"/>.</summary>
    public void AddToken(string token, string user = "token-user") => _tokens[token] = user;

    public void RemoveToken(string token) => _tokens.TryRemove(token, out _);

    /// <summary>Answer 403 to requests matching (request, user).</summary>
    public void Forbid(Func<RequestInfo, string, bool> rule) => _forbidden.Add(rule);

    internal string? UserForToken(string token) => _tokens.TryGetValue(token, out var user) ? user : null;

    internal bool IsForbidden(RequestInfo request, string user) => _forbidden.Any(rule => rule(request, user));
}
