using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SecureConnect.Common;

namespace SecureConnect.Sql.ClickHouse;

/// <summary>
/// -Parameters for ClickHouse: server-side query parameters. The query names each with its type,
/// <c>{since:DateTime}</c>, and each value travels as <c>param_since</c> in ClickHouse's escaped text form, parsed by
/// the server as that type: the value is never spliced into the query text. Values are first judged by
/// <see cref="QueryParameters"/> (secrets, hashtables and objects refused). DateTime is sent as
/// 'yyyy-MM-dd HH:mm:ss[.fffffff]', DateTimeOffset as that in UTC (declare it DateTime('UTC')), bool as 1/0, an array
/// as [..] with quoted strings, $null as \N (declare it Nullable).
/// </summary>
internal static class ClickHouseParameters
{
    private static readonly Regex s_name = new("^[A-Za-z_][A-Za-z0-9_]*$", RegexOptions.CultureInvariant);

    public static List<KeyValuePair<string, string>> From(IDictionary? parameters)
    {
        var result = new List<KeyValuePair<string, string>>();
        if (parameters is null)
        {
            return result;
        }

        foreach (DictionaryEntry entry in parameters)
        {
            string name = (Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty).TrimStart('@');
            if (!s_name.IsMatch(name))
            {
                throw new SecureConnectException(
                    ErrorIds.InvalidParameterValue,
                    ErrorKind.InvalidArgument,
                    $"'{name}' is not a ClickHouse parameter name (letters, digits and '_', not starting with a digit). The query was not run.",
                    name);
            }

            object value = QueryParameters.ToEngineValue(IntegrationType.ClickHouse, "{" + name + "}", entry.Value);
            result.Add(new KeyValuePair<string, string>("param_" + name, Text(name, value, quoted: false)));
        }

        return result;
    }

    /// <summary>A value as ClickHouse's escaped text (top level) or quoted text (inside an array).</summary>
    internal static string Text(string name, object value, bool quoted) => value switch
    {
        DBNull => quoted ? "NULL" : "\\N",
        string s => TsvText.Escape(s, quoted),
        bool b => b ? "1" : "0",
        float f => Float(f),
        double d => Float(d),
        DateTime at => Quote(DateTimeText(at), quoted),
        DateTimeOffset at => Quote(DateTimeText(at.UtcDateTime), quoted),
        Guid g => Quote(g.ToString("D"), quoted),
        byte[] bytes => Bytes(bytes, quoted),
        Array array => ArrayText(name, array),
        IFormattable number when value is sbyte or byte or short or ushort or int or uint or long or ulong or decimal => number.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new SecureConnectException(
            ErrorIds.InvalidParameterValue,
            ErrorKind.InvalidArgument,
            $"The value of parameter {{{name}}} is a {value.GetType().FullName}, which has no ClickHouse text form{(value is TimeSpan ? ": pass its seconds ([long]$span.TotalSeconds) and use an integer or toIntervalSecond()" : string.Empty)}. The query was not run.",
            name),
    };

    private static string Quote(string text, bool quoted) => quoted ? "'" + text + "'" : text;

    private static string Float(double value) =>
        double.IsPositiveInfinity(value) ? "inf" : double.IsNegativeInfinity(value) ? "-inf" : double.IsNaN(value) ? "nan" : value.ToString("R", CultureInfo.InvariantCulture);

    private static string DateTimeText(DateTime at) =>
        at.Ticks % TimeSpan.TicksPerSecond == 0
            ? at.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
            : at.ToString("yyyy-MM-dd HH:mm:ss.fffffff", CultureInfo.InvariantCulture);

    private static string Bytes(byte[] bytes, bool quoted)
    {
        var text = new StringBuilder(bytes.Length * 4 + 2);
        if (quoted)
        {
            text.Append('\'');
        }

        foreach (byte b in bytes)
        {
            text.Append("\\x").Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }

        if (quoted)
        {
            text.Append('\'');
        }

        return text.ToString();
    }

    private static string ArrayText(string name, Array array)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < array.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(Text(name, array.GetValue(i) ?? DBNull.Value, quoted: true));
        }

        return text.Append(']').ToString();
    }
}
