using System;
using System.Collections.Generic;
using System.IO;
using System.Numerics;
using System.Text;
using SecureConnect.Sql.ClickHouse;
using Xunit;

namespace SecureConnect.Tests.ClickHouse;

/// <summary>
/// TabSeparatedWithNamesAndTypes as ClickHouse writes it (the samples are what 18.16 sent for the same queries):
/// escapes, every type mapping, arrays, NULLs, the header, a body that ends inside a row, an exception appended after
/// rows, and incremental reading.
/// </summary>
public sealed class TsvResultTests
{
    private static readonly TimeZoneInfo s_berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    [Fact]
    public void Unescape_EveryEscapeClickHouseWrites()
    {
        string raw = @"a\tb\nc\\d\'e\0f\bg\fh\ri\x41\x7a";
        Assert.Equal("a\tb\nc\\d'e\0f\bg\fh\riAz", TsvText.UnescapeToString(Encoding.UTF8.GetBytes(raw)));
        Assert.Equal("ä€", TsvText.UnescapeToString(Encoding.UTF8.GetBytes("ä€")));
        Assert.Equal("é", TsvText.UnescapeToString(Encoding.UTF8.GetBytes(@"\xC3\xA9")));
    }

    [Theory]
    [InlineData("Int8", "-1", (sbyte)-1)]
    [InlineData("Int16", "-300", (short)-300)]
    [InlineData("Int32", "-70000", -70000)]
    [InlineData("Int64", "-9223372036854775808", long.MinValue)]
    [InlineData("UInt8", "255", (byte)255)]
    [InlineData("UInt16", "65535", (ushort)65535)]
    [InlineData("UInt32", "4294967295", uint.MaxValue)]
    [InlineData("UInt64", "18446744073709551615", ulong.MaxValue)]
    [InlineData("Float32", "1.5", 1.5f)]
    [InlineData("Float64", "-0.25", -0.25)]
    [InlineData("Float64", "inf", double.PositiveInfinity)]
    [InlineData("Float64", "-inf", double.NegativeInfinity)]
    [InlineData("Float32", "-inf", float.NegativeInfinity)]
    [InlineData("String", @"a\tb", "a\tb")]
    [InlineData("FixedString(4)", @"ab\0\0", "ab")]
    [InlineData("Enum8(\'x\' = 1, \'y\\\'z\' = 2)", @"y\'z", "y'z")]
    [InlineData("LowCardinality(String)", "lc", "lc")]
    [InlineData("Bool", "true", true)]
    [InlineData("IPv4", "1.2.3.4", "1.2.3.4")]
    [InlineData("Tuple(UInt8, String)", @"(1,'t\'')", @"(1,'t\'')")]
    public void Scalars_MapToTheirDotNetTypes(string type, string raw, object expected)
    {
        ColumnReader reader = ClickHouseTypes.For(type, s_berlin);
        object value = reader.FromField(Encoding.UTF8.GetBytes(raw));
        Assert.Equal(expected.GetType(), reader.ClrType);
        Assert.Equal(expected, value);
    }

    [Fact]
    public void Float_Nan_AndWideIntegers()
    {
        Assert.True(double.IsNaN((double)ClickHouseTypes.For("Float64", null).FromField("nan"u8)));
        Assert.True(float.IsNaN((float)ClickHouseTypes.For("Float32", null).FromField("nan"u8)));
        Assert.Equal(BigInteger.Parse("-170141183460469231731687303715884105728"), ClickHouseTypes.For("Int128", null).FromField("-170141183460469231731687303715884105728"u8));
        Assert.Equal(BigInteger.Pow(2, 256) - 1, ClickHouseTypes.For("UInt256", null).FromField(Encoding.ASCII.GetBytes((BigInteger.Pow(2, 256) - 1).ToString())));
    }

