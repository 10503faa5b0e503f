using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;

namespace SecureConnect.Sql.Trino;

/// <summary>
/// A Trino result as a forward-only <see cref="DbDataReader"/>, so that <see cref="ResultStream"/> hands it out in every
/// shape: <see cref="Read"/> takes the rows of the page at hand, and asks the next page when they are used up. Opening
/// it follows the pages until the columns are known (or the statement ends without any: FieldCount 0).
/// </summary>
internal sealed class TrinoDataReader : ValueReader
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

    public override int RecordsAffected => _query.UpdateCount is long count ? (int)Math.Min(count, int.MaxValue) : -1;

    public override int FieldCount => _query.Columns?.Count ?? 0;

    public override string GetName(int ordinal) => Columns[ordinal].Name;

    public override bool IsClosed => _closed;

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

    public override string GetDataTypeName(int ordinal) => Columns[ordinal].TypeText;

    public override Type GetFieldType(int ordinal) => TrinoTypes.ClrType(Columns[ordinal].Type);

    public override object GetValue(int ordinal) => (_row ?? throw new InvalidOperationException("No current row: call Read first."))[ordinal];

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
