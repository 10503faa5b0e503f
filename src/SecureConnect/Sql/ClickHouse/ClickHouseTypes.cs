using System;
using System.Collections.Generic;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace SecureConnect.Sql.ClickHouse;

/// <summary>
/// How one column's text becomes a .NET value. Integers keep their width and sign (Int8 is sbyte, UInt64 ulong;
/// 128 and 256 bits are BigInteger), Float32/64 float/double with inf and nan, Decimal up to 38 digits decimal,
/// String string, FixedString string without its trailing zero bytes, Date DateTime (a date), DateTime and DateTime64
/// DateTimeOffset (the server writes local time in the column's zone, or the server's: the offset is that zone's at
/// that moment), UUID Guid, Enum its name, Bool bool, Nullable its inner type or null, LowCardinality its inner type,
/// Array a typed array (nested arrays are arrays of arrays), anything else the server's text.
/// </summary>
internal abstract class ColumnReader
{
    protected ColumnReader(Type clrType)
    {
        ClrType = clrType;
    }

    public Type ClrType { get; }

    /// <summary>True when this reader lets NULL through (Nullable).</summary>
    public virtual bool Nullable => false;

    /// <summary>A top-level field as TabSeparated writes it (escaped; arrays quoted).</summary>
    public abstract object FromField(ReadOnlySpan<byte> raw);

    /// <summary>An element of an array or tuple, as quoted output writes it (a string in quotes).</summary>
    public abstract object FromElement(ReadOnlySpan<byte> element);
}

/// <summary>Reads ClickHouse type names (as the header's second line gives them) into column readers.</summary>
internal static class ClickHouseTypes
{
    /// <summary>The reader for <paramref name="type"/>; <paramref name="serverZone"/> is the zone of a DateTime without its own (null when unknown here).</summary>
    /// <exception cref="FormatException">The type text is not one (a wrapper without its type, nesting beyond <see cref="MaxDepth"/>).</exception>
    public static ColumnReader For(string type, TimeZoneInfo? serverZone) => For(type, serverZone, 1);

    /// <summary>How deep types may nest: far beyond real types, and far below what the stack holds.</summary>
    internal const int MaxDepth = 128;

