using System;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.Management.Automation;
using System.Text;
using System.Text.Json;

namespace SecureConnect.Sql.Trino;

/// <summary>A Trino type as its display text names it: "decimal(10,2)", "array(row(a bigint, \"b c\" varchar))".</summary>
/// <param name="Name">The base name, lower case, with its suffix: "timestamp with time zone", "interval day to second".</param>
/// <param name="Arguments">Type arguments (element, key and value, row fields); numbers are in <paramref name="Numbers"/>.</param>
/// <param name="FieldNames">A row's field names (null for an anonymous field).</param>
/// <param name="Numbers">Numeric arguments (precision, scale, length).</param>
internal sealed record TrinoType(string Name, IReadOnlyList<TrinoType> Arguments, IReadOnlyList<string?> FieldNames, IReadOnlyList<int> Numbers)
{
    private static readonly HashSet<string> s_suffixWords = new(StringComparer.Ordinal) { "with", "without", "local", "time", "zone", "to", "day", "hour", "minute", "second", "year", "month" };

    /// <summary>How deep types may nest: far beyond real types, and far below what the stack holds.</summary>
    internal const int MaxDepth = 128;

    /// <summary>Parses a type's display text; throws FormatException for text that is not one.</summary>
    public static TrinoType Parse(string text)
    {
        int at = 0;
        TrinoType type = ParseAt(text, ref at, 1);
        SkipSpaces(text, ref at);
        return at == text.Length ? type : throw new FormatException($"unexpected '{text[at..]}' in type '{text}'");
    }

    private static TrinoType ParseAt(string text, ref int at, int depth)
    {
        if (depth > MaxDepth)
        {
            // The text is the server's: without a bound, "array(array(..." tens of thousands deep overflows the stack
            // and ends the whole process, which no catch can stop (fuzzing found it).
            throw new FormatException($"the type is nested deeper than {MaxDepth} levels");
        }

        SkipSpaces(text, ref at);
        string name = Word(text, ref at).ToLowerInvariant();
        if (name.Length == 0)
        {
            throw new FormatException($"no type name at {at} in '{text}'");
        }

        var arguments = new List<TrinoType>();
        var fields = new List<string?>();
        var numbers = new List<int>();
        SkipSpaces(text, ref at);
        if (at < text.Length && text[at] == '(')
        {
            at++;
            while (true)
            {
                SkipSpaces(text, ref at);
                if (at < text.Length && char.IsAsciiDigit(text[at]))
                {
                    int start = at;
                    while (at < text.Length && char.IsAsciiDigit(text[at]))
                    {
                        at++;
                    }

                    // A precision too large for an int is a type text that does not parse, as the caller expects it.
                    numbers.Add(int.TryParse(text.AsSpan(start, at - start), NumberStyles.None, CultureInfo.InvariantCulture, out int number)
                        ? number
                        : throw new FormatException($"the number '{text[start..at]}' in type '{text}' is too large"));
                }
                else if (name == "row")
                {
                    (string? field, TrinoType fieldType) = RowField(text, ref at, depth + 1);
                    fields.Add(field);
                    arguments.Add(fieldType);
                }
                else
                {
                    arguments.Add(ParseAt(text, ref at, depth + 1));
                }

                SkipSpaces(text, ref at);
                if (at < text.Length && text[at] == ',')
                {
                    at++;
                    continue;
                }

                if (at < text.Length && text[at] == ')')
                {
                    at++;
                    break;
                }

                throw new FormatException($"expected ',' or ')' at {at} in '{text}'");
            }
        }

        // "timestamp(3) with time zone", "interval day to second": the words after the arguments belong to the name
        // (a type is followed by ',' or ')' otherwise, so a field named "time" is never taken for one).
        while (true)
        {
            int save = at;
            SkipSpaces(text, ref at);
            string next = Word(text, ref at).ToLowerInvariant();
            if (s_suffixWords.Contains(next))
            {
                name += " " + next;
                continue;
            }

            at = save;
            break;
        }

        return new TrinoType(name, arguments, fields, numbers);
    }

    private static (string? Name, TrinoType Type) RowField(string text, ref int at, int depth)
    {
        SkipSpaces(text, ref at);
        if (at < text.Length && text[at] == '"')
        {
            var name = new StringBuilder();
            at++;
            while (at < text.Length)
            {
                if (text[at] == '"')
                {
                    if (at + 1 < text.Length && text[at + 1] == '"')
                    {
                        name.Append('"');
                        at += 2;
                        continue;
                    }

                    at++;
                    return (name.ToString(), ParseAt(text, ref at, depth));
                }

                name.Append(text[at++]);
            }

            throw new FormatException($"unterminated field name in '{text}'");
        }

        // "a bigint" is a named field; "bigint", "timestamp(3) with time zone" or "array(x)" an anonymous one.
        int save = at;
        string first = Word(text, ref at);
        int afterWord = at;
        SkipSpaces(text, ref at);
        bool named = at > afterWord && at < text.Length && text[at] != ',' && text[at] != ')' && text[at] != '('
            && !text.AsSpan(at).StartsWith("with ", StringComparison.OrdinalIgnoreCase);
        if (named)
        {
            return (first, ParseAt(text, ref at, depth));
        }

        at = save;
        return (null, ParseAt(text, ref at, depth));
    }

