using System;
using System.Collections;
using System.Collections.Generic;
using System.Data.Common;
using System.IO;

namespace SecureConnect.Sql.ClickHouse;

/// <summary>
/// A ClickHouse result (TabSeparatedWithNamesAndTypes, streamed) as a forward-only <see cref="DbDataReader"/>, so that
/// <see cref="ResultStream"/> hands it out in every shape. Each <see cref="Read"/> reads one row from the body as it
/// arrives. Disposing it before the end disposes the response, which aborts the connection instead of reading the rest.
/// </summary>
internal sealed class ClickHouseDataReader : DbDataReader
{
    private readonly TsvBodyReader _body;
    private readonly IDisposable? _owner;
    private readonly string[] _names;
    private readonly string[] _types;
    private readonly ColumnReader[] _readers;
    private object[]? _row;
    private bool _closed;
    private bool _finished;

    public ClickHouseDataReader(Stream body, TimeZoneInfo? serverZone, IDisposable? owner)
    {
        _body = new TsvBodyReader(body);
        _owner = owner;
        (_names, _types) = _body.ReadHeader();
        _readers = Array.ConvertAll(_types, t => ClickHouseTypes.For(t, serverZone));
    }

    /// <summary>True once the body ended cleanly after the last row (the result is complete).</summary>
    public bool Finished => _finished;

    /// <summary>Rows read so far.</summary>
    public long RowsRead => _body.Rows;

    public override int FieldCount => _names.Length;

    public override object this[int ordinal] => GetValue(ordinal);

    public override object this[string name] => GetValue(GetOrdinal(name));

    public override int RecordsAffected => -1;

    public override bool HasRows => true;

    public override bool IsClosed => _closed;

    public override int Depth => 0;

    public override bool Read()
    {
        if (_closed || _finished)
        {
            return false;
        }

        List<ArraySegment<byte>>? fields = _body.ReadRow();
        if (fields is null)
        {
            _finished = true;
            _row = null;
            return false;
        }

        var row = new object[fields.Count];
        for (int i = 0; i < row.Length; i++)
        {
            ReadOnlySpan<byte> raw = fields[i];
            try
            {
                row[i] = TsvText.IsNull(raw) && (_readers[i].Nullable || _types[i] == "Nothing") ? DBNull.Value : _readers[i].FromField(raw);
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            {
                throw new ClickHouseFormatException($"the value of column '{_names[i]}' ({_types[i]}) in row {_body.Rows} could not be read: {e.Message}");
            }
        }

        _row = row;
        return true;
    }

    public override bool NextResult() => false;

    public override string GetName(int ordinal) => _names[ordinal];

    public override string GetDataTypeName(int ordinal) => _types[ordinal];

    public override Type GetFieldType(int ordinal) => _readers[ordinal].ClrType;

    public override int GetOrdinal(string name)
    {
        int index = Array.FindIndex(_names, n => string.Equals(n, name, StringComparison.Ordinal));
        return index >= 0 ? index : Array.FindIndex(_names, n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase)) is int i and >= 0 ? i : throw new IndexOutOfRangeException(name);
    }

    public override object GetValue(int ordinal) => (_row ?? throw new InvalidOperationException("No current row: call Read first."))[ordinal];

    public override int GetValues(object[] values)
    {
        object[] row = _row ?? throw new InvalidOperationException("No current row: call Read first.");
        int count = Math.Min(values.Length, row.Length);
        Array.Copy(row, values, count);
        return count;
    }

    public override bool IsDBNull(int ordinal) => GetValue(ordinal) is DBNull;

    public override bool GetBoolean(int ordinal) => Convert.ToBoolean(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override byte GetByte(int ordinal) => Convert.ToByte(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override char GetChar(int ordinal) => Convert.ToChar(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override DateTime GetDateTime(int ordinal) => GetValue(ordinal) is DateTimeOffset at ? at.DateTime : (DateTime)GetValue(ordinal);

    public override decimal GetDecimal(int ordinal) => Convert.ToDecimal(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override double GetDouble(int ordinal) => Convert.ToDouble(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override float GetFloat(int ordinal) => Convert.ToSingle(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override Guid GetGuid(int ordinal) => (Guid)GetValue(ordinal);

    public override short GetInt16(int ordinal) => Convert.ToInt16(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override int GetInt32(int ordinal) => Convert.ToInt32(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override long GetInt64(int ordinal) => Convert.ToInt64(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);

    public override string GetString(int ordinal) => Convert.ToString(GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => throw new NotSupportedException("ClickHouse values are read as text.");

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => throw new NotSupportedException("ClickHouse values are read as text.");

    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);

    public override void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _owner?.Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Close();
        }

        base.Dispose(disposing);
    }
}
