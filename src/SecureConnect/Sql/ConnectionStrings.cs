using System;
using System.Collections;
using System.Collections.Generic;
using System.Data.Common;
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

    private static string Normalize(string key) => key.Replace(" ", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
}