    private static string Word(string text, ref int at)
    {
        int start = at;
        while (at < text.Length && (char.IsLetterOrDigit(text[at]) || text[at] == '_'))
        {
            at++;
        }

        return text[start..at];
    }

    private static void SkipSpaces(string text, ref int at)
    {
        while (at < text.Length && char.IsWhiteSpace(text[at]))
        {
            at++;
        }
    }
}

/// <summary>
/// Trino's JSON values as .NET values, by the column's type: bigint long, integer int, smallint short, tinyint sbyte,
/// double double and real float (NaN and the infinities arrive as text), decimal decimal (as text on the wire; a value
/// beyond decimal's 28 digits stays text), varchar and char string, boolean bool, date DateTime, time and time with time
/// zone ISO-8601 text (13:45:30.123, 13:45:30+02:00; see SqlValues), timestamp DateTime, timestamp with time zone
/// DateTimeOffset (offset of its zone at that time), interval day to second and year to month ISO-8601 durations
/// (P2DT3H4M5.678S, P1Y2M), array object[], map an ordered dictionary (keys as their text), row an object with the field names as
/// properties (field1, field2... when anonymous), json its JSON text, uuid Guid, varbinary byte[] (base64 on the
/// wire); anything else its text. Fractions beyond 100 ns are cut (.NET has no finer tick). NULL is DBNull.
/// </summary>
internal static class TrinoTypes
{
    private static readonly string[] s_dateTimeFormats = { "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFFF" };

    /// <summary>The .NET type of a column of <paramref name="type"/> (a DataTable's column type).</summary>
    public static Type ClrType(TrinoType type) => type.Name switch
    {
        "bigint" => typeof(long),
        "integer" or "int" => typeof(int),
        "smallint" => typeof(short),
        "tinyint" => typeof(sbyte),
        "double" => typeof(double),
        "real" => typeof(float),
        "decimal" => type.Numbers.Count > 0 && type.Numbers[0] > 28 ? typeof(object) : typeof(decimal),
        "varchar" or "char" or "json" or "time" or "time with time zone" or "interval year to month" or "interval day to second" => typeof(string),
        "boolean" => typeof(bool),
        "date" or "timestamp" => typeof(DateTime),
        "timestamp with time zone" => typeof(DateTimeOffset),
        "uuid" => typeof(Guid),
        "varbinary" => typeof(byte[]),
        "array" or "map" or "row" => typeof(object),
        _ => typeof(string),
    };

    /// <summary>The value of <paramref name="value"/> in a column of <paramref name="type"/>; FormatException when it is not one.</summary>
    public static object Convert(TrinoType type, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return DBNull.Value;
        }

