using System;
using System.Collections;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Linq;

namespace SecureConnect.Sql;

/// <summary>Helpers for -ConnectionString.</summary>
internal static class ConnectionStrings
{
    /// <summary>Copies every key of <paramref name="connectionString"/> except the endpoint and login keys.</summary>
    public static void CopyRemaining(string connectionString, IDictionary into, params string[] taken)
    {
        var skip = new HashSet<string>(taken.Select(Normalize), StringComparer.Ordinal);
        var generic = new DbConnectionStringBuilder { ConnectionString = connectionString };
        foreach (string key in generic.Keys.Cast<string>())
        {
            if (!skip.Contains(Normalize(key)))
            {
                into[key] = generic[key];
            }
        }
    }

    /// <summary>
    /// A key=value connection string of an engine SecureConnect speaks itself (ClickHouse, Trino): Host (or Server,
    /// HostName), Port, User (or Username, UserId), Password (or Pwd), the database under <paramref name="databaseKeys"/>;
    /// any other key is an option, for the engine to judge like -Option.
    /// </summary>
    public static ParsedConnectionString ParseKeyValues(string connectionString, params string[] databaseKeys)
    {
        var generic = new DbConnectionStringBuilder { ConnectionString = connectionString };
        string? host = null, database = null, user = null, password = null;
        int? port = null;
        var options = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (string key in generic.Keys.Cast<string>())
        {
            string value = Convert.ToString(generic[key], CultureInfo.InvariantCulture) ?? string.Empty;
            string normalized = Normalize(key);
            switch (normalized)
            {
                case "host" or "server" or "hostname":
                    host = value;
                    break;
                case "port":
                    port = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is > 0 and <= 65535
                        ? p
                        : throw new FormatException($"Port '{value}' is not a port number.");
                    break;
                case "user" or "username" or "userid":
                    user = value;
                    break;
                case "password" or "pwd":
                    password = value;
                    break;
                default:
                    if (databaseKeys.Contains(normalized, StringComparer.Ordinal))
                    {
                        database = value;
                    }
                    else
                    {
                        options[key] = value;
                    }

                    break;
            }
        }

        return new ParsedConnectionString(host, port, database, user, password, options);
    }

    private static string Normalize(string key) => key.Replace(" ", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
}
