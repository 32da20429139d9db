using System.Text.Json.Nodes;

namespace SequenceOperator.Testing.Kubernetes;

/// <summary>Label selectors (equality- and set-based) and the field selectors every resource supports.</summary>
internal static class Selectors
{
    public static Func<JsonObject, bool> Labels(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return _ => true;
        }

        var requirements = new List<Func<IReadOnlyDictionary<string, string>, bool>>();
        foreach (var term in SplitTerms(selector))
        {
            requirements.Add(ParseLabelTerm(term.Trim()));
        }

        return obj =>
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (obj["metadata"]?["labels"] is JsonObject map)
            {
                foreach (var (k, v) in map)
                {
                    labels[k] = v?.GetValue<string>() ?? string.Empty;
                }
            }

            return requirements.All(r => r(labels));
        };
    }

    public static Func<JsonObject, bool> Fields(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return _ => true;
        }

        var requirements = new List<Func<JsonObject, bool>>();
        foreach (var raw in selector.Split(','))
        {
            var term = raw.Trim();
            var negate = term.Contains("!=", StringComparison.Ordinal);
            var parts = term.Split(negate ? "!=" : (term.Contains("==", StringComparison.Ordinal) ? "==" : "="), 2);
            if (parts.Length != 2)
            {
                throw Statuses.BadRequest($"invalid field selector: '{term}'");
            }

            var (field, value) = (parts[0].Trim(), parts[1].Trim());
            Func<JsonObject, string?> getter = field switch
            {
                "metadata.name" => o => o["metadata"]?["name"]?.GetValue<string>(),
                "metadata.namespace" => o => o["metadata"]?["namespace"]?.GetValue<string>() ?? string.Empty,
                _ => throw Statuses.BadRequest($"field label not supported: {field}"),
            };
            requirements.Add(o => negate ? getter(o) != value : getter(o) == value);
        }

        return obj => requirements.All(r => r(obj));
    }

    private static IEnumerable<string> SplitTerms(string selector)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < selector.Length; i++)
        {
            switch (selector[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return selector[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return selector[start..];
    }

    private static Func<IReadOnlyDictionary<string, string>, bool> ParseLabelTerm(string term)
    {
        var words = term.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 2 && (words[1].StartsWith(
            "in",
            StringComparison.Ordinal) || words[1].StartsWith("notin", StringComparison.Ordinal)))
        {
            var key = words[0];
            var notIn = words[1].StartsWith("notin", StringComparison.Ordinal);
            var open = words[1].IndexOf('(', StringComparison.Ordinal);
            var close = words[1].LastIndexOf(')');
            if (open < 0 || close < open)
            {
                throw Statuses.BadRequest($"unable to parse requirement: {term}");
            }

            var values = words[1][(open + 1)..close].Split(
                ',',
                StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
            return labels => notIn
                ? !labels.TryGetValue(key, out var v) || !values.Contains(v)
                : labels.TryGetValue(key, out var w) && values.Contains(w);
        }

        if (term.StartsWith('!'))
        {
            var key = term[1..].Trim();
            return labels => !labels.ContainsKey(key);
        }

        if (term.Contains("!=", StringComparison.Ordinal))
        {
            var parts = term.Split("!=", 2, StringSplitOptions.TrimEntries);
            return labels => !labels.TryGetValue(parts[0], out var v) || v != parts[1];
        }

        if (term.Contains('=', StringComparison.Ordinal))
        {
            var parts = term.Split(term.Contains("==", StringComparison.Ordinal) ? "==" : "=", 2, StringSplitOptions.TrimEntries);
            return labels => labels.TryGetValue(parts[0], out var v) && v == parts[1];
        }

        return labels => labels.ContainsKey(term);
    }
}
