using System.Data.Common;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace SequenceOperator.Postgres;

/// <summary>
/// Connection settings from an Npgsql connection string or a <c>postgres://</c> / <c>postgresql://</c> URI, and the
/// data source built from them. Errors say what is wrong without repeating the input, which may hold a password.
/// </summary>
public static class DatabaseConnection
{
    public const string DefaultApplicationName = "sequence-operator";

    /// <summary>
    /// Parses a connection string or URI, and refuses values Npgsql or the server cannot use (a port above 65535, a
    /// timeout beyond what Npgsql accepts) before anything connects. A message names the key and what it accepts.
    /// </summary>
    /// <exception cref="SequenceEngineException">With <see cref="EngineFailure.InvalidConnectionString"/>.</exception>
    public static NpgsqlConnectionStringBuilder Parse(string connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var text = connection.Trim();
        if (text.Length == 0)
        {
            throw Invalid("the connection string is empty");
        }

        return IsUri(text) ? ParseUri(text) : ParseKeyValues(text);
    }

    /// <summary>The whole-number keys whose range Npgsql does not check, or checks with a message that does not say the range.</summary>
    private static readonly KeyRange[] Ranges =
    [
        new("Port", "port", 1, 65535, "a whole number from 1 to 65535"),
        new("Timeout", "timeout", 0, 1024, "a whole number of seconds from 0 to 1024"),
        // Npgsql turns it into milliseconds: beyond int.MaxValue ms it fails at the first command.
        new("Command Timeout", "commandtimeout", 0, int.MaxValue / 1000, "a whole number of seconds from 0 to 2147483"),
    ];

    private sealed record KeyRange(string Name, string Normalized, int Min, int Max, string Accepts)
    {
        public bool Allows(object? value) => value is int n && n >= Min && n <= Max;
    }

    private static KeyRange? RangeOf(string key) =>
        Array.Find(Ranges, r => r.Normalized == key.Replace(" ", string.Empty, StringComparison.Ordinal).ToLowerInvariant());

    private static NpgsqlConnectionStringBuilder ParseKeyValues(string text)
    {
        // The generic builder only splits the pairs (Npgsql's does the same, then sets each key): setting them one
        // at a time tells which key is wrong.
        var pairs = new DbConnectionStringBuilder();
        try
        {
            pairs.ConnectionString = text;
        }
        catch (ArgumentException)
        {
            throw Invalid(
                "the connection string is not valid: expected key=value pairs separated by ';' (Host=...;Database=...;Username=...) or a "
                    + "postgres:// URI; quote a value that contains ';' or a quote");
        }

        var builder = new NpgsqlConnectionStringBuilder();
        foreach (string key in pairs.Keys)
        {
            var range = RangeOf(key);
            try
            {
                builder[key] = pairs[key];
            }
            catch (ArgumentException ex)
            {
                throw Invalid($"the connection string's key '{KeyName(text, key, range)}' {WhatItTakes(key, range, ex)}");
            }

            if (range is not null && !range.Allows(builder[key]))
            {
                throw Invalid($"the connection string's key '{range.Name}' must be {range.Accepts}");
            }
        }

        return builder;
    }

    /// <summary>The key as Npgsql names it (Port, SSL Mode), or as written when Npgsql does not know it.</summary>
    private static string KeyName(string text, string key, KeyRange? range)
    {
        if (range is not null)
        {
            return range.Name;
        }

        var probe = new NpgsqlConnectionStringBuilder();
        if (probe.TryGetValue(key, out var defaultValue))
        {
            probe[key] = defaultValue;
            return probe.Keys.Cast<string>().First();
        }

        var written = Regex.Match(
            text,
            @"(?:^|;)\s*(" + Regex.Escape(key) + @")\s*=",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant,
            TimeSpan.FromSeconds(1));
        return written.Success ? written.Groups[1].Value : key;
    }

    /// <summary>
    /// What a key takes, from its range or the type of its default; never the rejected value, which may be a secret in the wrong place.
    /// </summary>
    private static string WhatItTakes(string key, KeyRange? range, ArgumentException ex)
    {
        if (range is not null)
        {
            return "must be " + range.Accepts;
        }

        if (ex.InnerException is KeyNotFoundException || !new NpgsqlConnectionStringBuilder().TryGetValue(key, out var defaultValue))
        {
            return "is not one Npgsql knows (see https://www.npgsql.org/doc/connection-string-parameters.html)";
        }

        return defaultValue switch
        {
            bool => "must be true or false",
            SslMode => "must be one of " + string.Join(", ", Enum.GetNames<SslMode>()),
            Enum e => "must be one of " + string.Join(", ", Enum.GetNames(e.GetType())),
            int when ex.InnerException is ArgumentOutOfRangeException => "is out of the range Npgsql accepts",
            int => "must be a whole number",
            _ => "has a value Npgsql does not accept",
        };
    }

