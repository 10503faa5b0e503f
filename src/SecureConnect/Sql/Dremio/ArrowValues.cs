using System;
using System.Collections;
using System.Globalization;
using System.Management.Automation;
using Apache.Arrow;
using Apache.Arrow.Arrays;
using Apache.Arrow.Types;

namespace SecureConnect.Sql.Dremio;

/// <summary>
/// Arrow values as PowerShell users handle them: integers and floats as their .NET types (UInt8 a byte, Int8 an
/// sbyte), Decimal128/256 a decimal (its text when it does not fit 28-29 digits), strings a string, Binary byte[],
/// Date32/Date64 a DateTime (date only), a Timestamp without a time zone a DateTime of kind Unspecified (a wall-clock
/// value, as Arrow defines it) and with one a DateTimeOffset in that zone (UTC when the zone is unknown here), Time32/
/// Time64 ISO-8601 text of the time of day and Duration an ISO-8601 duration (see SqlValues), a List (and Map, a list of key/value structs) object[], a Struct an object whose
/// properties are its fields in order (as MongoDB's nested documents), a dictionary-encoded value the value it stands
/// for, null null. Anything else is its text.
/// </summary>
internal static class ArrowValues
{
    public static object? ToDotNet(IArrowArray array, int index)
    {
        switch (array)
        {
            case NullArray:
                return null;
            case DictionaryArray dictionary:
                return dictionary.Indices.IsNull(index) ? null : ToDotNet(dictionary.Dictionary, checked((int)Convert.ToInt64(ToDotNet(dictionary.Indices, index), CultureInfo.InvariantCulture)));
            case UnionArray union:
                return Union(union, index);
        }

        if (array.IsNull(index))
        {
            return null;
        }

        switch (array)
        {
            case BooleanArray a: return a.GetValue(index);
            case Int8Array a: return a.GetValue(index);
            case Int16Array a: return a.GetValue(index);
            case Int32Array a: return a.GetValue(index);
            case Int64Array a: return a.GetValue(index);
            case UInt8Array a: return a.GetValue(index);
            case UInt16Array a: return a.GetValue(index);
            case UInt32Array a: return a.GetValue(index);
            case UInt64Array a: return a.GetValue(index);
            case HalfFloatArray a: return (float)a.GetValue(index)!.Value;
            case FloatArray a: return a.GetValue(index);
            case DoubleArray a: return a.GetValue(index);
            case Decimal128Array a: return Decimal(() => a.GetValue(index), () => a.GetString(index) ?? string.Empty);
            case Decimal256Array a: return Decimal(() => a.GetValue(index), () => a.GetString(index) ?? string.Empty);
            case StringArray a: return a.GetString(index);
            case LargeStringArray a: return a.GetString(index);
            case StringViewArray a: return a.GetString(index);
            case BinaryArray a: return a.GetBytes(index).ToArray();
            case LargeBinaryArray a: return a.GetBytes(index).ToArray();
            case BinaryViewArray a: return a.GetBytes(index).ToArray();
            case FixedSizeBinaryArray a: return a.GetBytes(index).ToArray();
            case Date32Array a: return a.GetDateTime(index);
            case Date64Array a: return a.GetDateTime(index);
            case TimestampArray a: return Timestamp(a, index);
            case Time32Array a: return SqlValues.TimeOrElapsed(Time32(a, index));
            case Time64Array a: return SqlValues.TimeOrElapsed(Time64(a, index));
            case DurationArray a: return SqlValues.Elapsed(a.GetTimeSpan(index)!.Value);
            case ListArray a: return Items(a.GetSlicedValues(index));
            case LargeListArray a: return Items(a.GetSlicedValues(index));
            case FixedSizeListArray a: return Items(a.GetSlicedValues(index));
            case ListViewArray a: return Items(a.GetSlicedValues(index));
            case StructArray a: return Struct(a, index);
            default: return Text(array, index);
        }
    }

