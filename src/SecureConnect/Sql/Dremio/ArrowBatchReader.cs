using System;
using System.Data.Common;
using System.Threading;
using Apache.Arrow;

namespace SecureConnect.Sql.Dremio;

/// <summary>Record batches as they arrive: the next one is asked for only when the rows of the last are read.</summary>
internal interface IRecordBatchSource : IDisposable
{
    /// <summary>Waits for the next batch; false at the end of the result.</summary>
    bool MoveNext(CancellationToken cancel);

    RecordBatch Current { get; }
}

/// <summary>
/// An Arrow result as a forward-only <see cref="DbDataReader"/>, so that <see cref="ResultStream"/> hands it out in every
/// shape. Rows are read out of each record batch as typed objects (<see cref="ArrowValues"/>) while the stream goes on:
/// a batch is handed out before the next exists. Each batch is released when its rows are read. Disposing the reader
/// before the end disposes the source, which cancels the stream on the server.
/// </summary>
internal sealed class ArrowBatchReader : ValueReader
{
    private readonly Schema _schema;
    private readonly IRecordBatchSource _source;
    private readonly CancellationToken _cancel;
    private readonly string[] _names;
    private RecordBatch? _batch;
    private int _row = -1;
    private bool _closed;
    private bool _finished;

    public ArrowBatchReader(Schema schema, IRecordBatchSource source, CancellationToken cancel)
    {
        _schema = schema;
        _source = source;
        _cancel = cancel;
        _names = new string[schema.FieldsList.Count];
        for (int i = 0; i < _names.Length; i++)
        {
            _names[i] = schema.FieldsList[i].Name;
        }
    }

    /// <summary>True once the stream ended after its last batch (the result is complete).</summary>
    public bool Finished => _finished;

    /// <summary>Batches received so far.</summary>
    public long Batches { get; private set; }

    public override int FieldCount => _names.Length;

    public override string GetName(int ordinal) => _names[ordinal];

    public override bool IsClosed => _closed;

    public override bool Read()
    {
        if (_closed || _finished)
        {
            return false;
        }

        while (_batch is null || _row + 1 >= _batch.Length)
        {
            _batch?.Dispose();
            _batch = null;
            if (!_source.MoveNext(_cancel))
            {
                _finished = true;
                return false;
            }

            _batch = _source.Current;
            _row = -1;
            Batches++;
            if (_batch.ColumnCount != _names.Length)
            {
                throw new System.IO.InvalidDataException($"a record batch has {_batch.ColumnCount} columns where the schema has {_names.Length}");
            }
        }

        _row++;
        return true;
    }

    public override string GetDataTypeName(int ordinal) => _schema.FieldsList[ordinal].DataType.Name;

    public override Type GetFieldType(int ordinal) => ArrowValues.ClrType(_schema.FieldsList[ordinal].DataType);

    public override object GetValue(int ordinal)
    {
        RecordBatch batch = _batch is not null && _row >= 0 ? _batch : throw new InvalidOperationException("No current row: call Read first.");
        return ArrowValues.ToDotNet(batch.Column(ordinal), _row) ?? DBNull.Value;
    }

    public override void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _batch?.Dispose();
        _batch = null;
        _source.Dispose();
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
