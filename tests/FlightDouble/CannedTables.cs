using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Apache.Arrow;
using Apache.Arrow.Types;
using Grpc.Core;

namespace SecureConnect.Tests.FlightDouble;

/// <summary>What a canned query does when its stream is read.</summary>
public enum CannedEnd
{
    /// <summary>Every batch, then OK.</summary>
    Complete,

    /// <summary>Two batches, then the status Internal with a message (a query that fails after rows).</summary>
    FailAfterRows,

    /// <summary>Two batches, then the connection is aborted (a connection lost mid-stream).</summary>
    CutAfterRows,
}

/// <summary>One canned table: its schema, its batches (made as they are read), and how its stream ends.</summary>
public sealed record CannedTable(string Name, Schema Schema, Func<IEnumerable<RecordBatch>> Batches, CannedEnd End = CannedEnd.Complete);

/// <summary>
/// The double's queries, matched by text ("SELECT ... FROM name", any case and spacing, an optional ';'):
/// people (the lab's five people), numbers (N rows in batches), types (every common Arrow type, then a row of nulls),
/// sys.version (as Dremio's system table), fail (refused at planning: InvalidArgument), failafter (an error after two
/// batches), cut (the connection aborted after two batches), elsewhere (an endpoint at another server only) and split
/// (two endpoints on this server: one without a location, one at arrow-flight-reuse-connection://?). Anything else
/// is InvalidArgument "unknown table".
/// </summary>
public sealed class CannedTables
{
    public const string Version = "25.0.0-flightdouble";

