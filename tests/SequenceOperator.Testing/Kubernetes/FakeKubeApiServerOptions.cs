namespace SequenceOperator.Testing.Kubernetes;

/// <summary>How a <see cref="FakeKubeApiServer"/> starts.</summary>
public sealed record FakeKubeApiServerOptions
{
    /// <summary>Serve HTTPS with a certificate from <see cref="FakeKubeApiServer.CertificateAuthority"/> (else plain HTTP).</summary>
    public bool Https { get; init; } = true;

    /// <summary>How many changes stay watchable (the watch window); older versions answer 410.</summary>
    public int HistoryLimit { get; init; } = 10_000;

    /// <summary>How often a watch that allows bookmarks gets one (the real server: about a minute).</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest a watch lasts when the client gives no timeoutSeconds (the real server: 30–60 minutes).</summary>
    public TimeSpan MaxWatchDuration { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Require authentication (a token added to <see cref="FakeKubeApiServer.Security"/> or a client certificate).</summary>
    public bool RequireAuthentication { get; init; }

    /// <summary>Resources served besides Secrets, Events and Leases.</summary>
    public IReadOnlyList<ApiResourceDefinition> Resources { get; init; } = [];
}
