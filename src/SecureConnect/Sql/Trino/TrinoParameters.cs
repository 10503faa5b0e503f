using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using SecureConnect.Common;

namespace SecureConnect.Sql.Trino;

/// <summary>A statement with -Parameters as Trino runs it: the prepared text, and the EXECUTE that passes the values.</summary>
/// <param name="Execute">EXECUTE name USING literal, ... (the values in the order the query names them).</param>
/// <param name="PreparedHeader">The X-Trino-Prepared-Statement header: name=URL-encoded statement with ? in place of each @name.</param>
internal sealed record TrinoPrepared(string Execute, string PreparedHeader);

/// <summary>
/// -Parameters for Trino: the query is prepared with '?' in place of each @name (outside string literals, quoted
/// identifiers and comments), passed in the X-Trino-Prepared-Statement header as Trino's own clients do, and run
/// with EXECUTE ... USING the values as typed SQL literals: string 'it''s', integers BIGINT/INTEGER/SMALLINT '5',
/// decimal DECIMAL '1.50', double DOUBLE '1.5E0' (nan(), infinity()), float REAL, bool TRUE/FALSE, DateTime
/// TIMESTAMP 'yyyy-MM-dd HH:mm:ss.fffffff' (UTC ones with ' UTC'), DateTimeOffset with its offset, TimeSpan of less than
/// a day TIME, Guid UUID, byte[] X'..', arrays ARRAY[...], $null NULL. The statement text is never spliced with the values.
/// </summary>
internal static class TrinoParameters
{
    public const string StatementName = "secureconnect_statement";

    /// <summary>The prepared form of <paramref name="query"/>, or null when there are no parameters (the text is sent as it is).</summary>
    public static TrinoPrepared? Prepare(string query, IDictionary? parameters)
    {
        if (parameters is null || parameters.Count == 0)
        {
            return null;
        }

        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in parameters)
        {
            string name = (Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty).TrimStart('@');
            values[name] = entry.Value;
        }

        var literals = new List<string>();
        string statement = Rewrite(query, name =>
        {
            if (!values.TryGetValue(name, out object? value))
            {
                throw new SecureConnectException(ErrorIds.InvalidParameterValue, ErrorKind.InvalidArgument, $"The query uses @{name}, which -Parameters does not give. The query was not run.", "@" + name);
            }

            literals.Add(Literal("@" + name, QueryParameters.ToEngineValue(IntegrationType.Trino, "@" + name, value)));
        });
        if (literals.Count == 0)
        {
            throw new SecureConnectException(ErrorIds.InvalidParameterValue, ErrorKind.InvalidArgument, "-Parameters was given, but the query names none of them as @name. The query was not run.", "Parameters");
        }

        return new TrinoPrepared($"EXECUTE {StatementName} USING {string.Join(", ", literals)}", StatementName + "=" + Uri.EscapeDataString(statement));
    }

    /// <summary>Replaces each @name outside literals, quoted identifiers and comments with '?', telling <paramref name="found"/> each name in order.</summary>
    internal static string Rewrite(string query, Action<string> found)
    {
        var text = new StringBuilder(query.Length);
        int i = 0;
        while (i < query.Length)
        {
            char c = query[i];
            if (c is '\'' or '"')
            {
                int end = i + 1;
                while (end < query.Length)
                {
                    if (query[end] == c)
                    {
                        if (end + 1 < query.Length && query[end + 1] == c)
                        {
                            end += 2;
                            continue;
                        }

                        break;
                    }

                    end++;
                }

                end = Math.Min(end + 1, query.Length);
                text.Append(query, i, end - i);
                i = end;
            }
            else if (c == '-' && i + 1 < query.Length && query[i + 1] == '-')
            {
                int end = query.IndexOf('\n', i);
                end = end < 0 ? query.Length : end;
                text.Append(query, i, end - i);
                i = end;
            }
            else if (c == '/' && i + 1 < query.Length && query[i + 1] == '*')
            {
                int end = query.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? query.Length : end + 2;
                text.Append(query, i, end - i);
                i = end;
            }
            else if (c == '@' && i + 1 < query.Length && (char.IsLetter(query[i + 1]) || query[i + 1] == '_'))
            {
                int end = i + 1;
                while (end < query.Length && (char.IsLetterOrDigit(query[end]) || query[end] == '_'))
                {
                    end++;
                }

                found(query[(i + 1)..end]);
                text.Append('?');
                i = end;
            }
            else
            {
                text.Append(c);
                i++;
            }
        }

        return text.ToString();
    }

    /// <summary>A value (as <see cref="QueryParameters"/> accepted it) as a typed Trino literal.</summary>
    internal static string Literal(string name, object value) => value switch
    {
        DBNull => "NULL",
        string s => Quote(s),
        bool b => b ? "TRUE" : "FALSE",
        short n => $"SMALLINT '{n.ToString(CultureInfo.InvariantCulture)}'",
        int n => $"INTEGER '{n.ToString(CultureInfo.InvariantCulture)}'",
        long n => $"BIGINT '{n.ToString(CultureInfo.InvariantCulture)}'",
        decimal d => $"DECIMAL '{d.ToString(CultureInfo.InvariantCulture)}'",
        double d => Floating(d, d.ToString("R", CultureInfo.InvariantCulture), "DOUBLE"),
        float f => Floating(f, f.ToString("R", CultureInfo.InvariantCulture), "REAL"),
        DateTime at => $"TIMESTAMP '{at.ToString("yyyy-MM-dd HH:mm:ss.fffffff", CultureInfo.InvariantCulture)}{(at.Kind == DateTimeKind.Utc ? " UTC" : string.Empty)}'",
        DateTimeOffset at => $"TIMESTAMP '{at.ToString("yyyy-MM-dd HH:mm:ss.fffffff zzz", CultureInfo.InvariantCulture)}'",
        TimeSpan time when time >= TimeSpan.Zero && time < TimeSpan.FromDays(1) => $"TIME '{time.ToString(@"hh\:mm\:ss\.fffffff", CultureInfo.InvariantCulture)}'",
        TimeSpan => throw new SecureConnectException(ErrorIds.InvalidParameterValue, ErrorKind.InvalidArgument, $"The value of parameter {name} is a TimeSpan outside one day, and Trino takes a TimeSpan only as a time of day (TIME). Pass it as seconds ([double]) and use parse_duration or an interval in the query. The query was not run.", name),
        Guid g => $"UUID '{g:D}'",
        byte[] bytes => $"X'{Convert.ToHexString(bytes)}'",
        Array array => "ARRAY[" + string.Join(", ", array.Cast<object?>().Select(e => Literal(name, e ?? DBNull.Value))) + "]",
        _ => throw new SecureConnectException(ErrorIds.InvalidParameterValue, ErrorKind.InvalidArgument, $"The value of parameter {name} ({value.GetType().FullName}) has no Trino literal. The query was not run.", name),
    };

    private static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string Floating(double value, string text, string type) =>
        double.IsNaN(value) ? $"CAST(nan() AS {type})"
        : double.IsPositiveInfinity(value) ? $"CAST(infinity() AS {type})"
        : double.IsNegativeInfinity(value) ? $"CAST(-infinity() AS {type})"
        : $"{type} '{text}'";
}
