using System;
using System.Collections;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Threading;

namespace SecureConnect.Sql.Trino;

/// <summary>
/// A Trino result as a forward-only <see cref="DbDataReader"/>, so that <see cref="ResultStream"/> hands it out in every
/// shape: <see cref="Read"/> takes the rows of the page at hand, and asks the next page when they are used up. Opening
/// it follows the pages until the columns are known (or the statement ends without any: FieldCount 0).
/// </summary>
internal sealed class TrinoDataReader : DbDataReader
{
    private readonly TrinoQuery _query;
    private readonly CancellationToken _cancel;
    private readonly Queue<object[]> _rows = new();
    private object[]? _row;
    private bool _closed;

    public TrinoDataReader(TrinoQuery query, List<object[]> firstRows, CancellationToken cancel)
    {
        _query = query;
        _cancel = cancel;
        Enqueue(firstRows);
        while (_query.Columns is null && _query.Open)
        {
            Enqueue(_query.NextPage(_cancel));
        }
    }

    public override int FieldCount => _query.Columns?.Count ?? 0;

    public override object this[int ordinal] => GetValue(ordinal);

    public override object this[string name] => GetValue(GetOrdinal(name));

    public override int RecordsAffected => _query.UpdateCount is long count ? (int)Math.Min(count, int.MaxValue) : -1;

    public override bool HasRows => true;

    public override bool IsClosed => _closed;

    public override int Depth => 0;

    public override bool Read()
    {
        if (_closed)
        {
            return false;
        }

        while (_rows.Count == 0 && _query.Open)
        {
            Enqueue(_query.NextPage(_cancel));
        }

        if (_rows.Count == 0)
        {
            _query.ThrowIfIncomplete();
        }

        _row = _rows.Count > 0 ? _rows.Dequeue() : null;
        return _row is not null;
    }

    public override bool NextResult() => false;

    public override string GetName(int ordinal) => Columns[ordinal].Name;

    public override string GetDataTypeName(int ordinal) => Columns[ordinal].TypeText;

    public override Type GetFieldType(int ordinal) => TrinoTypes.ClrType(Columns[ordinal].Type);

    public override int GetOrdinal(string name)
    {
        for (int i = 0; i < FieldCount; i++)
        {
            if (string.Equals(Columns[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        throw new IndexOutOfRangeException(name);
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

    public override bool GetBoolean(int ordinal) => Convert.ToBoolean(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override byte GetByte(int ordinal) => Convert.ToByte(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override char GetChar(int ordinal) => Convert.ToChar(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override DateTime GetDateTime(int ordinal) => GetValue(ordinal) is DateTimeOffset at ? at.DateTime : (DateTime)GetValue(ordinal);

    public override decimal GetDecimal(int ordinal) => Convert.ToDecimal(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override double GetDouble(int ordinal) => Convert.ToDouble(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override float GetFloat(int ordinal) => Convert.ToSingle(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override Guid GetGuid(int ordinal) => (Guid)GetValue(ordinal);

    public override short GetInt16(int ordinal) => Convert.ToInt16(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override int GetInt32(int ordinal) => Convert.ToInt32(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override long GetInt64(int ordinal) => Convert.ToInt64(GetValue(ordinal), CultureInfo.InvariantCulture);

    public override string GetString(int ordinal) => Convert.ToString(GetValue(ordinal), CultureInfo.InvariantCulture) ?? string.Empty;

    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => throw new NotSupportedException("Trino values are read whole.");

    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => throw new NotSupportedException("Trino values are read whole.");

    public override IEnumerator GetEnumerator() => new DbEnumerator(this, closeReader: false);

    public override void Close() => _closed = true;

    private IReadOnlyList<TrinoColumn> Columns => _query.Columns ?? throw new InvalidOperationException("The statement has no result columns.");

    private void Enqueue(List<object[]> rows)
    {
        foreach (object[] row in rows)
        {
            _rows.Enqueue(row);
        }
    }
}
