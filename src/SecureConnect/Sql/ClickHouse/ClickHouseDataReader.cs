using System;
using System.Collections.Generic;
using System.Data.Common;
using System.IO;

namespace SecureConnect.Sql.ClickHouse;

/// <summary>
/// A ClickHouse result (TabSeparatedWithNamesAndTypes, streamed) as a forward-only <see cref="DbDataReader"/>, so that
/// <see cref="ResultStream"/> hands it out in every shape. Each <see cref="Read"/> reads one row from the body as it
/// arrives. Disposing it before the end disposes the response, which aborts the connection instead of reading the rest.
/// </summary>
internal sealed class ClickHouseDataReader : ValueReader
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
        try
        {
            _readers = Array.ConvertAll(_types, t => ClickHouseTypes.For(t, serverZone));
        }
        catch (FormatException e)
        {
            throw new ClickHouseFormatException($"the header's types could not be read: {e.Message}");
        }
    }

    /// <summary>True once the body ended cleanly after the last row (the result is complete).</summary>
    public bool Finished => _finished;

    /// <summary>Rows read so far.</summary>
    public long RowsRead => _body.Rows;

    public override int FieldCount => _names.Length;

    public override string GetName(int ordinal) => _names[ordinal];

    public override bool IsClosed => _closed;

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

    public override string GetDataTypeName(int ordinal) => _types[ordinal];

    public override Type GetFieldType(int ordinal) => _readers[ordinal].ClrType;

    public override object GetValue(int ordinal) => (_row ?? throw new InvalidOperationException("No current row: call Read first."))[ordinal];

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