        switch (type.Name)
        {
            case "bigint":
                return value.GetInt64();
            case "integer" or "int":
                return value.GetInt32();
            case "smallint":
                return value.GetInt16();
            case "tinyint":
                return value.GetSByte();
            case "double":
                return value.ValueKind == JsonValueKind.String ? Special(value.GetString()!) : value.GetDouble();
            case "real":
                return value.ValueKind == JsonValueKind.String ? (float)Special(value.GetString()!) : value.GetSingle();
            case "decimal":
                string text = Text(value);
                return decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out decimal number) ? number : type.Numbers.Count > 0 && type.Numbers[0] > 28 ? text : throw new FormatException($"'{text}' is not a decimal");
            case "varchar" or "char" or "json":
                return Text(value);
            case "time with time zone":
                return ZonedTime(Text(value));
            case "interval year to month":
                return YearToMonth(Text(value));
            case "boolean":
                return value.GetBoolean();
            case "date":
                return DateTime.ParseExact(Text(value), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None);
            case "time":
                return SqlValues.TimeOfDay(TimeOfDay(Text(value)));
            case "timestamp":
                return DateTime.ParseExact(Fraction7(Text(value)), s_dateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None);
            case "timestamp with time zone":
                return ZonedTimestamp(Text(value));
            case "interval day to second":
                return SqlValues.DaysAndTime(DayToSecond(Text(value)));
            case "uuid":
                return Guid.Parse(Text(value));
            case "varbinary":
                return value.GetBytesFromBase64();
            case "array":
                return Array(type, value);
            case "map":
                return Map(type, value);
            case "row":
                return Row(type, value);
            default:
                return Text(value);
        }
    }

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    private static double Special(string text) => text switch
    {
        "NaN" => double.NaN,
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    /// <summary>Cuts a fraction of seconds to 7 digits (timestamp(12) has picoseconds; .NET ticks are 100 ns).</summary>
    private static string Fraction7(string text)
    {
        int dot = text.LastIndexOf('.');
        if (dot < 0)
        {
            return text;
        }

        int end = dot + 1;
        while (end < text.Length && char.IsDigit(text[end]))
        {
            end++;
        }

        return end - dot - 1 <= 7 ? text : text[..(dot + 8)] + text[end..];
    }

    /// <summary>"2024-01-02 03:04:05.123 UTC", "... Europe/Paris" or "... +01:00".</summary>
    private static DateTimeOffset ZonedTimestamp(string text)
    {
        int space = text.LastIndexOf(' ');
        if (space < 0)
        {
            throw new FormatException($"'{text}' has no time zone");
        }

        string zone = text[(space + 1)..];
        DateTime local = DateTime.ParseExact(Fraction7(text[..space]), s_dateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None);
        if (zone[0] is '+' or '-')
        {
            TimeSpan offset = TimeSpan.ParseExact(zone[1..], @"hh\:mm", CultureInfo.InvariantCulture);
            return new DateTimeOffset(local, zone[0] == '-' ? -offset : offset);
        }

        if (zone is "UTC" or "Z" or "GMT" or "UT" or "Etc/UTC")
        {
            return new DateTimeOffset(local, TimeSpan.Zero);
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(zone, out TimeZoneInfo? info))
        {
            throw new FormatException($"the time zone '{zone}' is not known on this machine");
        }

        return new DateTimeOffset(local, info.GetUtcOffset(local));
    }

    private static TimeSpan TimeOfDay(string text) =>
        TimeSpan.ParseExact(Fraction7(text), new[] { @"hh\:mm\:ss", @"hh\:mm\:ss\.FFFFFFF" }, CultureInfo.InvariantCulture);

    /// <summary>"13:45:30.120+02:00" (or "13:45:30.120 +02:00") as 13:45:30.12+02:00.</summary>
    private static string ZonedTime(string text)
    {
        int sign = text.LastIndexOfAny(new[] { '+', '-' });
        if (sign < 0 || !TimeSpan.TryParseExact(text[(sign + 1)..], @"hh\:mm", CultureInfo.InvariantCulture, out TimeSpan offset))
        {
            throw new FormatException($"'{text}' is not a time with time zone");
        }

        return SqlValues.TimeOfDay(TimeOfDay(text[..sign].TrimEnd()), text[sign] == '-' ? -offset : offset);
    }

    /// <summary>"1-2" (years-months; negative with a leading '-') as P1Y2M.</summary>
    private static string YearToMonth(string text)
    {
        bool negative = text.StartsWith('-');
        string[] parts = (negative ? text[1..] : text).Split('-');
        if (parts.Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int years)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int months))
        {
            throw new FormatException($"'{text}' is not an interval year to month");
        }

        long total = (years * 12L) + months;
        return SqlValues.Duration(negative ? -total : total, 0, 0);
    }

    /// <summary>"2 03:04:05.678" (days, then time; negative with a leading '-').</summary>
    private static TimeSpan DayToSecond(string text)
    {
        bool negative = text.StartsWith('-');
        string[] parts = (negative ? text[1..] : text).Split(' ', 2);
        TimeSpan time = parts.Length == 2
            ? TimeSpan.FromDays(int.Parse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture)) + TimeSpan.ParseExact(Fraction7(parts[1]), new[] { @"hh\:mm\:ss", @"hh\:mm\:ss\.FFFFFFF" }, CultureInfo.InvariantCulture)
            : throw new FormatException($"'{text}' is not an interval day to second");
        return negative ? -time : time;
    }

    private static object?[] Array(TrinoType type, JsonElement value)
    {
        TrinoType element = type.Arguments.Count > 0 ? type.Arguments[0] : throw new FormatException("array without an element type");
        var result = new object?[value.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            result[i++] = Nullable(Convert(element, item));
        }

        return result;
    }

    private static OrderedDictionary Map(TrinoType type, JsonElement value)
    {
        TrinoType valueType = type.Arguments.Count == 2 ? type.Arguments[1] : throw new FormatException("map without key and value types");
        var result = new OrderedDictionary(StringComparer.Ordinal);
        foreach (JsonProperty entry in value.EnumerateObject())
        {
            result[entry.Name] = Nullable(Convert(valueType, entry.Value));
        }

        return result;
    }

    private static PSObject Row(TrinoType type, JsonElement value)
    {
        var result = new PSObject();
        if (value.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty field in value.EnumerateObject())
            {
                int index = FieldIndex(type, field.Name);
                result.Properties.Add(new PSNoteProperty(field.Name, index < 0 ? Text(field.Value) : Nullable(Convert(type.Arguments[index], field.Value))));
            }

            return result;
        }

        int i = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            if (i >= type.Arguments.Count)
            {
                throw new FormatException($"the row has more values than its type '{type.Name}' has fields");
            }

            string name = type.FieldNames[i] ?? "field" + (i + 1).ToString(CultureInfo.InvariantCulture);
            result.Properties.Add(new PSNoteProperty(name, Nullable(Convert(type.Arguments[i], item))));
            i++;
        }

        return result;
    }

    private static int FieldIndex(TrinoType type, string name)
    {
        for (int i = 0; i < type.FieldNames.Count; i++)
        {
            if (string.Equals(type.FieldNames[i], name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static object? Nullable(object value) => value is DBNull ? null : value;
}
