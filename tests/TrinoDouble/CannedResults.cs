using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.Json;

namespace SecureConnect.Tests.TrinoDouble;

/// <summary>A column of a canned result, as Trino describes it.</summary>
internal sealed record Column(string Name, string Type);

/// <summary>A canned result: columns and rows whose values are raw JSON, as Trino's client protocol encodes them.</summary>
internal sealed class CannedResult
{
    private readonly Func<long, string[]> _row;

    public CannedResult(IReadOnlyList<Column> columns, long rows, Func<long, string[]> row)
    {
        Columns = columns;
        Rows = rows;
        _row = row;
    }

    public IReadOnlyList<Column> Columns { get; }

    public long Rows { get; }

    public string[] Row(long index) => _row(index);
}

/// <summary>
/// The double's data: the lab's five people (typed as Trino would type them), N numbers (generated as they are read),
/// one row of every type a user meets and one of NULLs, and an empty table. Values are raw JSON text.
/// </summary>
internal static class CannedResults
{
    private static readonly string[][] s_people =
    {
        new[] { "1", S("Ada Lovelace"), S("ada@example.test"), S("98.50"), S("2024-01-15 09:30:00.000 UTC"), S("first programmer") },
        new[] { "2", S("Alan Turing"), S("alan@example.test"), S("97.25"), S("2024-02-01 12:00:00.000 UTC"), S("codebreaker") },
        new[] { "3", S("Grace Hopper"), S("grace@example.test"), S("99.00"), S("2024-03-10 08:15:00.000 UTC"), "null" },
        new[] { "4", S("Zoë Müller"), S("zoe@example.test"), S("75.10"), S("2024-04-22 17:45:30.000 UTC"), S("unicode name") },
        new[] { "5", S("Linus Torvalds"), S("linus@example.test"), S("88.88"), S("2024-05-05 05:05:05.000 UTC"), S("kernel") },
    };

    // Every type with a value in Trino's JSON encoding (a second row holds NULL in each).
    private static readonly (string Name, string Type, string Value)[] s_types =
    {
        ("c_bigint", "bigint", "1234567890123"),
        ("c_integer", "integer", "-2147483648"),
        ("c_smallint", "smallint", "32767"),
        ("c_tinyint", "tinyint", "-128"),
        ("c_double", "double", "3.141592653589793"),
        ("c_double_nan", "double", S("NaN")),
        ("c_real", "real", "1.5"),
        ("c_decimal", "decimal(12,3)", S("123456789.123")),
        ("c_decimal_wide", "decimal(38,0)", S("12345678901234567890123456789012345678")),
        ("c_varchar", "varchar", S("Zoë Müller ✓ 'quoted' \"dq\"")),
        ("c_char", "char(5)", S("ab   ")),
        ("c_boolean", "boolean", "true"),
        ("c_date", "date", S("2024-02-29")),
        ("c_time", "time(3)", S("13:45:30.123")),
        ("c_timestamp", "timestamp(6)", S("2024-01-15 09:30:00.123456")),
        ("c_timestamp_tz", "timestamp(3) with time zone", S("2024-01-15 09:30:00.000 Europe/Paris")),
        ("c_timestamp_offset", "timestamp(3) with time zone", S("2024-07-01 12:00:00.000 +05:30")),
        ("c_interval", "interval day to second", S("2 03:04:05.678")),
        ("c_array", "array(integer)", "[1,2,null]"),
        ("c_map", "map(varchar, bigint)", "{\"a\":1,\"b\":null}"),
        ("c_row", "row(x bigint, y varchar)", "[7,\"seven\"]"),
        ("c_nested", "array(row(a integer, b array(varchar)))", "[[1,[\"x\",\"y\"]]]"),
        ("c_json", "json", S("{\"k\":[1,2]}")),
        ("c_uuid", "uuid", S("12151fd2-7586-11e9-8f9e-2a86e4085a59")),
        ("c_varbinary", "varbinary", S(Convert.ToBase64String(new byte[] { 0, 1, 2, 0xfe, 0xff }))),
        ("c_ipaddress", "ipaddress", S("10.0.0.1")),
    };

    public static readonly CannedResult People = new(
        new[]
        {
            new Column("id", "integer"), new Column("name", "varchar"), new Column("email", "varchar"),
            new Column("score", "decimal(10,2)"), new Column("joined", "timestamp(3) with time zone"), new Column("note", "varchar"),
        },
        5,
        i => s_people[i]);

    public static readonly CannedResult Types = new(
        s_types.Select(t => new Column(t.Name, t.Type)).ToArray(),
        2,
        i => i == 0 ? s_types.Select(t => t.Value).ToArray() : s_types.Select(_ => "null").ToArray());

    public static readonly CannedResult Empty = new(new[] { new Column("id", "integer") }, 0, _ => Array.Empty<string>());

    public static readonly CannedResult One = new(new[] { new Column("_col0", "integer") }, 1, _ => new[] { "1" });

    /// <summary>numbers: one bigint column n, 0 to count-1.</summary>
    public static CannedResult Numbers(long count) =>
        new(new[] { new Column("n", "bigint") }, count, i => new[] { i.ToString(CultureInfo.InvariantCulture) });

    /// <summary>A string as a JSON string literal.</summary>
    public static string S(string text) => JsonSerializer.Serialize(text);
}
