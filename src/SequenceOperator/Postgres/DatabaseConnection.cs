using System.Globalization;
using Npgsql;

namespace SequenceOperator.Postgres;

/// <summary>
/// Connection settings from an Npgsql connection string or a <c>postgres://</c> / <c>postgresql://</c> URI, and the
/// data source built from them. Errors say what is wrong without repeating the input, which may hold a password.
/// </summary>
public static class DatabaseConnection
{
    public const string DefaultApplicationName = "sequence-operator";

    /// <summary>Parses a connection string or URI.</summary>
    /// <exception cref="SequenceEngineException">With <see cref="EngineFailure.InvalidConnectionString"/>.</exception>
    public static NpgsqlConnectionStringBuilder Parse(string connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var text = connection.Trim();
        if (text.Length == 0)
        {
            throw Invalid("the connection string is empty");
        }

        if (IsUri(text))
        {
            return ParseUri(text);
        }

        try
        {
            return new NpgsqlConnectionStringBuilder(text);
        }
        catch (ArgumentException ex) when (ex.Message.StartsWith("Keyword not supported", StringComparison.Ordinal))
        {
            throw Invalid($"the connection string is not valid: {ex.Message}");
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw Invalid("the connection string is not valid: expected key=value pairs (Host=...;Database=...;Username=...) or a postgres:// URI");
        }
    }

    private static bool IsUri(string text) =>
        text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    /// <summary>A data source for the engine: named connections, bounded pool, client-side timeout above the server-side one.</summary>
    public static NpgsqlDataSource CreateDataSource(NpgsqlConnectionStringBuilder settings, int maxPoolSize = 2, TimeSpan? statementTimeout = null, string applicationName = DefaultApplicationName)
    {
        var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = applicationName;
        }

        builder.MaxPoolSize = maxPoolSize;
        builder.MinPoolSize = 0;

        if (statementTimeout is { } timeout)
        {
            builder.CommandTimeout = (int)Math.Ceiling(timeout.TotalSeconds) + 15;
        }

        var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString);

        // The engine reads only built-in types (int8, numeric, bool, text, text[]): skip loading the database's type
        // catalog, which costs a round trip per new pool and memory in each of the operator's per-policy pools.
        dataSource.ConfigureTypeLoading(types => types.EnableTypeLoading(false));
        return dataSource.Build();
    }

    /// <summary>Maps a libpq <c>sslmode</c> value (disable, allow, prefer, require, verify-ca, verify-full) to Npgsql's.</summary>
    public static SslMode ParseSslMode(string value) => value.Trim().ToLowerInvariant() switch
    {
        "disable" => SslMode.Disable,
        "allow" => SslMode.Allow,
        "prefer" => SslMode.Prefer,
        "require" => SslMode.Require,
        "verify-ca" or "verifyca" => SslMode.VerifyCA,
        "verify-full" or "verifyfull" => SslMode.VerifyFull,
        _ => throw Invalid($"sslmode '{value}' is not one of disable, allow, prefer, require, verify-ca, verify-full"),
    };

    private static NpgsqlConnectionStringBuilder ParseUri(string uri)
    {
        var builder = new NpgsqlConnectionStringBuilder();
        var rest = uri[(uri.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var queryStart = rest.IndexOf('?', StringComparison.Ordinal);
        var query = queryStart >= 0 ? rest[(queryStart + 1)..] : string.Empty;
        if (queryStart >= 0)
        {
            rest = rest[..queryStart];
        }

        var at = rest.LastIndexOf('@');
        var slash = rest.IndexOf('/', at < 0 ? 0 : at);
        var authority = slash >= 0 ? rest[..slash] : rest;
        var path = slash >= 0 ? rest[(slash + 1)..] : string.Empty;
        var hostPort = authority;
        if (at >= 0)
        {
            var userInfo = authority[..at];
            hostPort = authority[(at + 1)..];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Decode(colon >= 0 ? userInfo[..colon] : userInfo, "user name");
            if (colon >= 0)
            {
                builder.Password = Decode(userInfo[(colon + 1)..], "password");
            }
        }

        SetHostPort(builder, hostPort);
        if (path.Length > 0)
        {
            builder.Database = Decode(path, "database name");
        }

        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Decode(eq >= 0 ? pair[..eq] : pair, "parameter name");
            var value = eq >= 0 ? Decode(pair[(eq + 1)..], "parameter value") : string.Empty;
            ApplyParameter(builder, key, value);
        }

        return builder;
    }

    private static void SetHostPort(NpgsqlConnectionStringBuilder builder, string hostPort)
    {
        if (hostPort.Length == 0)
        {
            return; // no host in the URI: the caller decides (the CLI uses localhost, a policy its spec's host)
        }

        if (hostPort.Contains(',', StringComparison.Ordinal))
        {
            builder.Host = Decode(hostPort, "host list"); // Npgsql takes host[:port],host[:port] itself
            return;
        }

        string host;
        string? port = null;
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw Invalid("the URI's IPv6 host is missing its closing ']'");
            }

            host = hostPort[1..close];
            if (close + 1 < hostPort.Length)
            {
                port = hostPort[(close + 1)..].TrimStart(':');
            }
        }
        else
        {
            var colon = hostPort.LastIndexOf(':');
            host = colon >= 0 ? hostPort[..colon] : hostPort;
            port = colon >= 0 ? hostPort[(colon + 1)..] : null;
        }

        builder.Host = Decode(host, "host");
        if (!string.IsNullOrEmpty(port))
        {
            builder.Port = ParsePort(port);
        }
    }

    private static void ApplyParameter(NpgsqlConnectionStringBuilder builder, string key, string value)
    {
        switch (key)
        {
            case "sslmode":
                builder.SslMode = ParseSslMode(value);
                break;
            case "connect_timeout":
                builder.Timeout = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
                    ? seconds
                    : throw Invalid("connect_timeout must be a whole number of seconds");
                break;
            case "application_name":
                builder.ApplicationName = value;
                break;
            case "user":
                builder.Username = value;
                break;
            case "password":
                builder.Password = value;
                break;
            case "dbname":
                builder.Database = value;
                break;
            case "host":
                builder.Host = value;
                break;
            case "port":
                builder.Port = ParsePort(value);
                break;
            case "options":
                builder.Options = value;
                break;
            case "sslrootcert":
                builder.RootCertificate = value;
                break;
            case "sslcert":
                builder.SslCertificate = value;
                break;
            case "sslkey":
                builder.SslKey = value;
                break;
            case "target_session_attrs":
                builder.TargetSessionAttributes = value;
                break;
            case "schema":
                builder.SearchPath = value; // Prisma's DATABASE_URL carries ?schema=...
                break;
            case "search_path":
                builder.SearchPath = value;
                break;
            default:
                throw Invalid($"the URI parameter '{key}' is not supported (supported: sslmode, connect_timeout, application_name, options, sslrootcert, sslcert, sslkey, target_session_attrs, schema)");
        }
    }

    private static int ParsePort(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw Invalid("the port must be a number from 1 to 65535");

    private static string Decode(string value, string what)
    {
        try
        {
            return Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            throw Invalid($"the URI's {what} is not validly percent-encoded");
        }
    }

    private static SequenceEngineException Invalid(string message) =>
        new(EngineFailure.InvalidConnectionString, message);
}