    private static bool IsUri(string text) =>
        text.StartsWith(
            "postgres://",
            StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    /// <summary>A data source for the engine: named connections, bounded pool, client-side timeout above the server-side one.</summary>
    public static NpgsqlDataSource CreateDataSource(
        NpgsqlConnectionStringBuilder settings,
        int maxPoolSize = 2,
        TimeSpan? statementTimeout = null,
        string applicationName = DefaultApplicationName)
    {
        var builder = new NpgsqlConnectionStringBuilder(settings.ConnectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = applicationName;
        }

        builder.MaxPoolSize = maxPoolSize;
        builder.MinPoolSize = 0;
        builder.GssEncryptionMode = EffectiveGssEncryptionMode(
            builder, Environment.GetEnvironmentVariable("KRB5CCNAME"), Environment.GetEnvironmentVariable("PGGSSENCMODE"));

        if (statementTimeout is { } timeout)
        {
            builder.CommandTimeout = (int)Math.Ceiling(timeout.TotalSeconds) + 15;
        }

        // The engine reads only built-in scalar types (int2, int4, int8, numeric, bool, text, timestamptz; lists go as
        // the text of an array, ArrayText): the slim builder's built-in resolver is all it needs, and each new data
        // source (the operator makes one per check) builds none of the full builder's chain of array, JSON, range,
        // network, geometric and other mappings. TLS and Kerberos stay available. And skip loading the database's
        // type catalog, which costs a round trip per new pool.
        var dataSource = new NpgsqlSlimDataSourceBuilder(builder.ConnectionString)
            .EnableTransportSecurity()
            .EnableIntegratedSecurity();
        dataSource.ConfigureTypeLoading(types => types.EnableTypeLoading(false));
        return dataSource.Build();
    }

    /// <summary>
    /// GSS encryption (Kerberos) only where it can be meant: Npgsql's default, Prefer, loads the Kerberos libraries at
    /// every new connection to look for a credential (about 10 ms of a small check, and 1 MB resident in the
    /// operator) and, finding none, goes on with TLS or without encryption as Disable would. So the mode stays as
    /// Npgsql would have it when the connection string names it (<c>GSS Encryption Mode</c>, or the URI's
    /// <c>gssencmode</c>), when <c>PGGSSENCMODE</c> is set, or when <c>KRB5CCNAME</c> points at a credential cache;
    /// otherwise it is Disable.
    /// </summary>
    public static GssEncryptionMode EffectiveGssEncryptionMode(
        NpgsqlConnectionStringBuilder settings, string? credentialCache, string? environmentMode)
    {
        ArgumentNullException.ThrowIfNull(settings);
        // The builder writes only the keys that were set, under their display names.
        var named = new DbConnectionStringBuilder { ConnectionString = settings.ConnectionString }.ContainsKey("GSS Encryption Mode");
        return named || !string.IsNullOrEmpty(credentialCache) || !string.IsNullOrEmpty(environmentMode)
            ? settings.GssEncryptionMode
            : GssEncryptionMode.Disable;
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
            try
            {
                ApplyParameter(builder, key, value);
            }
            catch (ArgumentException)
            {
                throw Invalid($"the URI parameter '{key}' has a value Npgsql does not accept");
            }
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
                builder.Timeout = ParseInRange(value, RangeOf("timeout")!, "the URI parameter connect_timeout");
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
            case "gssencmode":
                builder.GssEncryptionMode = value.Trim().ToLowerInvariant() switch
                {
                    "disable" => GssEncryptionMode.Disable,
                    "prefer" => GssEncryptionMode.Prefer,
                    "require" => GssEncryptionMode.Require,
                    _ => throw Invalid("the URI parameter gssencmode must be disable, prefer or require"),
                };
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
                // Prisma's DATABASE_URL carries ?schema=<one schema name, exactly as written>: search_path is a list
                // that PostgreSQL splits at commas and folds to lower case unless quoted, so quote what needs it.
                builder.SearchPath = value.Contains('\0', StringComparison.Ordinal)
                    ? throw Invalid("the URI parameter schema contains a NUL character")
                    : Identifiers.SearchPathEntry(value);
                break;
            case "search_path":
                builder.SearchPath = value;
                break;
            default:
                throw Invalid(
                    $"the URI parameter '{key}' is not supported (supported: sslmode, gssencmode, connect_timeout, application_name, "
                        + "options, sslrootcert, sslcert, sslkey, target_session_attrs, schema)");
        }
    }

    private static int ParsePort(string value) => ParseInRange(value, RangeOf("port")!, "the URI's port");

    private static int ParseInRange(string value, KeyRange range, string what) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && range.Allows(n)
            ? n
            : throw Invalid($"{what} must be {range.Accepts}");

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
