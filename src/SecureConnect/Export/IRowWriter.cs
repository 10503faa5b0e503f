using System;

namespace SecureConnect.Export;

/// <summary>Formats rows straight from their values into a file's stream (no object per row).</summary>
internal interface IRowWriter : IDisposable
{
    /// <summary>Rows written so far.</summary>
    long Rows { get; }

    /// <summary>Writes one row: unique column names and values, NULL as null.</summary>
    void Row(string[] names, object?[] values);

    /// <summary>Writes what is still buffered to the stream (the caller flushes and closes the stream).</summary>
    void Finish();
}