    private static ColumnReader For(string type, TimeZoneInfo? serverZone, int depth)
    {
        if (depth > MaxDepth)
        {
            // The header is the server's: "Array(Array(..." tens of thousands deep would overflow the stack and end the
            // whole process, which no catch can stop (fuzzing found it).
            throw new FormatException($"the type is nested deeper than {MaxDepth} levels");
        }

        (string name, List<string> args) = Split(type);
        switch (name)
        {
            case "Nullable" or "LowCardinality" or "Array" when args.Count != 1:
                throw new FormatException($"the type '{Shorten(type)}' does not name exactly one inner type");
            case "Nullable":
                return new NullableReader(For(args[0], serverZone, depth + 1));
            case "LowCardinality":
                return For(args[0], serverZone, depth + 1);
            case "Array":
                return new ArrayReader(For(args[0], serverZone, depth + 1));
            case "Int8": return Scalar<sbyte>(t => sbyte.Parse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
            case "Int16": return Scalar<short>(t => short.Parse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
            case "Int32": return Scalar<int>(t => int.Parse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
            case "Int64": return Scalar<long>(t => long.Parse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
            case "UInt8": return Scalar<byte>(t => byte.Parse(t, NumberStyles.None, CultureInfo.InvariantCulture));
            case "UInt16": return Scalar<ushort>(t => ushort.Parse(t, NumberStyles.None, CultureInfo.InvariantCulture));
            case "UInt32": return Scalar<uint>(t => uint.Parse(t, NumberStyles.None, CultureInfo.InvariantCulture));
            case "UInt64": return Scalar<ulong>(t => ulong.Parse(t, NumberStyles.None, CultureInfo.InvariantCulture));
            case "Int128" or "Int256" or "UInt128" or "UInt256":
                return Scalar<BigInteger>(t => BigInteger.Parse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
            case "Float32": return Scalar<float>(t => (float)ParseFloat(t));
            case "Float64": return Scalar<double>(ParseFloat);
            case "Bool" or "Boolean": return Scalar<bool>(t => t is "true" or "1");
            case "String": return Scalar<string>(t => t);
            case "FixedString":
                // Zero bytes pad a FixedString to its length; they are not part of the value a script compares.
                return Scalar<string>(t => t.TrimEnd('\0'));
            case "UUID": return Scalar<Guid>(t => Guid.Parse(t));
            case "Enum8" or "Enum16" or "Enum": return Scalar<string>(t => t);
            case "Date" or "Date32": return Scalar<DateTime>(ParseDate);
            case "DateTime":
                return DateTimeReader(args.Count > 0 ? Unquote(args[0]) : null, serverZone);
            case "DateTime64":
                return DateTimeReader(args.Count > 1 ? Unquote(args[1]) : null, serverZone);
            case "Decimal32" or "Decimal64" or "Decimal128" or "Decimal256" or "Decimal":
                return DecimalReader(name, args);
            case "Nothing":
                return new TextReader(keepRaw: false);
            case "Tuple" or "Map" or "Nested" or "Object" or "JSON" or "Variant" or "Dynamic":
                // Composite text is kept as the server wrote it ("(1,'a')"), quotes and escapes included.
                return new TextReader(keepRaw: true);
            default:
                return new TextReader(keepRaw: false);
        }
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";

    private static ColumnReader Scalar<T>(Func<string, T> parse)
        where T : notnull => new ScalarReader(typeof(T), t => parse(t));

    private static ColumnReader DateTimeReader(string? zoneName, TimeZoneInfo? serverZone)
    {
        TimeZoneInfo? zone = zoneName is null ? serverZone : FindZone(zoneName);
        if (zone is null)
        {
            // A zone this machine does not know: the server's text rather than a guessed offset.
            return new TextReader(keepRaw: false);
        }

        return Scalar<DateTimeOffset>(t => ParseDateTime(t, zone));
    }

    private static ColumnReader DecimalReader(string name, List<string> args)
    {
        int precision = name switch
        {
            "Decimal32" => 9,
            "Decimal64" => 18,
            "Decimal128" => 38,
            "Decimal256" => 76,
            _ => args.Count > 0 && int.TryParse(args[0], NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p : 76,
        };

        if (precision > 38)
        {
            // Beyond what decimal holds even for small values of the type: the server's text.
            return new TextReader(keepRaw: false);
        }

        return Scalar<decimal>(t =>
        {
            try
            {
                return decimal.Parse(t, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);
            }
            catch (OverflowException e)
            {
                throw new OverflowException($"the value {t} does not fit a .NET decimal (29 digits); return it as text with toString() in the query", e);
            }
        });
    }

    public static TimeZoneInfo? FindZone(string name)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(name);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }

    internal static double ParseFloat(string text) => text switch
    {
        "inf" or "+inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        "nan" or "-nan" or "+nan" => double.NaN,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    internal static DateTime ParseDate(string text) =>
        text == "0000-00-00"
            ? DateTime.SpecifyKind(DateTime.UnixEpoch, DateTimeKind.Unspecified)
            : DateTime.ParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None);

    internal static DateTimeOffset ParseDateTime(string text, TimeZoneInfo zone)
    {
        if (text.StartsWith("0000-00-00 00:00:00", StringComparison.Ordinal))
        {
            // Old servers write the zero time (the Unix epoch) as zeros.
            return TimeZoneInfo.ConvertTime(DateTimeOffset.UnixEpoch, zone);
        }

        if (text.Length > 0 && text.IndexOf('-') < 0 && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
        {
            // date_time_output_format = 'unix_timestamp'.
            return TimeZoneInfo.ConvertTime(DateTimeOffset.FromUnixTimeSeconds(seconds), zone);
        }

        var local = DateTime.ParseExact(text, new[] { "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-ddTHH:mm:ssZ", "yyyy-MM-ddTHH:mm:ss.FFFFFFFZ" }, CultureInfo.InvariantCulture, DateTimeStyles.None);
        if (text.EndsWith('Z'))
        {
            return TimeZoneInfo.ConvertTime(new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), TimeSpan.Zero), zone);
        }

        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }

    /// <summary>'UTC' is UTC; a type argument's quotes and escapes removed.</summary>
    internal static string Unquote(string argument) =>
        argument.Length >= 2 && argument[0] == '\'' && argument[^1] == '\''
            ? TsvText.UnescapeToString(Encoding.UTF8.GetBytes(argument[1..^1]))
            : argument;

    /// <summary>"Array(Nullable(String))" is Array and [Nullable(String)]; quotes and nesting respected.</summary>
    internal static (string Name, List<string> Args) Split(string type)
    {
        type = type.Trim();
        int open = type.IndexOf('(');
        if (open < 0 || type[^1] != ')')
        {
            return (type, new List<string>());
        }

        string name = type[..open].Trim();
        var args = new List<string>();
        int depth = 0;
        bool quoted = false;
        int start = open + 1;
        for (int i = open + 1; i < type.Length - 1; i++)
        {
            char c = type[i];
            if (quoted)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '\'')
                {
                    quoted = false;
                }

                continue;
            }

            switch (c)
            {
                case '\'': quoted = true; break;
                case '(': depth++; break;
                case ')': depth--; break;
                case ',' when depth == 0:
                    args.Add(type[start..i].Trim());
                    start = i + 1;
                    break;
            }
        }

        args.Add(type[start..^1].Trim());
        return (name, args);
    }

    private sealed class ScalarReader : ColumnReader
    {
        private readonly Func<string, object> _parse;

        public ScalarReader(Type clrType, Func<string, object> parse)
            : base(clrType)
        {
            _parse = parse;
        }

        public override object FromField(ReadOnlySpan<byte> raw) => _parse(TsvText.UnescapeToString(raw));

        public override object FromElement(ReadOnlySpan<byte> element) => _parse(TsvText.UnquoteToString(element));
    }

    private sealed class TextReader : ColumnReader
    {
        private readonly bool _keepRaw;

        public TextReader(bool keepRaw)
            : base(typeof(string))
        {
            _keepRaw = keepRaw;
        }

        public override object FromField(ReadOnlySpan<byte> raw) => _keepRaw ? Encoding.UTF8.GetString(raw) : TsvText.UnescapeToString(raw);

        public override object FromElement(ReadOnlySpan<byte> element) => _keepRaw ? Encoding.UTF8.GetString(element) : TsvText.UnquoteToString(element);
    }

    private sealed class NullableReader : ColumnReader
    {
        private readonly ColumnReader _inner;

        public NullableReader(ColumnReader inner)
            : base(inner.ClrType)
        {
            _inner = inner;
        }

        public override bool Nullable => true;

        public override object FromField(ReadOnlySpan<byte> raw) => TsvText.IsNull(raw) ? DBNull.Value : _inner.FromField(raw);

        public override object FromElement(ReadOnlySpan<byte> element) => _inner.FromElement(element);
    }

    private sealed class ArrayReader : ColumnReader
    {
        private readonly ColumnReader _element;
        private readonly Type _elementType;

        public ArrayReader(ColumnReader element)
            : base(ElementType(element).MakeArrayType())
        {
            _element = element;
            _elementType = ElementType(element);
        }

        /// <summary>Array(Nullable(Int32)) is int?[]; Array(Nullable(String)) is string[] with nulls.</summary>
        private static Type ElementType(ColumnReader element) =>
            element.Nullable && element.ClrType.IsValueType ? typeof(Nullable<>).MakeGenericType(element.ClrType) : element.ClrType;

        // Arrays are written quoted inside TabSeparated too, never escaped a second time.
        public override object FromField(ReadOnlySpan<byte> raw) => FromElement(raw);

        public override object FromElement(ReadOnlySpan<byte> element)
        {
            List<byte[]?> items = TsvText.SplitComposite(element, (byte)'[', (byte)']');
            Array array = Array.CreateInstance(_elementType, items.Count);
            for (int i = 0; i < items.Count; i++)
            {
                if (items[i] is byte[] item)
                {
                    array.SetValue(_element.FromElement(item), i);
                }
                else if (!_element.Nullable)
                {
                    throw new FormatException("NULL in an array whose elements are not Nullable");
                }
            }

            return array;
        }
    }
}
