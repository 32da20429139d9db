using System.Collections.Concurrent;

namespace SequenceOperator.Postgres;

/// <summary>
/// One copy of each schema, table, column, type and sequence name the engine reads from the catalogs, across its
/// runs. Each run reads every name anew, and what keeps a report's names for longer (the operator's metrics series,
/// its insight model) would otherwise hold a copy per policy, and per check until the next full collection; policies
/// on databases of the same application share most of their names. Bounded: past <see cref="Capacity"/> names, a
/// new name is returned as it came, so a stream of distinct names cannot grow it for ever (threads adding at the same
/// moment may each add one past it). Thread-safe.
/// </summary>
internal sealed class NameTable
{
    /// <summary>Names kept at most (about 5 MB of short names).</summary>
    public const int Capacity = 65_536;

    private readonly ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);

    // Counted here: ConcurrentDictionary.Count takes every one of the dictionary's locks (up to 1,024 as it grows), and
    // asking it before each new name took a quarter of a 10,000-table check's CPU.
    private int _count;

    /// <summary>The kept copy of <paramref name="name"/>, or <paramref name="name"/> itself.</summary>
    public string Intern(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_names.TryGetValue(name, out var kept))
        {
            return kept;
        }

        if (Volatile.Read(ref _count) >= Capacity)
        {
            return name;
        }

        if (_names.TryAdd(name, name))
        {
            Interlocked.Increment(ref _count);
            return name;
        }

        // Another thread added it meanwhile.
        return _names.TryGetValue(name, out kept) ? kept : name;
    }
}
