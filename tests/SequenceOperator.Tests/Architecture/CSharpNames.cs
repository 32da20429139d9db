namespace SequenceOperator.Tests.Architecture;

/// <summary>A word or symbol of C# code, with the line it starts on.</summary>
internal readonly record struct CodeToken(string Text, int Line)
{
    public bool IsIdentifier => Text.Length > 0 && (char.IsLetter(Text[0]) || Text[0] == '_');
}

/// <summary>A dotted name written in code (<c>SequenceOperator.Hosting.OperatorHost</c>, <c>Hosting.OperatorHost</c>).</summary>
/// <param name="IsGlobalUsing">Written in a <c>global using</c> directive: it imports into every file of the project.</param>
internal sealed record DottedName(IReadOnlyList<string> Parts, int Line, bool IsGlobalUsing)
{
    public override string ToString() => string.Join('.', Parts);
}

/// <summary>
/// Reads C# source as the compiler's lexer does, only as far as names go: comments, string and character literals and
/// preprocessor lines are skipped, while the code inside an interpolated string's holes (<c>$"{Hosting.X.Y()}"</c>,
/// raw and verbatim ones too) is read as code. No reflection and no compiler: a name that never compiles into a
/// reference (a <c>using</c> nothing needs, a qualified name) is found all the same.
/// </summary>
internal static class CSharpNames
{
    /// <summary>Every maximal dotted name (<c>A.B.C</c>, after an optional <c>global::</c>), in order.</summary>
    public static IReadOnlyList<DottedName> DottedNames(string source)
    {
        var tokens = Tokens(source);
        var names = new List<DottedName>();
        for (var k = 0; k < tokens.Count; k++)
        {
            // Not the middle of a name, and not the name a namespace declaration gives.
            if (!tokens[k].IsIdentifier || (k > 0 && tokens[k - 1].Text is "." or "?." or "::" or "namespace" && !IsGlobalAlias(tokens, k)))
            {
                continue;
            }

            var parts = new List<string> { tokens[k].Text };
            var end = k;
            while (end + 2 < tokens.Count && tokens[end + 1].Text == "." && tokens[end + 2].IsIdentifier)
            {
                parts.Add(tokens[end + 2].Text);
                end += 2;
            }

            names.Add(new DottedName(parts, tokens[k].Line, IsInGlobalUsing(tokens, IsGlobalAlias(tokens, k) ? k - 2 : k)));
            k = end;
        }

        return names;
    }

    /// <summary>The namespace a file declares and the names of the types it declares (nested ones too).</summary>
    public static (string? Namespace, IReadOnlyList<string> Types) Declarations(string source)
    {
        var tokens = Tokens(source);
        string? ns = null;
        var types = new List<string>();
        for (var k = 0; k + 1 < tokens.Count; k++)
        {
            switch (tokens[k].Text)
            {
                case "namespace" when ns is null:
                    var parts = new List<string>();
                    for (var j = k + 1; j < tokens.Count && tokens[j].Text is not (";" or "{"); j++)
                    {
                        if (tokens[j].IsIdentifier)
                        {
                            parts.Add(tokens[j].Text);
                        }
                    }

                    ns = string.Join('.', parts);
                    break;
                case "class" or "struct" or "interface" or "enum" or "record":
                    var name = tokens[k + 1].Text is "struct" or "class" && k + 2 < tokens.Count ? tokens[k + 2] : tokens[k + 1];
                    if (name.IsIdentifier && k > 0 && tokens[k - 1].Text is not ("." or "where" or ":" or ","))
                    {
                        types.Add(name.Text);
                    }

                    break;
            }
        }

        return (ns, types);
    }

    /// <summary>
    /// The code of <paramref name="source"/> as tokens: identifiers (without <c>@</c>), <c>.</c>, <c>::</c>, other symbols.
    /// </summary>
    public static IReadOnlyList<CodeToken> Tokens(string source) => new Lexer(source).Run();

    // `global::SequenceOperator.X`: the chain starts after `global ::`.
    private static bool IsGlobalAlias(IReadOnlyList<CodeToken> tokens, int k) =>
        k >= 2 && tokens[k - 1].Text == "::" && tokens[k - 2].Text == "global";

    // `global using X.Y;`, `global using static X.Y;`, `global using A = X.Y;`
    private static bool IsInGlobalUsing(IReadOnlyList<CodeToken> tokens, int k)
    {
        string At(int i) => i >= 0 ? tokens[i].Text : string.Empty;
        return (At(k - 1) == "using" && At(k - 2) == "global")
            || (At(k - 1) == "static" && At(k - 2) == "using" && At(k - 3) == "global")
            || (At(k - 1) == "=" && At(k - 3) == "using" && At(k - 4) == "global");
    }

    private sealed class Lexer(string source)
    {
        private readonly List<CodeToken> _tokens = [];
        private int _at;
        private int _line = 1;

        public List<CodeToken> Run()
        {
            Code(closeBraces: 0);
            return _tokens;
        }

        private char Peek(int ahead = 0) => _at + ahead < source.Length ? source[_at + ahead] : '\0';

        private void Advance()
        {
            if (source[_at] == '\n')
            {
                _line++;
            }

            _at++;
        }

