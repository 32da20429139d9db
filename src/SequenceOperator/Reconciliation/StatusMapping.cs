using System.Text.Json.Nodes;
using SequenceOperator.Entities;
using SequenceOperator.Postgres;

namespace SequenceOperator.Reconciliation;

/// <summary>Turns the engine's report into the policy's status entries, and a status into a merge patch.</summary>
internal static class StatusMapping
{
    public static SequenceStatusEntry ToStatusEntry(SequenceEntry e) => new()
    {
        Schema = e.Schema,
        Table = e.Table,
        Column = e.Column,
        SequenceSchema = e.SequenceSchema,
        SequenceName = e.SequenceName,
        MaxValue = e.MaxValue,
        NextValue = e.NextValue,
        BehindBy = e.BehindBy,
        CapacityUsed = e.CapacityUsed,
        Status = e.Status switch
        {
            SequenceStatus.InSync => SequenceEntryStatus.InSync,
            SequenceStatus.Behind => SequenceEntryStatus.Behind,
            SequenceStatus.Repaired => SequenceEntryStatus.Repaired,
            SequenceStatus.Skipped => SequenceEntryStatus.Skipped,
            _ => SequenceEntryStatus.Error,
        },
        RepairedNextValue = e.RepairedNextValue,
        Message = e.Message,
    };

    /// <summary>An entry of the policy that could not be checked at all (unknown table, ...), shown as an error entry.</summary>
    public static SequenceStatusEntry ToStatusEntry(EntryError error, Postgres.TableSelector? selector) => new()
    {
        Schema = selector?.Schema?.Value ?? string.Empty,
        Table = selector?.Table.Value ?? error.Entry,
        Column = selector?.Column?.Value ?? string.Empty,
        SequenceSchema = string.Empty,
        SequenceName = string.Empty,
        Status = SequenceEntryStatus.Error,
        Message = error.Message,
    };

    /// <summary>
    /// A JSON merge patch (RFC 7386) that turns <paramref name="from"/> into <paramref name="to"/>: changed values,
    /// nulls for removed keys; arrays replace whole. Null when nothing changed.
    /// </summary>
    public static JsonNode? MergeDiff(JsonNode? from, JsonNode? to)
    {
        if (to is JsonObject target && from is JsonObject source)
        {
            var patch = new JsonObject();
            foreach (var (key, value) in target)
            {
                var diff = MergeDiff(source[key], value);
                if (diff is not null || (value is null && source.ContainsKey(key) && source[key] is not null))
                {
                    patch[key] = diff?.DeepClone();
                }
            }

            foreach (var (key, value) in source)
            {
                if (!target.ContainsKey(key) && value is not null)
                {
                    patch[key] = null;
                }
            }

            return patch.Count == 0 ? null : patch;
        }

        return JsonNode.DeepEquals(from, to) ? null : to?.DeepClone();
    }
}