    /// <summary>The .NET type of a column's values (object when they vary: nested values, decimals wider than 28 digits).</summary>
    public static Type ClrType(IArrowType type) => type switch
    {
        BooleanType => typeof(bool),
        Int8Type => typeof(sbyte),
        Int16Type => typeof(short),
        Int32Type => typeof(int),
        Int64Type => typeof(long),
        UInt8Type => typeof(byte),
        UInt16Type => typeof(ushort),
        UInt32Type => typeof(uint),
        UInt64Type => typeof(ulong),
        HalfFloatType or FloatType => typeof(float),
        DoubleType => typeof(double),
        Decimal128Type d => d.Precision <= 28 ? typeof(decimal) : typeof(object),
        Decimal256Type d => d.Precision <= 28 ? typeof(decimal) : typeof(object),
        StringType or LargeStringType or StringViewType => typeof(string),
        BinaryType or LargeBinaryType or BinaryViewType or FixedSizeBinaryType => typeof(byte[]),
        Date32Type or Date64Type => typeof(DateTime),
        TimestampType t => string.IsNullOrEmpty(t.Timezone) ? typeof(DateTime) : typeof(DateTimeOffset),
        Time32Type or Time64Type or DurationType => typeof(string),
        DictionaryType d => ClrType(d.ValueType),
        _ => typeof(object),
    };

    /// <summary>A list's items (a slice of the child array) as object[].</summary>
    public static object?[] Items(IArrowArray values)
    {
        var items = new object?[values.Length];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = ToDotNet(values, i);
        }

        return items;
    }

    /// <summary>A struct value as an object (a PSCustomObject): its fields in order, names made unique as PowerShell needs.</summary>
    public static PSObject Struct(StructArray array, int index)
    {
        var type = (StructType)array.Data.DataType;
        string[] names = ColumnNames.Unique(System.Linq.Enumerable.Select(type.Fields, f => f.Name));
        var result = new PSObject();
        for (int i = 0; i < names.Length; i++)
        {
            result.Properties.Add(new PSNoteProperty(names[i], ToDotNet(array.Fields[i], index)));
        }

        return result;
    }

    private static object Decimal(Func<decimal?> value, Func<string> text)
    {
        try
        {
            return value()!.Value;
        }
        catch (OverflowException)
        {
            // More digits than a decimal holds (Dremio's DECIMAL(38, s)): its exact text.
            return text();
        }
    }

    private static object Timestamp(TimestampArray array, int index)
    {
        var type = (TimestampType)array.Data.DataType;
        DateTimeOffset at;
        try
        {
            at = array.GetTimestampUnchecked(index);
        }
        catch (ArgumentOutOfRangeException)
        {
            // Outside years 1 to 9999: the raw count of the type's unit since 1970, which loses nothing.
            return array.GetValue(index)!.Value;
        }

        if (string.IsNullOrEmpty(type.Timezone))
        {
            return DateTime.SpecifyKind(at.UtcDateTime, DateTimeKind.Unspecified);
        }

        return InZone(at, type.Timezone);
    }

    /// <summary>An instant shown in an Arrow time zone: "+02:00", "UTC", or an IANA name this machine knows (else UTC).</summary>
    internal static DateTimeOffset InZone(DateTimeOffset at, string zone)
    {
        if ((zone.StartsWith('+') || zone.StartsWith('-')) && TimeSpan.TryParseExact(zone[1..], @"hh\:mm", CultureInfo.InvariantCulture, out TimeSpan offset))
        {
            return at.ToOffset(zone[0] == '-' ? -offset : offset);
        }

        if (zone is "UTC" or "Z" or "Etc/UTC" or "utc")
        {
            return at.ToUniversalTime();
        }

        try
        {
            return TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById(zone));
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return at.ToUniversalTime();
        }
    }

    private static TimeSpan Time32(Time32Array array, int index)
    {
        int value = array.GetValue(index)!.Value;
        return ((Time32Type)array.Data.DataType).Unit == TimeUnit.Second ? TimeSpan.FromSeconds(value) : TimeSpan.FromMilliseconds(value);
    }

    private static TimeSpan Time64(Time64Array array, int index)
    {
        long value = array.GetValue(index)!.Value;
        return ((Time64Type)array.Data.DataType).Unit == TimeUnit.Nanosecond ? TimeSpan.FromTicks(value / 100) : TimeSpan.FromTicks(value * 10);
    }

    private static object? Union(UnionArray union, int index)
    {
        int child = union.Type.TypeIds is { Length: > 0 } ids ? System.Array.IndexOf(ids, union.TypeIds[index]) : union.TypeIds[index];
        if (child < 0 || child >= union.Fields.Count)
        {
            return null;
        }

        int offset = union is DenseUnionArray dense ? dense.ValueOffsets[index] : index;
        return ToDotNet(union.Fields[child], offset);
    }

    private static string Text(IArrowArray array, int index) =>
        array is IList list ? Convert.ToString(list[index], CultureInfo.InvariantCulture) ?? string.Empty : $"({array.Data.DataType.Name} value)";
}
