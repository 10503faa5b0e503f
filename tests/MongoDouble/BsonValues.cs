using System;
using MongoDB.Bson;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>Comparison in the server's order: by type class first (null, numbers, strings, ...), numbers by value.</summary>
internal static class BsonValues
{
    public static int Compare(BsonValue a, BsonValue b)
    {
        int rank = Rank(a).CompareTo(Rank(b));
        if (rank != 0) return rank;
        if (a.IsNumeric && b.IsNumeric) return CompareNumbers(a, b);
        if (a.IsString && b.IsString) return string.CompareOrdinal(a.AsString, b.AsString);
        return a.CompareTo(b);
    }

    public static bool SameTypeClass(BsonValue a, BsonValue b) => Rank(a) == Rank(b);

    public static bool IsTrue(BsonValue value) => value switch
    {
        BsonBoolean b => b.Value,
        _ when value.IsNumeric => value.ToDouble() != 0,
        BsonNull => false,
        _ => true,
    };

    private static int CompareNumbers(BsonValue a, BsonValue b)
    {
        // Decimal128 against anything: as System.Decimal where both fit (98.50 equals 98.5), else as doubles.
        if (a.IsDecimal128 || b.IsDecimal128)
        {
            try { return a.ToDecimal().CompareTo(b.ToDecimal()); }
            catch (OverflowException) { }
        }
        if (a.IsInt64 && b.IsInt64) return a.AsInt64.CompareTo(b.AsInt64);
        return a.ToDouble().CompareTo(b.ToDouble());
    }

    private static int Rank(BsonValue value) => value.BsonType switch
    {
        BsonType.MinKey => 1,
        BsonType.Undefined or BsonType.Null => 2,
        BsonType.Int32 or BsonType.Int64 or BsonType.Double or BsonType.Decimal128 => 3,
        BsonType.Symbol or BsonType.String => 4,
        BsonType.Document => 5,
        BsonType.Array => 6,
        BsonType.Binary => 7,
        BsonType.ObjectId => 8,
        BsonType.Boolean => 9,
        BsonType.DateTime => 10,
        BsonType.Timestamp => 11,
        BsonType.RegularExpression => 12,
        BsonType.MaxKey => 14,
        _ => 13,
    };
}