    [Fact]
    public void Decimals_UpTo38Digits_AreDecimal_WiderOnesText()
    {
        Assert.Equal(12.345m, ClickHouseTypes.For("Decimal(18, 3)", null).FromField("12.345"u8));
        Assert.Equal(-1.00m, ClickHouseTypes.For("Decimal(38, 2)", null).FromField("-1.00"u8));
        Assert.Equal(0.5m, ClickHouseTypes.For("Decimal32(1)", null).FromField("0.5"u8));
        Assert.Equal(typeof(decimal), ClickHouseTypes.For("Decimal128(4)", null).ClrType);
        Assert.Equal(typeof(string), ClickHouseTypes.For("Decimal(76, 2)", null).ClrType);
        Assert.Throws<OverflowException>(() => ClickHouseTypes.For("Decimal(38, 0)", null).FromField(Encoding.ASCII.GetBytes(new string('9', 38))));
    }

    [Fact]
    public void Dates_AndZeroDates()
    {
        ColumnReader date = ClickHouseTypes.For("Date", s_berlin);
        Assert.Equal(new DateTime(2024, 2, 29), date.FromField("2024-02-29"u8));
        Assert.Equal(new DateTime(1970, 1, 1), date.FromField("0000-00-00"u8));
    }

    [Fact]
    public void DateTime_IsTheInstantInTheColumnsZone_OrTheServers()
    {
        ColumnReader utc = ClickHouseTypes.For(@"DateTime('UTC')", s_berlin);
        Assert.Equal(new DateTimeOffset(2024, 2, 29, 13, 4, 5, TimeSpan.Zero), utc.FromField("2024-02-29 13:04:05"u8));

        ColumnReader server = ClickHouseTypes.For("DateTime", s_berlin);
        var winter = (DateTimeOffset)server.FromField("2024-02-29 13:04:05"u8);
        var summer = (DateTimeOffset)server.FromField("2024-07-01 13:04:05"u8);
        Assert.Equal(TimeSpan.FromHours(1), winter.Offset);
        Assert.Equal(TimeSpan.FromHours(2), summer.Offset);
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 11, 4, 5, TimeSpan.Zero), summer);

        // 18.x writes the zero time (the epoch) as zeros.
        Assert.Equal(DateTimeOffset.UnixEpoch, server.FromField("0000-00-00 00:00:00"u8));

        ColumnReader precise = ClickHouseTypes.For(@"DateTime64(3, 'UTC')", null);
        Assert.Equal(new DateTimeOffset(2024, 2, 29, 13, 4, 5, 123, TimeSpan.Zero), precise.FromField("2024-02-29 13:04:05.123"u8));
    }

    [Fact]
    public void DateTime_InAZoneUnknownHere_IsTheServersText()
    {
        ColumnReader reader = ClickHouseTypes.For("DateTime", null);
        Assert.Equal(typeof(string), reader.ClrType);
        Assert.Equal("2024-02-29 13:04:05", reader.FromField("2024-02-29 13:04:05"u8));
    }

    [Fact]
    public void Uuid_IsGuid()
    {
        Assert.Equal(Guid.Parse("322c71be-9542-4ff1-b4c2-c027e4e7de59"), ClickHouseTypes.For("UUID", null).FromField("322c71be-9542-4ff1-b4c2-c027e4e7de59"u8));
    }

    [Fact]
    public void Arrays_Typed_Nested_WithQuotesEscapesAndNulls()
    {
        Assert.Equal(new byte[] { 1, 2 }, ClickHouseTypes.For("Array(UInt8)", null).FromField("[1,2]"u8));
        Assert.Empty((string[])ClickHouseTypes.For("Array(String)", null).FromField("[]"u8));

        var nested = (byte[][])ClickHouseTypes.For("Array(Array(UInt8))", null).FromField("[[1],[2,3]]"u8);
        Assert.Equal(new byte[] { 1 }, nested[0]);
        Assert.Equal(new byte[] { 2, 3 }, nested[1]);

        // As 18.16 wrote ['a''b', 'c\\d<TAB>x', NULL]: quoted, escaped once, not escaped again by the TSV.
        var strings = (string?[])ClickHouseTypes.For("Array(Nullable(String))", null).FromField(Encoding.UTF8.GetBytes(@"['a\'b','c\\d\tx',NULL]"));
        Assert.Equal(new[] { "a'b", "c\\d\tx", null }, strings);

        var tricky = (string[])ClickHouseTypes.For("Array(String)", null).FromField(Encoding.UTF8.GetBytes(@"['a,]b','[x]','']"));
        Assert.Equal(new[] { "a,]b", "[x]", string.Empty }, tricky);

        var numbers = (int?[])ClickHouseTypes.For("Array(Nullable(Int32))", null).FromField("[1,NULL,-3]"u8);
        Assert.Equal(new int?[] { 1, null, -3 }, numbers);

        var dates = (DateTimeOffset[])ClickHouseTypes.For(@"Array(DateTime('UTC'))", null).FromField("['2024-01-02 03:04:05']"u8);
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero), dates[0]);
    }

    [Fact]
    public void Arrays_NullWhereTheElementsAreNotNullable_IsRefused()
    {
        Assert.Throws<FormatException>(() => ClickHouseTypes.For("Array(Int32)", null).FromField("[1,NULL]"u8));
        Assert.Throws<FormatException>(() => ClickHouseTypes.For("Array(Int32)", null).FromField("[1,2"u8));
    }

    [Fact]
    public void Reader_HeaderTypesAreUnescaped_NullsAreDbNull_AndValuesTyped()
    {
        string body = "ts\tn\tname with\\ttab\nDateTime(\\'UTC\\')\tNullable(Int32)\tString\n2024-02-29 13:04:05\t\\N\tx\n2024-02-29 13:04:06\t7\t\\\\N\n";
        using var reader = new ClickHouseDataReader(Body(body), null, null);

        Assert.Equal("name with\ttab", reader.GetName(2));
        Assert.Equal("DateTime('UTC')", reader.GetDataTypeName(0));
        Assert.Equal(typeof(DateTimeOffset), reader.GetFieldType(0));
        Assert.Equal(typeof(int), reader.GetFieldType(1));
        Assert.True(reader.Read());
        Assert.True(reader.IsDBNull(1));
        Assert.True(reader.Read());
        Assert.Equal(7, reader.GetValue(1));
        Assert.Equal(@"\N", reader.GetValue(2));
        Assert.False(reader.Read());
        Assert.True(reader.Finished);
        Assert.Equal(2, reader.RowsRead);
    }

    [Fact]
    public void Reader_ABodyCutInsideARow_IsAnEndOfStream_NotAShortResult()
    {
        using var reader = new ClickHouseDataReader(Body("n\ts\nUInt8\tString\n1\ta\n2\tb"), null, null);
        Assert.True(reader.Read());
        EndOfStreamException e = Assert.Throws<EndOfStreamException>(() => reader.Read());
        Assert.Contains("row 2", e.Message, StringComparison.Ordinal);
        Assert.False(reader.Finished);
    }

    [Theory]
    [InlineData("Code: 395, e.displayText() = DB::Exception: Value passed to 'throwIf' function is non zero, e.what() = DB::Exception\n")]
    [InlineData("Code: 395. DB::Exception: Value passed to 'throwIf' function is non-zero: while executing 'FUNCTION throwIf(x)'. (FUNCTION_THROW_IF_VALUE_IS_NON_ZERO) (version 23.8.2.7 (official build))\n")]
    [InlineData("Code: 395, e.displayText() = DB::Exception: no final newline")]
    public void Reader_AnExceptionAppendedAfterRows_IsRaisedWithCodeMessageAndRows(string exception)
    {
        string rows = "number\tflag\nUInt64\tUInt8\n0\t0\n1\t0\n2\t0\n";
        using var reader = new ClickHouseDataReader(Body(rows + exception), null, null);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(reader.Read());
        }

        ClickHouseServerException e = Assert.Throws<ClickHouseServerException>(() => reader.Read());
        Assert.Equal(395, e.Code);
        Assert.Equal(3, e.RowsBefore);
        Assert.Equal(exception.Trim(), e.ServerMessage);
    }

    [Fact]
    public void Reader_AMultiLineExceptionInAOneColumnResult_IsStillTheException()
    {
        string body = "s\nString\nfirst\nCode: 62, e.displayText() = DB::Exception: Syntax error: failed at position 1: SELEC 1\n. Expected one of: SELECT, e.what() = DB::Exception\n";
        using var reader = new ClickHouseDataReader(Body(body), null, null);
        Assert.True(reader.Read());
        ClickHouseServerException e = Assert.Throws<ClickHouseServerException>(() => reader.Read());
        Assert.Equal(62, e.Code);
        Assert.Contains("Expected one of", e.ServerMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Reader_ARowThatReadsLikeAnException_ButIsFollowedByRows_IsARow()
    {
        string body = "s\nString\nCode: 1, e.displayText() = looks like one\nnext\n";
        using var reader = new ClickHouseDataReader(Body(body), null, null);
        Assert.True(reader.Read());
        Assert.Equal("Code: 1, e.displayText() = looks like one", reader.GetValue(0));
        Assert.True(reader.Read());
        Assert.Equal("next", reader.GetValue(0));
        Assert.False(reader.Read());
    }

    [Fact]
    public void Reader_ARowLikeAnExceptionFollowedByMoreThanAnExceptionsLength_IsARow()
    {
        var body = new StringBuilder("s\nString\nCode: 1, e.displayText() = DB::Exception: a logged message\n");
        while (body.Length < TsvBodyReader.ExceptionWindow + 1024)
        {
            body.Append("another row\n");
        }

        using var reader = new ClickHouseDataReader(Body(body.ToString()), null, null);
        Assert.True(reader.Read());
        Assert.Equal("Code: 1, e.displayText() = DB::Exception: a logged message", reader.GetValue(0));
        Assert.True(reader.Read());
        Assert.Equal("another row", reader.GetValue(0));
    }

    [Fact]
    public void Reader_ALineLongerThanTheLimit_IsAFormatError_NotAnEverGrowingBuffer()
    {
        // A server (or something posing as one) that sends a row without end: the reader stops at its line limit with
        // a clear error instead of doubling its buffer until the process runs out of memory. The stream refuses to be
        // read past 4 MiB, so a reader without a limit fails here with that IOException instead.
        byte[] head = Encoding.UTF8.GetBytes("s\nString\n");
        var body = new Endless(head, (byte)'x', failAfter: 4 * 1024 * 1024);
        var tsv = new TsvBodyReader(body, maxLineBytes: 256 * 1024);
        tsv.ReadHeader();
        ClickHouseFormatException e = Assert.Throws<ClickHouseFormatException>(() => tsv.ReadRow());
        Assert.Contains("row 1", e.Message, StringComparison.Ordinal);
        Assert.Contains("256 KiB", e.Message, StringComparison.Ordinal);
        Assert.True(body.Position <= 1024 * 1024, $"read {body.Position} bytes");
        Assert.Equal(1024L * 1024 * 1024, TsvBodyReader.MaxLineBytes);
    }

    private sealed class Endless : Stream
    {
        private readonly byte[] _head;
        private readonly byte _fill;
        private readonly long _failAfter;
        private long _position;

        public Endless(byte[] head, byte fill, long failAfter)
        {
            _head = head;
            _fill = fill;
            _failAfter = failAfter;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= _failAfter)
            {
                throw new IOException("read past the bound a limited reader stops at");
            }

            for (int i = 0; i < count; i++)
            {
                buffer[offset + i] = _position + i < _head.Length ? _head[_position + i] : _fill;
            }

            _position += count;
            return count;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void Reader_ARowWithTheWrongNumberOfFields_IsAFormatError()
    {
        using var reader = new ClickHouseDataReader(Body("a\tb\nUInt8\tUInt8\n1\n2\t3\n"), null, null);
        Assert.Throws<ClickHouseFormatException>(() => reader.Read());
    }

    [Fact]
    public void Reader_AnEmptyBody_IsAResultWithoutColumns()
    {
        using var reader = new ClickHouseDataReader(Body(string.Empty), null, null);
        Assert.Equal(0, reader.FieldCount);
        Assert.False(reader.Read());
    }

    [Fact]
    public void Reader_OneByteAtATime_ReadsTheSameRows()
    {
        string body = "n\ts\tarr\nUInt16\tString\tArray(String)\n1\tä\\tx\t['a\\'b']\n2\t€\t[]\n";
        using var reader = new ClickHouseDataReader(new Trickle(Encoding.UTF8.GetBytes(body), int.MaxValue), null, null);
        Assert.True(reader.Read());
        Assert.Equal((ushort)1, reader.GetValue(0));
        Assert.Equal("ä\tx", reader.GetValue(1));
        Assert.Equal(new[] { "a'b" }, reader.GetValue(2));
        Assert.True(reader.Read());
        Assert.Equal("€", reader.GetValue(1));
        Assert.False(reader.Read());
    }

    [Fact]
    public void Reader_HandsOutARowBeforeTheRestOfTheBodyExists()
    {
        byte[] head = Encoding.UTF8.GetBytes("n\nUInt8\n1\n2\n");

        // The stream fails on any read past the first rows: the reader must not have tried to read ahead for them.
        using var reader = new ClickHouseDataReader(new Trickle(head, head.Length), null, null);
        Assert.True(reader.Read());
        Assert.Equal((byte)1, reader.GetValue(0));
        Assert.True(reader.Read());
        Assert.Equal((byte)2, reader.GetValue(0));
        Assert.Throws<IOException>(() => reader.Read());
    }

    [Fact]
    public void Parameters_AreClickHouseText()
    {
        Assert.Equal(@"O\'Brien\t\\", ClickHouseParameters.Text("p", "O'Brien\t\\", quoted: false));
        Assert.Equal(@"['a\'b',NULL]", ClickHouseParameters.Text("p", new[] { "a'b", null }, quoted: false));
        Assert.Equal("2024-02-29 13:04:05", ClickHouseParameters.Text("p", new DateTime(2024, 2, 29, 13, 4, 5), quoted: false));
        Assert.Equal("2024-02-29 12:04:05", ClickHouseParameters.Text("p", new DateTimeOffset(2024, 2, 29, 13, 4, 5, TimeSpan.FromHours(1)), quoted: false));
        Assert.Equal("1", ClickHouseParameters.Text("p", true, quoted: false));
        Assert.Equal(@"\N", ClickHouseParameters.Text("p", DBNull.Value, quoted: false));
        Assert.Equal(@"\x00\xFF", ClickHouseParameters.Text("p", new byte[] { 0, 255 }, quoted: false));
        Assert.Equal("18446744073709551615", ClickHouseParameters.Text("p", ulong.MaxValue, quoted: false));
    }

    private static Stream Body(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));

    /// <summary>Gives one byte per read; fails past <c>failAfter</c> bytes as a connection that has nothing more yet would block.</summary>
    private sealed class Trickle : Stream
    {
        private readonly byte[] _data;
        private readonly int _failAfter;
        private int _position;

        public Trickle(byte[] data, int failAfter)
        {
            _data = data;
            _failAfter = failAfter;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= _failAfter)
            {
                throw new IOException("read past what has arrived");
            }

            if (_position == _data.Length || count == 0)
            {
                return 0;
            }

            buffer[offset] = _data[_position++];
            return 1;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
