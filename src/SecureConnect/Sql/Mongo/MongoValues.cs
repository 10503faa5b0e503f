using System;
using System.Collections.Generic;
using System.Management.Automation;
using MongoDB.Bson;
using SecureConnect.Common;

namespace SecureConnect.Sql.Mongo;

/// <summary>
/// BSON values as PowerShell users handle them: a document is an object whose properties are its fields in document
/// order (nested documents nested objects), an array is object[], an ObjectId its 24 hex digits, Decimal128 a decimal,
/// a date a DateTime of kind Utc, a UUID binary (subtype 4) a Guid, other binary byte[], a timestamp its 64-bit value
/// (seconds in the high 32 bits, the increment in the low), a regular expression its /pattern/options text. So
/// Export-Csv and ConvertTo-Json take them as they are.
/// </summary>
internal static class MongoValues
{
    public static object? ToDotNet(BsonValue value)
    {
        switch (value.BsonType)
        {
            case BsonType.Null:
            case BsonType.Undefined:
                return null;
            case BsonType.Document:
                return ToObject(value.AsBsonDocument);
            case BsonType.Array:
                BsonArray array = value.AsBsonArray;
                var items = new object?[array.Count];
                for (int i = 0; i < items.Length; i++)
                {
                    items[i] = ToDotNet(array[i]);
                }

                return items;
            case BsonType.ObjectId:
                return value.AsObjectId.ToString();
            case BsonType.Decimal128:
                return Decimal(value.AsDecimal128);
            case BsonType.DateTime:
                BsonDateTime date = value.AsBsonDateTime;

                // Outside DateTime's years 1 to 9999: the milliseconds since 1970, which lose nothing.
                return date.IsValidDateTime ? DateTime.SpecifyKind(date.ToUniversalTime(), DateTimeKind.Utc) : date.MillisecondsSinceEpoch;
            case BsonType.Int32:
                return value.AsInt32;
            case BsonType.Int64:
                return value.AsInt64;
            case BsonType.Double:
                return value.AsDouble;
            case BsonType.Boolean:
                return value.AsBoolean;
            case BsonType.String:
                return value.AsString;
            case BsonType.Binary:
                BsonBinaryData binary = value.AsBsonBinaryData;

                // Subtype 3 (the legacy UUID) is left as bytes: drivers disagreed on its byte order.
                return binary.SubType == BsonBinarySubType.UuidStandard && binary.Bytes.Length == 16
                    ? binary.ToGuid(GuidRepresentation.Standard)
                    : binary.Bytes;
            case BsonType.Timestamp:
                return (ulong)value.AsBsonTimestamp.Value;
            case BsonType.RegularExpression:
                BsonRegularExpression regex = value.AsBsonRegularExpression;
                return $"/{regex.Pattern}/{regex.Options}";
            case BsonType.JavaScript:
                return value.AsBsonJavaScript.Code;
            case BsonType.JavaScriptWithScope:
                return value.AsBsonJavaScriptWithScope.Code;
            case BsonType.Symbol:
                return value.AsBsonSymbol.Name;
            case BsonType.MinKey:
                return "MinKey";
            case BsonType.MaxKey:
                return "MaxKey";
            default:
                return value.ToString();
        }
    }

    /// <summary>A decimal when it fits (28-29 digits); else its text, such as NaN, Infinity or 1E+6000.</summary>
    public static object Decimal(Decimal128 value)
    {
        if (!Decimal128.IsNaN(value) && !Decimal128.IsInfinity(value))
        {
            try
            {
                return Decimal128.ToDecimal(value);
            }
            catch (OverflowException)
            {
            }
        }

        return value.ToString();
    }

    /// <summary>A document's field names (made unique the way PowerShell needs: names differing only in case clash) and values.</summary>
    public static (string[] Names, object?[] Values) ToRow(BsonDocument document)
    {
        var raw = new List<string>(document.ElementCount);
        var values = new object?[document.ElementCount];
        int i = 0;
        foreach (BsonElement element in document)
        {
            raw.Add(element.Name);
            values[i++] = ToDotNet(element.Value);
        }

        return (ColumnNames.Unique(raw), values);
    }

    /// <summary>A nested document as an object (a PSCustomObject), fields in document order.</summary>
    public static PSObject ToObject(BsonDocument document)
    {
        (string[] names, object?[] values) = ToRow(document);
        return RowObjects.CreateOne(names, values);
    }
}
