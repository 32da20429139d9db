using System.Globalization;
using System.Text;
using Npgsql;
using SequenceOperator.Entities;
using SequenceOperator.Postgres;

namespace SequenceOperator.Reconciliation;

/// <summary>The Secret cannot give a connection; the message names keys, never values.</summary>
internal sealed class SecretInvalidException(string message) : Exception(message)
{
    public SecretInvalidException()
        : this("the Secret is not valid")
    {
    }

    public SecretInvalidException(string message, Exception innerException)
        : this(message + " " + innerException.Message)
    {
    }
}

/// <summary>
/// Builds the connection settings for a policy from its Secret and its spec. The Secret holds either a URI
/// (<c>uri</c> or <c>DATABASE_URL</c>, as CloudNativePG and most charts write) or discrete keys (<c>host</c>,
/// <c>port</c>, <c>dbname</c>/<c>database</c>, <c>username</c>/<c>user</c>, <c>password</c>, <c>sslmode</c>).
/// Values in the Secret win; the spec's database fields fill what the Secret leaves out.
/// </summary>
internal static class SecretConnection
{
    public static NpgsqlConnectionStringBuilder Build(DatabaseSpec spec, string secretName, IDictionary<string, byte[]>? data)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var values = (data ?? new Dictionary<string, byte[]>()).ToDictionary(
            kv => kv.Key,
            kv => Decode(secretName, kv.Key, kv.Value),
            StringComparer.Ordinal);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = spec.Host,
            Port = spec.Port,
            Database = spec.Name,
            SslMode = Enum.Parse<SslMode>(spec.SslMode.ToString()),
        };

        var uri = First(values, "uri", "DATABASE_URL");
        if (uri is not null)
        {
            NpgsqlConnectionStringBuilder parsed;
            try
            {
                parsed = DatabaseConnection.Parse(uri);
            }
            catch (SequenceEngineException ex)
            {
                throw new SecretInvalidException($"Secret {secretName}: the URI in key '{UriKey(values)}' is not valid: {ex.Message}.");
            }

            // Only what the URI states overrides the spec: the builder's text holds just the keys that were set.
            var stated = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = parsed.ConnectionString };
            foreach (string key in stated.Keys)
            {
                builder[key] = stated[key];
            }
        }

        if (First(values, "host") is { Length: > 0 } host)
        {
            builder.Host = host;
        }

        if (First(values, "port") is { Length: > 0 } port)
        {
            builder.Port = int.TryParse(port.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 65535
                ? p
                : throw new SecretInvalidException($"Secret {secretName}: key 'port' is not a port number (1-65535).");
        }

        if (First(values, "dbname", "database") is { Length: > 0 } database)
        {
            builder.Database = database;
        }

        if (First(values, "username", "user") is { Length: > 0 } user)
        {
            builder.Username = user;
        }

        if (First(values, "password") is { } password)
        {
            builder.Password = password;
        }

        if (First(values, "sslmode") is { Length: > 0 } sslMode)
        {
            try
            {
                builder.SslMode = DatabaseConnection.ParseSslMode(sslMode);
            }
            catch (SequenceEngineException ex)
            {
                throw new SecretInvalidException($"Secret {secretName}: key 'sslmode': {ex.Message}.");
            }
        }

        if (string.IsNullOrEmpty(builder.Username))
        {
            throw new SecretInvalidException(
                $"Secret {secretName} has no user name: expected a key 'username' or 'user', or a URI in 'uri' or 'DATABASE_URL' (keys "
                    + $"present: {KeyList(values)}).");
        }

        if (builder.Password is null)
        {
            throw new SecretInvalidException(
                $"Secret {secretName} has no password: expected a key 'password', or a URI with one in 'uri' or 'DATABASE_URL' (keys "
                    + $"present: {KeyList(values)}).");
        }

        return builder;
    }

    private static string? First(Dictionary<string, string> values, params string[] keys) =>
        keys.Select(k => values.GetValueOrDefault(k)).FirstOrDefault(v => v is not null);

    private static string UriKey(Dictionary<string, string> values) => values.ContainsKey("uri") ? "uri" : "DATABASE_URL";

    private static string KeyList(Dictionary<string, string> values) =>
        values.Count == 0 ? "none" : string.Join(", ", values.Keys.Order(StringComparer.Ordinal));

    private static string Decode(string secretName, string key, byte[] value)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(value).TrimEnd('\r', '\n');
        }
        catch (DecoderFallbackException)
        {
            throw new SecretInvalidException($"Secret {secretName}: key '{key}' is not UTF-8 text.");
        }
    }
}
