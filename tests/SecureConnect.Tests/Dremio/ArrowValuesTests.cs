using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using Apache.Arrow;
using Apache.Arrow.Types;
using SecureConnect.Sql.Dremio;
using Xunit;

namespace SecureConnect.Tests.Dremio;

/// <summary>Arrow values to .NET, array by array (built here with Apache.Arrow's builders), and the reader over a stream of batches.</summary>
public sealed class ArrowValuesTests
{
    [Fact]
    public void Integers_Floats_AndBooleans_KeepTheirTypes()
    {
        Assert.Equal((sbyte)-1, ArrowValues.ToDotNet(new Int8Array.Builder().Append(-1).Build(), 0));
        Assert.Equal((short)-2, ArrowValues.ToDotNet(new Int16Array.Builder().Append(-2).Build(), 0));
        Assert.Equal(-3, ArrowValues.ToDotNet(new Int32Array.Builder().Append(-3).Build(), 0));
        Assert.Equal(-4L, ArrowValues.ToDotNet(new Int64Array.Builder().Append(-4).Build(), 0));
        Assert.Equal((byte)5, ArrowValues.ToDotNet(new UInt8Array.Builder().Append(5).Build(), 0));
        Assert.Equal((ushort)6, ArrowValues.ToDotNet(new UInt16Array.Builder().Append(6).Build(), 0));
        Assert.Equal(7u, ArrowValues.ToDotNet(new UInt32Array.Builder().Append(7).Build(), 0));
        Assert.Equal(ulong.MaxValue, ArrowValues.ToDotNet(new UInt64Array.Builder().Append(ulong.MaxValue).Build(), 0));
        Assert.Equal(0.5f, ArrowValues.ToDotNet(new FloatArray.Builder().Append(0.5f).Build(), 0));
        Assert.Equal(0.25, ArrowValues.ToDotNet(new DoubleArray.Builder().Append(0.25).Build(), 0));
        Assert.Equal(1.5f, ArrowValues.ToDotNet(new HalfFloatArray.Builder().Append((Half)1.5).Build(), 0));
        Assert.Equal(false, ArrowValues.ToDotNet(new BooleanArray.Builder().Append(false).Build(), 0));
    }

    [Fact]
    public void Nulls_AreNull_InEveryKindOfArray()
    {
        Assert.Null(ArrowValues.ToDotNet(new Int32Array.Builder().AppendNull().Build(), 0));
        Assert.Null(ArrowValues.ToDotNet(new StringArray.Builder().AppendNull().Build(), 0));
        Assert.Null(ArrowValues.ToDotNet(new NullArray(3), 2));
        Assert.Null(ArrowValues.ToDotNet(new ListArray.Builder(Int32Type.Default).AppendNull().Build(), 0));
        var dictionary = new DictionaryArray(new DictionaryType(Int8Type.Default, StringType.Default, false), new Int8Array.Builder().AppendNull().Build(), new StringArray.Builder().Append("a").Build());
        Assert.Null(ArrowValues.ToDotNet(dictionary, 0));
    }

    [Fact]
    public void Decimals_AreDecimal_OrTheirExactTextBeyond28Digits()
    {
        var type = new Decimal128Type(38, 2);
        var array = new Decimal128Array.Builder(type).Append(1234.56m).Append(SqlDecimalOf("12345678901234567890123456789012.34")).Build();
        Assert.Equal(1234.56m, ArrowValues.ToDotNet(array, 0));
        Assert.Equal("12345678901234567890123456789012.34", ArrowValues.ToDotNet(array, 1));
        Assert.Equal(typeof(object), ArrowValues.ClrType(type));
        Assert.Equal(typeof(decimal), ArrowValues.ClrType(new Decimal128Type(18, 4)));
        Assert.Equal(-0.001m, ArrowValues.ToDotNet(new Decimal256Array.Builder(new Decimal256Type(20, 3)).Append(-0.001m).Build(), 0));
    }