        // Code up to the end, or inside an interpolation hole (closeBraces > 0) up to the braces that close it.
        private void Code(int closeBraces)
        {
            var depth = 0;
            var lineStart = true;
            while (_at < source.Length)
            {
                var c = Peek();
                if (c == '\n')
                {
                    lineStart = true;
                    Advance();
                    continue;
                }

                if (char.IsWhiteSpace(c))
                {
                    Advance();
                    continue;
                }

                if (lineStart && c == '#' && closeBraces == 0)
                {
                    SkipLine();
                    continue;
                }

                lineStart = false;
                if (c == '/' && Peek(1) == '/')
                {
                    SkipLine();
                    continue;
                }

                if (c == '/' && Peek(1) == '*')
                {
                    Advance();
                    Advance();
                    while (_at < source.Length && !(Peek() == '*' && Peek(1) == '/'))
                    {
                        Advance();
                    }

                    _at = Math.Min(source.Length, _at + 2);
                    continue;
                }

                if (closeBraces > 0 && depth == 0)
                {
                    if (c == '}')
                    {
                        for (var b = 0; b < closeBraces && Peek() == '}'; b++)
                        {
                            Advance();
                        }

                        return;
                    }

                    if (c == ':' && Peek(1) != ':')
                    {
                        // A format specifier ({x:F0}) is text up to the closing brace.
                        while (_at < source.Length && Peek() != '}')
                        {
                            Advance();
                        }

                        continue;
                    }
                }

                if (TryString())
                {
                    continue;
                }

                if (c == '\'')
                {
                    Advance();
                    while (_at < source.Length && Peek() != '\'' && Peek() != '\n')
                    {
                        if (Peek() == '\\')
                        {
                            Advance();
                        }

                        Advance();
                    }

                    if (_at < source.Length)
                    {
                        Advance();
                    }

                    continue;
                }

                if (char.IsLetter(c) || c == '_' || (c == '@' && (char.IsLetter(Peek(1)) || Peek(1) == '_')))
                {
                    var start = c == '@' ? _at + 1 : _at;
                    _at = start;
                    while (_at < source.Length && (char.IsLetterOrDigit(Peek()) || Peek() == '_'))
                    {
                        _at++;
                    }

                    _tokens.Add(new CodeToken(source[start.._at], _line));
                    continue;
                }

                if (char.IsDigit(c))
                {
                    var start = _at;
                    while (
                        _at < source.Length && (char.IsLetterOrDigit(Peek()) || Peek() == '_' || (Peek() == '.' && char.IsDigit(Peek(1)))))
                    {
                        _at++;
                    }

                    _tokens.Add(new CodeToken(source[start.._at], _line));
                    continue;
                }

                var symbol = (c, Peek(1)) switch
                {
                    (':', ':') => "::",
                    ('?', '.') => "?.",
                    _ => c.ToString(),
                };
                _tokens.Add(new CodeToken(symbol, _line));
                _at += symbol.Length;
                depth += c switch
                {
                    '(' or '[' or '{' => 1,
                    ')' or ']' or '}' => -1,
                    _ => 0,
                };
            }
        }

        private void SkipLine()
        {
            while (_at < source.Length && Peek() != '\n')
            {
                _at++;
            }
        }

        // A string literal of any kind at the current position: skipped, its interpolation holes read as code.
        private bool TryString()
        {
            var dollars = 0;
            var verbatim = false;
            var i = _at;
            while (i < source.Length && source[i] is '$' or '@')
            {
                if (source[i] == '$')
                {
                    dollars++;
                }
                else
                {
                    verbatim = true;
                }

                i++;
            }

            if (i >= source.Length || source[i] != '"')
            {
                return false;
            }

            var quotes = 0;
            while (i + quotes < source.Length && source[i + quotes] == '"')
            {
                quotes++;
            }

            while (_at < i)
            {
                Advance();
            }

            if (quotes >= 3)
            {
                RawString(quotes, dollars);
            }
            else
            {
                Advance(); // the opening quote (an empty "" closes at once below)
                QuotedString(dollars > 0, verbatim);
            }

            return true;
        }

        private void QuotedString(bool interpolated, bool verbatim)
        {
            while (_at < source.Length)
            {
                var c = Peek();
                if (!verbatim && c == '\\')
                {
                    Advance();
                    Advance();
                }
                else if (c == '"' && verbatim && Peek(1) == '"')
                {
                    Advance();
                    Advance();
                }
                else if (c == '"' || (!verbatim && c == '\n'))
                {
                    Advance();
                    return;
                }
                else if (interpolated && c == '{' && Peek(1) == '{')
                {
                    Advance();
                    Advance();
                }
                else if (interpolated && c == '{')
                {
                    Advance();
                    Code(closeBraces: 1);
                }
                else
                {
                    Advance();
                }
            }
        }

        private void RawString(int quotes, int dollars)
        {
            var close = new string('"', quotes);
            for (var q = 0; q < quotes; q++)
            {
                Advance();
            }

            while (_at < source.Length)
            {
                if (string.CompareOrdinal(source, _at, close, 0, quotes) == 0)
                {
                    for (var q = 0; q < quotes; q++)
                    {
                        Advance();
                    }

                    return;
                }

                if (dollars > 0 && Peek() == '{')
                {
                    var run = 0;
                    while (Peek(run) == '{')
                    {
                        run++;
                    }

                    // With $$, {{ opens a hole and a lone { is text; a longer run is text braces before the hole.
                    for (var b = 0; b < run; b++)
                    {
                        Advance();
                    }

                    if (run >= dollars)
                    {
                        Code(closeBraces: dollars);
                    }

                    continue;
                }

                Advance();
            }
        }
    }
}
