using System;
using System.Collections.Generic;

namespace SecureConnect.Sql;

/// <summary>Column names made unique the way a sysadmin expects: id, id1, id2.</summary>
internal static class ColumnNames
{
    public static string[] Unique(IEnumerable<string> names)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var result = new List<string>();
        foreach (string raw in names)
        {
            string name = string.IsNullOrEmpty(raw) ? "Column" + (result.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : raw;
            string candidate = name;
            for (int i = 1; !seen.Add(candidate); i++)
            {
                candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            result.Add(candidate);
        }

        return result.ToArray();
    }
}