    [Fact]
    public void TextAndBytes()
    {
        Assert.Equal("Zoë", ArrowValues.ToDotNet(new StringArray.Builder().Append("Zoë").Build(), 0));
        Assert.Equal("large", ArrowValues.ToDotNet(new LargeStringArray.Builder().Append("large").Build(), 0));
        Assert.Equal("view", ArrowValues.ToDotNet(new StringViewArray.Builder().Append("view").Build(), 0));
        Assert.Equal(new byte[] { 0, 9 }, ArrowValues.ToDotNet(new BinaryArray.Builder().Append(new byte[] { 0, 9 }.AsSpan()).Build(), 0));
        Assert.Equal(new byte[] { 7 }, ArrowValues.ToDotNet(new LargeBinaryArray.Builder().Append(new byte[] { 7 }.AsSpan()).Build(), 0));
    }

    [Fact]
    public void DatesTimesAndTimestamps()
    {
        Assert.Equal(new DateTime(1999, 12, 31), ArrowValues.ToDotNet(new Date32Array.Builder().Append(new DateTime(1999, 12, 31)).Build(), 0));
        Assert.Equal(new DateTime(2000, 1, 1), ArrowValues.ToDotNet(new Date64Array.Builder().Append(new DateTime(2000, 1, 1)).Build(), 0));
        Assert.Equal("00:01:01", ArrowValues.ToDotNet(new Time32Array.Builder(new Time32Type(TimeUnit.Second)).Append(61).Build(), 0));
        Assert.Equal("00:00:01.5", ArrowValues.ToDotNet(new Time32Array.Builder(new Time32Type(TimeUnit.Millisecond)).Append(1500).Build(), 0));
        Assert.Equal("00:00:00.0000015", ArrowValues.ToDotNet(new Time64Array.Builder(new Time64Type(TimeUnit.Nanosecond)).Append(1500).Build(), 0));
        Assert.Equal("00:00:00.000002", ArrowValues.ToDotNet(new Time64Array.Builder(new Time64Type(TimeUnit.Microsecond)).Append(2).Build(), 0));
        Assert.Equal("PT3S", ArrowValues.ToDotNet(new DurationArray.Builder(DurationType.Second).Append(TimeSpan.FromSeconds(3)).Build(), 0));

        var instant = new DateTimeOffset(2024, 7, 1, 10, 0, 0, TimeSpan.Zero);
        object? naive = ArrowValues.ToDotNet(new TimestampArray.Builder(new TimestampType(TimeUnit.Nanosecond, (string?)null)).Append(instant).Build(), 0);
        Assert.Equal(DateTimeKind.Unspecified, Assert.IsType<DateTime>(naive).Kind);
        Assert.Equal(new DateTime(2024, 7, 1, 10, 0, 0), naive);
        DateTimeOffset west = Assert.IsType<DateTimeOffset>(ArrowValues.ToDotNet(new TimestampArray.Builder(new TimestampType(TimeUnit.Millisecond, "-05:00")).Append(instant).Build(), 0));
        Assert.Equal((instant, TimeSpan.FromHours(-5)), (west, west.Offset));
        DateTimeOffset unknown = Assert.IsType<DateTimeOffset>(ArrowValues.ToDotNet(new TimestampArray.Builder(new TimestampType(TimeUnit.Second, "Nowhere/Special")).Append(instant).Build(), 0));
        Assert.Equal((instant, TimeSpan.Zero), (unknown, unknown.Offset));
        Assert.Equal(typeof(DateTime), ArrowValues.ClrType(new TimestampType(TimeUnit.Second, (string?)null)));
        Assert.Equal(typeof(DateTimeOffset), ArrowValues.ClrType(new TimestampType(TimeUnit.Second, "UTC")));
    }

    [Fact]
    public void ADictionaryEncodedString_IsTheStringItStandsFor()
    {
        var type = new DictionaryType(Int16Type.Default, StringType.Default, false);
        var array = new DictionaryArray(type, new Int16Array.Builder().Append(2).Append(0).Build(), new StringArray.Builder().Append("red").Append("green").Append("blue").Build());
        Assert.Equal("blue", ArrowValues.ToDotNet(array, 0));
        Assert.Equal("red", ArrowValues.ToDotNet(array, 1));
        Assert.Equal(typeof(string), ArrowValues.ClrType(type));
    }

