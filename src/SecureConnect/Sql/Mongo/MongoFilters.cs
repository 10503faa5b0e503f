using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;
using MongoDB.Bson;
using SecureConnect.Common;

namespace SecureConnect.Sql.Mongo;

/// <summary>
/// PowerShell values as BSON, for -Filter, -Projection and -Sort: hashtables, ordered dictionaries and PSCustomObjects
/// are documents (keys as written, so $-operators pass through), lists and arrays are arrays, and .NET values map to
/// their BSON types (int, long, double, decimal as Decimal128, bool, string, DateTime and DateTimeOffset as dates,
/// Guid as a UUID, byte[] as binary, a Regex as a regular expression, an enum as its name). A value with no BSON type
/// of its own is written in MongoDB Extended JSON as a one-key document: @{ '$oid' = '65f0…' } is an ObjectId,
/// @{ '$numberLong' = '5' }, @{ '$date' = '2024-01-01T00:00:00Z' }, @{ '$timestamp' = @{ t = 1; i = 2 } } likewise.
/// A plain string is never guessed to be an ObjectId.
/// </summary>
internal static class MongoFilters
{
    private const int MaxDepth = 100;

    // The Extended JSON wrappers of MongoDB's specification that stand for one value (v2, canonical and relaxed).
    private static readonly HashSet<string> s_wrappers = new(StringComparer.Ordinal)
    {
        "$oid", "$date", "$numberLong", "$numberInt", "$numberDouble", "$numberDecimal", "$binary", "$uuid",
        "$timestamp", "$regularExpression", "$minKey", "$maxKey", "$symbol", "$code", "$undefined",
    };

    /// <summary>A document from a hashtable, an ordered dictionary, a PSCustomObject, or JSON text; <paramref name="parameter"/> names it in errors.</summary>
    public static BsonDocument ToDocument(object? value, string parameter)
    {
        object? raw = Unwrap(value);
        if (raw is string json)
        {
            return MongoCommands.ParseDocument(json, parameter);
        }

        BsonValue converted = ToBson(value, parameter, 0);
        return converted as BsonDocument
            ?? throw Invalid(parameter, $"-{parameter} must be a hashtable (@{{ status = 'open' }}), an ordered dictionary, a PSCustomObject or JSON text, not a {raw?.GetType().Name ?? "null"}.");
    }

    /// <summary>A sort document: its keys' order matters, so a plain hashtable of more than one key is refused.</summary>
    public static BsonDocument ToSort(object? value)
    {
        if (Unwrap(value) is Hashtable { Count: > 1 })
        {
            throw Invalid("Sort", "-Sort with more than one key needs an ordered dictionary, because a hashtable forgets the order of its keys: -Sort ([ordered]@{ joined = -1; name = 1 }).");
        }

        return ToDocument(value, "Sort");
    }

    public static BsonValue ToBson(object? value, string parameter, int depth)
    {
        if (depth > MaxDepth)
        {
            throw Invalid(parameter, $"-{parameter} is nested more than {MaxDepth} levels deep (does an object refer to itself?).");
        }

        object? raw = Unwrap(value);
        switch (raw)
        {
            case null:
                return BsonNull.Value;
            case BsonValue bson:
                return bson;
            case string text:
                return new BsonString(text);
            case char c:
                return new BsonString(c.ToString());
            case bool b:
                return BsonBoolean.Create(b);
            case int or short or byte or sbyte or ushort:
                return new BsonInt32(Convert.ToInt32(raw, CultureInfo.InvariantCulture));
            case long l:
                return new BsonInt64(l);
            case uint ui:
                return new BsonInt64(ui);
            case ulong ul:
                return ul <= long.MaxValue ? new BsonInt64((long)ul) : new BsonDecimal128(new Decimal128((decimal)ul));
            case double d:
                return new BsonDouble(d);
            case float f:
                return new BsonDouble(f);
            case decimal m:
                return new BsonDecimal128(new Decimal128(m));
            case System.Numerics.BigInteger big:
                return new BsonDecimal128(Decimal128.Parse(big.ToString(CultureInfo.InvariantCulture)));
            case DateTime time:
                // Utc as it is; Local and Unspecified (what [datetime]'2024-01-01' gives) are this machine's local time.
                return new BsonDateTime(time.Kind == DateTimeKind.Utc ? time : time.ToUniversalTime());
            case DateTimeOffset offset:
                return new BsonDateTime(offset.UtcDateTime);
            case Guid guid:
                return new BsonBinaryData(guid, GuidRepresentation.Standard);
            case byte[] bytes:
                return new BsonBinaryData(bytes);
            case Regex regex:
                return new BsonRegularExpression(regex);
            case Enum e:
                return new BsonString(e.ToString());
            case IDictionary dictionary:
                return FromDictionary(dictionary.Keys.Cast<object>().Select(k => (Key(k, parameter), dictionary[k])), parameter, depth);
            case PSCustomObject:
                PSObject shape = value as PSObject ?? PSObject.AsPSObject(raw);
                return FromDictionary(shape.Properties.Where(p => p.IsGettable).Select(p => (p.Name, (object?)p.Value)), parameter, depth);
            case IEnumerable list:
                var array = new BsonArray();
                foreach (object? item in list)
                {
                    array.Add(ToBson(item, parameter, depth + 1));
                }

                return array;
            default:
                throw Invalid(parameter, $"-{parameter} holds a {raw.GetType().FullName}, which has no BSON form. Use a string, a number, a bool, a date, a Guid, byte[], a hashtable, an array, or an Extended JSON value such as @{{ '$oid' = '...' }}.");
        }
    }

    private static BsonValue FromDictionary(IEnumerable<(string Key, object? Value)> entries, string parameter, int depth)
    {
        var document = new BsonDocument(allowDuplicateNames: false);
        foreach ((string key, object? item) in entries)
        {
            if (document.Contains(key))
            {
                throw Invalid(parameter, $"-{parameter} has the key '{key}' twice.");
            }

            document.Add(key, ToBson(item, parameter, depth + 1));
        }

        if (document.ElementCount == 1 && s_wrappers.Contains(document.GetElement(0).Name))
        {
            return FromExtendedJson(document, parameter);
        }

        return document;
    }

    /// <summary>{ "$oid": "..." } and its kind, read by the BSON library's Extended JSON reader.</summary>
    private static BsonValue FromExtendedJson(BsonDocument wrapper, string parameter)
    {
        string json = "{ \"v\" : " + wrapper.ToJson(new MongoDB.Bson.IO.JsonWriterSettings { OutputMode = MongoDB.Bson.IO.JsonOutputMode.RelaxedExtendedJson }) + " }";
        try
        {
            return BsonDocument.Parse(json)["v"];
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or OverflowException)
        {
            throw Invalid(parameter, $"-{parameter} holds {wrapper.GetElement(0).Name}, but its value is not valid MongoDB Extended JSON: {e.Message}", e);
        }
    }

    private static string Key(object key, string parameter) =>
        Convert.ToString(Unwrap(key), CultureInfo.InvariantCulture) is { } text ? text : throw Invalid(parameter, $"-{parameter} has a key that is not text.");

    private static object? Unwrap(object? value) => value is PSObject pso ? pso.BaseObject : value;

    private static SecureConnectException Invalid(string parameter, string message, Exception? inner = null) =>
        new(ErrorIds.InvalidParameterValue, ErrorKind.InvalidArgument, message, parameter, inner);
}
