using System;
using System.Collections.Generic;
using System.Linq;
using MongoDB.Bson;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>
/// The part of the query language the double understands: filters (equality and $eq $ne $gt $gte $lt $lte $in $nin
/// $exists on a field or dotted path, $and $or), projections (inclusion or exclusion of fields), and sorts.
/// Anything else is refused with the server's error, never silently ignored.
/// </summary>
internal static class QueryEngine
{
    public static Func<BsonDocument, bool> CompileFilter(BsonDocument? filter)
    {
        if (filter is null || filter.ElementCount == 0) return _ => true;
        var tests = filter.Elements.Select(CompileElement).ToArray();
        return document => tests.All(test => test(document));
    }

    public static IEnumerable<BsonDocument> Sort(IEnumerable<BsonDocument> documents, BsonDocument? sort)
    {
        if (sort is null || sort.ElementCount == 0) return documents;
        var keys = sort.Elements.Select(e =>
        {
            if (!e.Value.IsNumeric || (e.Value.ToDouble() != 1 && e.Value.ToDouble() != -1))
                throw CommandException.BadValue($"$sort key ordering must be 1 (for ascending) or -1 (for descending), not {e.Value} for {e.Name}");
            return (Path: e.Name, Direction: (int)e.Value.ToDouble());
        }).ToArray();
        return documents.OrderBy(d => d, Comparer<BsonDocument>.Create((a, b) =>
        {
            foreach (var (path, direction) in keys)
            {
                int c = BsonValues.Compare(Lookup(a, path) ?? BsonNull.Value, Lookup(b, path) ?? BsonNull.Value);
                if (c != 0) return c * direction;
            }
            return 0;
        }));
    }

    public static Func<BsonDocument, BsonDocument> CompileProjection(BsonDocument? projection)
    {
        if (projection is null || projection.ElementCount == 0) return d => d;
        bool includeId = !projection.Contains("_id") || BsonValues.IsTrue(projection["_id"]);
        var fields = projection.Elements.Where(e => e.Name != "_id").ToArray();
        foreach (var field in fields)
        {
            if (!field.Value.IsNumeric && !field.Value.IsBoolean)
                throw CommandException.BadValue($"Projection of {field.Name} to {field.Value} is not supported by this double (only 0/1 and true/false).");
        }
        bool inclusion = fields.Length == 0 ? projection.Contains("_id") && includeId : BsonValues.IsTrue(fields[0].Value);
        if (fields.Any(f => BsonValues.IsTrue(f.Value) != inclusion))
        {
            var odd = fields.First(f => BsonValues.IsTrue(f.Value) != inclusion);
            throw new CommandException(31254, "Location31254", $"Cannot do {(inclusion ? "exclusion" : "inclusion")} on field {odd.Name} in {(inclusion ? "inclusion" : "exclusion")} projection");
        }
        var names = new HashSet<string>(fields.Select(f => f.Name), StringComparer.Ordinal);
        return document =>
        {
            var result = new BsonDocument();
            foreach (var element in document)
            {
                bool keep = element.Name == "_id" ? includeId : names.Contains(element.Name) == inclusion;
                if (keep) result.Add(element);
            }
            return result;
        };
    }

    /// <summary>The value at a field or dotted path, or null when absent (arrays are not walked into).</summary>
    public static BsonValue? Lookup(BsonDocument document, string path)
    {
        BsonValue current = document;
        foreach (string part in path.Split('.'))
        {
            if (current is not BsonDocument doc || !doc.TryGetValue(part, out current!)) return null;
        }
        return current;
    }

    private static Func<BsonDocument, bool> CompileElement(BsonElement element)
    {
        switch (element.Name)
        {
            case "$and":
            case "$or":
                if (!element.Value.IsBsonArray || element.Value.AsBsonArray.Count == 0)
                    throw CommandException.BadValue($"{element.Name} must be a nonempty array");
                var parts = element.Value.AsBsonArray.Select(v => v.IsBsonDocument
                    ? CompileFilter(v.AsBsonDocument)
                    : throw CommandException.BadValue($"{element.Name}/$nor entries need to be full objects")).ToArray();
                return element.Name == "$and" ? d => parts.All(p => p(d)) : d => parts.Any(p => p(d));
            case var name when name.StartsWith('$'):
                throw CommandException.BadValue($"unknown top level operator: {name}");
        }

        string path = element.Name;
        if (element.Value is BsonDocument operators && operators.ElementCount > 0 && operators.GetElement(0).Name.StartsWith('$'))
        {
            var tests = operators.Elements.Select(o => CompileOperator(o.Name, o.Value)).ToArray();
            return d => { var value = Lookup(d, path); return tests.All(t => t(value)); };
        }
        BsonValue expected = element.Value;
        return d => MatchesEquality(Lookup(d, path), expected);
    }

    private static Func<BsonValue?, bool> CompileOperator(string name, BsonValue operand) => name switch
    {
        "$eq" => v => MatchesEquality(v, operand),
        "$ne" => v => !MatchesEquality(v, operand),
        "$gt" => v => AnyComparable(v, operand, c => c > 0),
        "$gte" => v => AnyComparable(v, operand, c => c >= 0),
        "$lt" => v => AnyComparable(v, operand, c => c < 0),
        "$lte" => v => AnyComparable(v, operand, c => c <= 0),
        "$in" => operand.IsBsonArray ? v => operand.AsBsonArray.Any(o => MatchesEquality(v, o)) : throw CommandException.BadValue("$in needs an array"),
        "$nin" => operand.IsBsonArray ? v => !operand.AsBsonArray.Any(o => MatchesEquality(v, o)) : throw CommandException.BadValue("$nin needs an array"),
        "$exists" => v => (v is not null) == BsonValues.IsTrue(operand),
        _ => throw CommandException.BadValue($"unknown operator: {name}"),
    };

    private static bool MatchesEquality(BsonValue? actual, BsonValue expected)
    {
        // As on a server: {f: null} matches a missing field; an array matches when it or one of its elements does.
        if (actual is null) return expected.IsBsonNull;
        if (BsonValues.Compare(actual, expected) == 0 && BsonValues.SameTypeClass(actual, expected)) return true;
        return actual is BsonArray array && array.Any(item => BsonValues.Compare(item, expected) == 0 && BsonValues.SameTypeClass(item, expected));
    }

    private static bool AnyComparable(BsonValue? actual, BsonValue operand, Func<int, bool> test)
    {
        // Range operators compare within one type class only (numbers with numbers, strings with strings...).
        if (actual is null) return false;
        if (actual is BsonArray array) return array.Any(item => BsonValues.SameTypeClass(item, operand) && test(BsonValues.Compare(item, operand)));
        return BsonValues.SameTypeClass(actual, operand) && test(BsonValues.Compare(actual, operand));
    }
}