    [Fact]
    public void AListOfStructs_IsAnArrayOfObjects_FieldsInOrder()
    {
        var point = new StructType(new[] { new Field("y", Int32Type.Default, true), new Field("x", StringType.Default, true), new Field("X", StringType.Default, true) });
        var ys = new Int32Array.Builder().Append(1).Append(2).Append(3).Build();
        var xs = new StringArray.Builder().Append("a").Append("b").Append("c").Build();
        var structs = new StructArray(point, 3, new IArrowArray[] { ys, xs, xs }, ArrowBuffer.Empty, 0);
        var list = new ListArray(new ListType(new Field("item", point, true)), 2, new ArrowBuffer.Builder<int>().Append(0).Append(1).Append(3).Build(), structs, ArrowBuffer.Empty, 0);

        object?[] second = Assert.IsType<object?[]>(ArrowValues.ToDotNet(list, 1));
        Assert.Equal(2, second.Length);
        PSObject last = Assert.IsType<PSObject>(second[1]);
        Assert.Equal(new[] { "y", "x", "X1" }, last.Properties.Select(p => p.Name));
        Assert.Equal(3, last.Properties["y"].Value);
        Assert.Equal("c", last.Properties["x"].Value);
        Assert.Equal(typeof(object), ArrowValues.ClrType(point));
    }

    [Fact]
    public void TheReader_HandsOutABatch_BeforeTheNextIsAskedFor()
    {
        var schema = new Schema.Builder().Field(f => f.Name("n").DataType(Int32Type.Default)).Build();
        var source = new LoggedSource(schema, new[] { new[] { 1, 2 }, System.Array.Empty<int>(), new[] { 3 } });
        using var reader = new ArrowBatchReader(schema, source, CancellationToken.None);

        Assert.Equal(typeof(int), reader.GetFieldType(0));
        Assert.True(reader.Read());
        Assert.Equal(1, reader.GetValue(0));
        Assert.Equal(new[] { "batch 1" }, source.Log);
        Assert.True(reader.Read());
        Assert.Equal(2, reader.GetInt32(0));
        Assert.Equal(new[] { "batch 1" }, source.Log);
        Assert.True(reader.Read());
        Assert.Equal(3, reader.GetValue(0));
        Assert.Equal(new[] { "batch 1", "batch 2", "batch 3" }, source.Log);
        Assert.False(reader.Read());
        Assert.True(reader.Finished);
        Assert.False(source.Disposed);
        reader.Dispose();
        Assert.True(source.Disposed);
    }

    [Fact]
    public void TheReader_DisposedEarly_DisposesItsSource()
    {
        var schema = new Schema.Builder().Field(f => f.Name("n").DataType(Int32Type.Default)).Build();
        var source = new LoggedSource(schema, new[] { new[] { 1, 2 }, new[] { 3 } });
        var reader = new ArrowBatchReader(schema, source, CancellationToken.None);
        Assert.True(reader.Read());
        reader.Dispose();
        Assert.True(source.Disposed);
        Assert.False(reader.Finished);
    }

    private static System.Data.SqlTypes.SqlDecimal SqlDecimalOf(string text) => System.Data.SqlTypes.SqlDecimal.Parse(text);

    private sealed class LoggedSource : IRecordBatchSource
    {
        private readonly Schema _schema;
        private readonly int[][] _batches;
        private int _next;

        public LoggedSource(Schema schema, int[][] batches)
        {
            _schema = schema;
            _batches = batches;
        }

        public List<string> Log { get; } = new();

        public bool Disposed { get; private set; }

        public RecordBatch Current { get; private set; } = null!;

        public bool MoveNext(CancellationToken cancel)
        {
            if (_next >= _batches.Length)
            {
                return false;
            }

            int[] values = _batches[_next++];
            Log.Add($"batch {_next}");
            Current = new RecordBatch(_schema, new IArrowArray[] { new Int32Array.Builder().AppendRange(values).Build() }, values.Length);
            return true;
        }

        public void Dispose() => Disposed = true;
    }
}