    // The select list is not looked at: every query returns the table's columns.
    private static readonly Regex s_select = new(@"^\s*select\s+.+?\s+from\s+(?<table>[A-Za-z_][A-Za-z0-9_.]*)\s*;?\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    private readonly DoubleOptions _options;
    private readonly DoubleStats? _stats;

    public CannedTables(DoubleOptions options, DoubleStats? stats = null)
    {
        _options = options;
        _stats = stats;
    }

    /// <summary>The table a query names; RpcException InvalidArgument for the failing query or an unknown table.</summary>
    public CannedTable Resolve(string query)
    {
        Match match = s_select.Match(query);
        string table = match.Success ? match.Groups["table"].Value.ToLowerInvariant() : string.Empty;
        return table switch
        {
            "people" => People(),
            "numbers" or "split" or "elsewhere" => Numbers(table, _options.Numbers),
            "failafter" => Numbers(table, _options.BatchRows * 3) with { End = CannedEnd.FailAfterRows },
            "cut" => Numbers(table, _options.BatchRows * 3) with { End = CannedEnd.CutAfterRows },
            "types" => Types(),
            "sys.version" => SysVersion(),
            "double_stats" when _stats is not null => StatsTable(_stats),
            "fail" => throw new RpcException(new Status(StatusCode.InvalidArgument, "Table 'fail' is the Flight double's failing query: it never runs")),
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, $"unknown table: the Flight double answers only SELECT * FROM people, numbers, types, sys.version, double_stats, fail, failafter, cut, split or elsewhere (got '{Shorten(query)}')")),
        };
    }

    private static string Shorten(string query) => query.Length <= 80 ? query : query[..80] + "...";

    private static CannedTable People()
    {
        var schema = new Schema.Builder()
            .Field(f => f.Name("id").DataType(Int32Type.Default).Nullable(false))
            .Field(f => f.Name("name").DataType(StringType.Default))
            .Field(f => f.Name("email").DataType(StringType.Default))
            .Field(f => f.Name("score").DataType(new Decimal128Type(10, 2)))
            .Field(f => f.Name("joined").DataType(new TimestampType(TimeUnit.Microsecond, "UTC")))
            .Field(f => f.Name("note").DataType(StringType.Default))
            .Build();
        var people = new (int Id, string Name, string Email, decimal Score, string Joined, string? Note)[]
        {
            (1, "Ada Lovelace", "ada@example.test", 98.50m, "2024-01-15T09:30:00Z", "first programmer"),
            (2, "Alan Turing", "alan@example.test", 97.25m, "2024-02-01T12:00:00Z", "codebreaker"),
            (3, "Grace Hopper", "grace@example.test", 99.00m, "2024-03-10T08:15:00Z", null),
            (4, "Zoë Müller", "zoe@example.test", 75.10m, "2024-04-22T17:45:30Z", "unicode name"),
            (5, "Linus Torvalds", "linus@example.test", 88.88m, "2024-05-05T05:05:05Z", "kernel"),
        };
        return new CannedTable("people", schema, () => new[]
        {
            new RecordBatch(schema, new IArrowArray[]
            {
                new Int32Array.Builder().AppendRange(people.Select(p => p.Id)).Build(),
                new StringArray.Builder().AppendRange(people.Select(p => p.Name)).Build(),
                new StringArray.Builder().AppendRange(people.Select(p => p.Email)).Build(),
                Decimals(new Decimal128Type(10, 2), people.Select(p => (decimal?)p.Score)),
                Timestamps(new TimestampType(TimeUnit.Microsecond, "UTC"), people.Select(p => (DateTimeOffset?)DateTimeOffset.Parse(p.Joined, CultureInfo.InvariantCulture))),
                Strings(people.Select(p => p.Note)),
            }, people.Length),
        });
    }

    private CannedTable Numbers(string name, int count)
    {
        var schema = new Schema.Builder()
            .Field(f => f.Name("n").DataType(Int64Type.Default).Nullable(false))
            .Field(f => f.Name("label").DataType(StringType.Default))
            .Build();
        int batchRows = _options.BatchRows;
        return new CannedTable(name, schema, () => NumberBatches(schema, count, batchRows));
    }

    private static IEnumerable<RecordBatch> NumberBatches(Schema schema, int count, int batchRows)
    {
        for (int start = 0; start < count; start += batchRows)
        {
            int rows = Math.Min(batchRows, count - start);
            var n = new Int64Array.Builder();
            var label = new StringArray.Builder();
            for (int i = start; i < start + rows; i++)
            {
                n.Append(i);
                label.Append("n" + i.ToString(CultureInfo.InvariantCulture));
            }

            yield return new RecordBatch(schema, new IArrowArray[] { n.Build(), label.Build() }, rows);
        }
    }

    /// <summary>The double's own counters as a one-row table, for a client that can only run queries (SELECT * FROM double_stats).</summary>
    private static CannedTable StatsTable(DoubleStats stats)
    {
        var schema = new Schema.Builder()
            .Field(f => f.Name("calls").DataType(Int32Type.Default))
            .Field(f => f.Name("cancellations").DataType(Int32Type.Default))
            .Field(f => f.Name("completed_streams").DataType(Int32Type.Default))
            .Field(f => f.Name("auth_failed").DataType(Int32Type.Default))
            .Build();
        int[] values = { stats.Calls, stats.Cancellations, stats.CompletedStreams, stats.AuthFailed };
        return new CannedTable("double_stats", schema, () => new[]
        {
            new RecordBatch(schema, values.Select(v => (IArrowArray)new Int32Array.Builder().Append(v).Build()).ToArray(), 1),
        });
    }

    private static CannedTable SysVersion()
    {
        var schema = new Schema.Builder()
            .Field(f => f.Name("version").DataType(StringType.Default))
            .Field(f => f.Name("commit_id").DataType(StringType.Default))
            .Build();
        return new CannedTable("sys.version", schema, () => new[]
        {
            new RecordBatch(schema, new IArrowArray[] { Strings(new[] { Version }), Strings(new[] { "0000000" }) }, 1),
        });
    }

    /// <summary>
    /// Row 0: a value of every type; row 1: null in every column. No dictionary-encoded column: Apache.Arrow.Flight's
    /// C# stream writer and reader (23.0) do not carry dictionary batches, so the double could not send one.
    /// </summary>
    private static CannedTable Types()
    {
        var point = new StructType(new[]
        {
            new Field("city", StringType.Default, true),
            new Field("zip", Int32Type.Default, true),
        });
        var columns = new List<(Field Field, IArrowArray Array)>
        {
            (new Field("i8", Int8Type.Default, true), new Int8Array.Builder().Append(-8).AppendNull().Build()),
            (new Field("i16", Int16Type.Default, true), new Int16Array.Builder().Append(-16).AppendNull().Build()),
            (new Field("i32", Int32Type.Default, true), new Int32Array.Builder().Append(-32).AppendNull().Build()),
            (new Field("i64", Int64Type.Default, true), new Int64Array.Builder().Append(long.MinValue).AppendNull().Build()),
            (new Field("u8", UInt8Type.Default, true), new UInt8Array.Builder().Append(255).AppendNull().Build()),
            (new Field("u16", UInt16Type.Default, true), new UInt16Array.Builder().Append(65535).AppendNull().Build()),
            (new Field("u32", UInt32Type.Default, true), new UInt32Array.Builder().Append(uint.MaxValue).AppendNull().Build()),
            (new Field("u64", UInt64Type.Default, true), new UInt64Array.Builder().Append(ulong.MaxValue).AppendNull().Build()),
            (new Field("f32", FloatType.Default, true), new FloatArray.Builder().Append(1.5f).AppendNull().Build()),
            (new Field("f64", DoubleType.Default, true), new DoubleArray.Builder().Append(2.25).AppendNull().Build()),
            (new Field("dec", new Decimal128Type(38, 4), true), Decimals(new Decimal128Type(38, 4), new decimal?[] { 12345678.9012m, null })),
            (new Field("utf8", StringType.Default, true), Strings(new[] { "Zoë ✓", null })),
            (new Field("large_utf8", LargeStringType.Default, true), new LargeStringArray.Builder().Append("large text").AppendNull().Build()),
            (new Field("flag", BooleanType.Default, true), new BooleanArray.Builder().Append(true).AppendNull().Build()),
            (new Field("bin", BinaryType.Default, true), new BinaryArray.Builder().Append(new byte[] { 1, 2, 255 }.AsSpan()).AppendNull().Build()),
            (new Field("d32", Date32Type.Default, true), new Date32Array.Builder().Append(new DateTime(2024, 2, 29)).AppendNull().Build()),
            (new Field("d64", Date64Type.Default, true), new Date64Array.Builder().Append(new DateTime(2024, 3, 1)).AppendNull().Build()),
            (new Field("ts_naive", new TimestampType(TimeUnit.Microsecond, (string?)null), true), Timestamps(new TimestampType(TimeUnit.Microsecond, (string?)null), new DateTimeOffset?[] { new DateTimeOffset(2024, 1, 15, 9, 30, 0, 123, TimeSpan.Zero).AddTicks(4560), null })),
            (new Field("ts_utc", new TimestampType(TimeUnit.Millisecond, "UTC"), true), Timestamps(new TimestampType(TimeUnit.Millisecond, "UTC"), new DateTimeOffset?[] { new DateTimeOffset(2024, 6, 1, 12, 0, 0, 250, TimeSpan.Zero), null })),
            (new Field("ts_offset", new TimestampType(TimeUnit.Second, "+02:00"), true), Timestamps(new TimestampType(TimeUnit.Second, "+02:00"), new DateTimeOffset?[] { new DateTimeOffset(2024, 6, 1, 14, 0, 0, TimeSpan.FromHours(2)), null })),
            (new Field("t32", new Time32Type(TimeUnit.Millisecond), true), new Time32Array.Builder(new Time32Type(TimeUnit.Millisecond)).Append(((9 * 60) + 30) * 60_000 + 250).AppendNull().Build()),
            (new Field("t64", new Time64Type(TimeUnit.Microsecond), true), new Time64Array.Builder(new Time64Type(TimeUnit.Microsecond)).Append(86_399_999_999L).AppendNull().Build()),
            (new Field("list", new ListType(Int32Type.Default), true), IntLists(new[] { new int?[] { 1, 2, null }, null })),
            (new Field("point", point, true), Points(point)),
        };
        var schema = new Schema(columns.Select(c => c.Field), null);
        return new CannedTable("types", schema, () => new[] { new RecordBatch(schema, columns.Select(c => c.Array), 2) });
    }

    private static StringArray Strings(IEnumerable<string?> values)
    {
        var builder = new StringArray.Builder();
        foreach (string? value in values)
        {
            if (value is null)
            {
                builder.AppendNull();
            }
            else
            {
                builder.Append(value);
            }
        }

        return builder.Build();
    }

    private static Decimal128Array Decimals(Decimal128Type type, IEnumerable<decimal?> values)
    {
        var builder = new Decimal128Array.Builder(type);
        foreach (decimal? value in values)
        {
            if (value is decimal d)
            {
                builder.Append(d);
            }
            else
            {
                builder.AppendNull();
            }
        }

        return builder.Build();
    }

    private static TimestampArray Timestamps(TimestampType type, IEnumerable<DateTimeOffset?> values)
    {
        var builder = new TimestampArray.Builder(type);
        foreach (DateTimeOffset? value in values)
        {
            if (value is DateTimeOffset at)
            {
                builder.Append(at);
            }
            else
            {
                builder.AppendNull();
            }
        }

        return builder.Build();
    }

    private static ListArray IntLists(IEnumerable<int?[]?> lists)
    {
        var builder = new ListArray.Builder(Int32Type.Default);
        var values = (Int32Array.Builder)builder.ValueBuilder;
        foreach (int?[]? list in lists)
        {
            if (list is null)
            {
                builder.AppendNull();
                continue;
            }

            builder.Append();
            foreach (int? item in list)
            {
                if (item is int i)
                {
                    values.Append(i);
                }
                else
                {
                    values.AppendNull();
                }
            }
        }

        return builder.Build();
    }

    private static StructArray Points(StructType type)
    {
        var validity = new ArrowBuffer.BitmapBuilder().Append(true).Append(false).Build();
        return new StructArray(
            type,
            2,
            new IArrowArray[] { Strings(new[] { "Zürich", null }), new Int32Array.Builder().Append(8001).AppendNull().Build() },
            validity,
            nullCount: 1);
    }
}
