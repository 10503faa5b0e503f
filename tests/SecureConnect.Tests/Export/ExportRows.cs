using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using SecureConnect.Common;

namespace SecureConnect.Tests.Export;

/// <summary>Rows as engines hand them out, and the PSObjects Invoke-SecureQuery makes of them.</summary>
internal static class ExportRows
{
    public static readonly string[] Names =
    {
        "id", "text", "empty", "missing", "amount", "tiny", "ratio", "single", "big", "at_utc", "at_local", "at_offset",
        "yes", "no", "ints", "objects", "bytes", "guid", "span", "nested", "odd, \"name\"", "unicode",
    };

    public static List<(string[] Names, object?[] Values)> Mixed()
    {
        var nested = new PSObject();
        nested.Properties.Add(new PSNoteProperty("city", "Bern"));
        nested.Properties.Add(new PSNoteProperty("zip", 3000));

        var rows = new List<(string[], object?[])>
        {
            (Names, new object?[]
            {
                1, "He said \"hi\", then left; twice\nand again\r\nend\r", string.Empty, null, 12.50m, -0.0001m, 1.5e-7, 3.25f, long.MaxValue,
                new DateTime(2024, 3, 10, 8, 15, 0, DateTimeKind.Utc), new DateTime(2024, 12, 31, 23, 59, 59, 999, DateTimeKind.Unspecified).AddTicks(1234),
                new DateTimeOffset(2024, 3, 10, 10, 15, 0, TimeSpan.FromHours(2)), true, false, new[] { 1, 2, 3 }, new object?[] { "a", null },
                new byte[] { 1, 2, 255 }, Guid.Parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), TimeSpan.FromMinutes(90.5), nested, "x;y", "Zürich – 東京 🎉",
            }),
            (Names, new object?[]
            {
                2, null, null, null, null, null, double.NaN, float.PositiveInfinity, 0L, DateTime.MinValue, null, null, null, null, null, null, null, null, null, null, null, "\"",
            }),
        };

        // A document with its fields in another order, one missing and one more (MongoDB): Export-Csv goes by the header.
        string[] other = { "unicode", "id", "text", "extra" };
        rows.Add((other, new object?[] { "ñ", 3, "three,3", "dropped" }));
        return rows;
    }

    /// <summary>The row as Invoke-SecureQuery writes it (RowObjects).</summary>
    public static PSObject ToObject(string[] names, object?[] values) => RowObjects.CreateOne(names, values);

    /// <summary>Runs <paramref name="action"/> with this thread's culture set (PowerShell's runspace takes it from here).</summary>
    public static T InCulture<T>(string culture, Func<T> action)
    {
        CultureInfo before = CultureInfo.CurrentCulture;
        CultureInfo beforeUi = CultureInfo.CurrentUICulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo(culture);
            CultureInfo.CurrentUICulture = CultureInfo.GetCultureInfo(culture);
            return action();
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
            CultureInfo.CurrentUICulture = beforeUi;
        }
    }
}
