using System;
using System.Collections.Generic;
using System.Linq;
using MongoDB.Bson;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>
/// The aggregation stages the double runs, lazily over the collection: $match, $limit, $skip, $sort, $project,
/// $count, and $group by a constant or one field with $sum (what countDocuments sends). Others are refused with the
/// server's code.
/// </summary>
internal static class Pipeline
{
    public static IEnumerable<BsonDocument> Apply(IEnumerable<BsonDocument> source, BsonArray stages)
    {
        foreach (var stageValue in stages)
        {
            if (stageValue is not BsonDocument stage || stage.ElementCount != 1)
                throw new CommandException(40323, "Location40323", "A pipeline stage specification object must contain exactly one field.");
            var (name, spec) = (stage.GetElement(0).Name, stage[0]);
            source = name switch
            {
                "$match" => source.Where(QueryEngine.CompileFilter(Document(name, spec))),
                "$limit" => source.Take(checked((int)PositiveLong(name, spec))),
                "$skip" => source.Skip(checked((int)PositiveLong(name, spec, allowZero: true))),
                "$sort" => QueryEngine.Sort(source, Document(name, spec)),
                "$project" => source.Select(QueryEngine.CompileProjection(Document(name, spec))),
                "$count" => Count(source, spec),
                "$group" => Group(source, Document(name, spec)),
                _ => throw new CommandException(40324, "Location40324", $"Unrecognized pipeline stage name: '{name}'"),
            };
        }
        return source;
    }

    private static IEnumerable<BsonDocument> Count(IEnumerable<BsonDocument> source, BsonValue spec)
    {
        if (!spec.IsString || spec.AsString.Length == 0)
            throw new CommandException(40156, "Location40156", "the count field must be a non-empty string");
        long n = source.LongCount();
        return n == 0 ? Enumerable.Empty<BsonDocument>() : new[] { new BsonDocument(spec.AsString, Number(n)) };
    }

    private static IEnumerable<BsonDocument> Group(IEnumerable<BsonDocument> source, BsonDocument spec)
    {
        if (!spec.Contains("_id")) throw new CommandException(15955, "Location15955", "a group specification must include an _id");
        BsonValue key = spec["_id"];
        var sums = spec.Elements.Where(e => e.Name != "_id").Select(e =>
        {
            if (e.Value is not BsonDocument acc || acc.ElementCount != 1 || acc.GetElement(0).Name != "$sum")
                throw new CommandException(15952, "Location15952", $"unknown group operator in {e.Name} (this double knows $sum only)");
            return (e.Name, Operand: acc[0]);
        }).ToArray();

        var groups = new List<(BsonValue Key, decimal[] Totals)>();
        foreach (var document in source)
        {
            BsonValue groupKey = Evaluate(document, key);
            int index = groups.FindIndex(g => BsonValues.Compare(g.Key, groupKey) == 0);
            if (index < 0) { groups.Add((groupKey, new decimal[sums.Length])); index = groups.Count - 1; }
            for (int i = 0; i < sums.Length; i++)
            {
                BsonValue value = Evaluate(document, sums[i].Operand);
                if (value.IsNumeric) groups[index].Totals[i] += value.ToDecimal();
            }
        }
        return groups.Select(g =>
        {
            var result = new BsonDocument("_id", g.Key);
            for (int i = 0; i < sums.Length; i++) result[sums[i].Name] = Number(g.Totals[i]);
            return result;
        });
    }

    private static BsonValue Evaluate(BsonDocument document, BsonValue expression) =>
        expression.IsString && expression.AsString.StartsWith('$')
            ? QueryEngine.Lookup(document, expression.AsString[1..]) ?? BsonNull.Value
            : expression;

    private static BsonValue Number(decimal n) =>
        n == decimal.Truncate(n) && n >= int.MinValue && n <= int.MaxValue ? new BsonInt32((int)n)
        : n == decimal.Truncate(n) && n >= long.MinValue && n <= long.MaxValue ? new BsonInt64((long)n)
        : new BsonDecimal128(new Decimal128(n));

    private static BsonDocument Document(string stage, BsonValue spec) =>
        spec as BsonDocument ?? throw new CommandException(15959, "Location15959", $"the {stage} specification must be an object");

    private static long PositiveLong(string stage, BsonValue spec, bool allowZero = false)
    {
        if (!spec.IsNumeric || spec.ToDouble() != Math.Floor(spec.ToDouble()) || spec.ToDouble() < (allowZero ? 0 : 1))
            throw new CommandException(15958, "Location15958", $"the {stage} must be a {(allowZero ? "non-negative" : "positive")} whole number");
        return spec.ToInt64();
    }
}
