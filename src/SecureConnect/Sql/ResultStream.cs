using System;
using System.Data;
using System.Data.Common;
using System.Linq;
using System.Threading;
using SecureConnect.Common;

namespace SecureConnect.Sql;

/// <summary>
/// Hands the result sets of a reader to an <see cref="IQueryOutput"/> in the shape asked for, counting the rows
/// delivered (for QueryInterrupted). Any engine that can present its result as a <see cref="DbDataReader"/> (an
/// ADO.NET driver's, or one over an HTTP body or a wire protocol) shares it.
/// </summary>
internal sealed class ResultStream
{
    private long _rowsDelivered;

    /// <summary>Rows handed to the output so far.</summary>
    public long RowsDelivered => Interlocked.Read(ref _rowsDelivered);

    public void Reset() => Interlocked.Exchange(ref _rowsDelivered, 0);

    /// <summary>Reads every result set of <paramref name="reader"/> into <paramref name="output"/>; the caller disposes the reader.</summary>
    public void Deliver(DbDataReader reader, ResultShape shape, IQueryOutput output, SqlValueMapping? mapping = null)
    {
        SqlValueMapping map = mapping ?? SqlValueMapping.Common;
        do
        {
            if (reader.FieldCount == 0)
            {
                continue;
            }

            if (shape is ResultShape.DataTable or ResultShape.DataRow)
            {
                // Built from the result itself: DataTable.Load would take NOT NULL and keys from the base tables
                // and then drop or refuse rows that repeat a key or hold NULL (joins, ROLLUP).
                DataTable table = ResultTable.Load(reader, map, ref _rowsDelivered);
                output.Table(table, asRows: shape == ResultShape.DataRow);
                continue;
            }

            // The names array is shared by every row of the result (the pipeline builds one property set from it).
            string[] names = ColumnNames.Unique(Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
            int count = reader.FieldCount;
            Func<DbDataReader, int, object>?[]? readers = map.ColumnReaders(reader);
            while (reader.Read())
            {
                var values = new object?[count];
                ReadRow(reader, readers, values!, names);
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = values[i] is DBNull ? null : map.Value(values[i]!);
                }

                // Streams as the reader yields: a stopped pipeline throws here, and the caller cancels.
                output.Row(names, values);
                Interlocked.Increment(ref _rowsDelivered);
            }
        }
        while (!reader.IsClosed && reader.NextResult());
    }

    /// <summary>
    /// The first value of the first result that has columns (null when it has no row), as ExecuteScalar gives it but
    /// read like a row, so that it has the same type. The reader is left on that result.
    /// </summary>
    public object? Scalar(DbDataReader reader, SqlValueMapping? mapping = null)
    {
        SqlValueMapping map = mapping ?? SqlValueMapping.Common;
        while (reader.FieldCount == 0)
        {
            if (!reader.NextResult())
            {
                return null;
            }
        }

        if (!reader.Read())
        {
            return null;
        }

        string[] names = ColumnNames.Unique(Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
        var values = new object[reader.FieldCount];
        ReadRow(reader, map.ColumnReaders(reader), values, names);
        Interlocked.Increment(ref _rowsDelivered);
        return values[0] is DBNull ? null : map.Value(values[0]);
    }

    /// <summary>One row's values; a value the driver has no .NET form for is an <see cref="UnreadableValueException"/> naming its column.</summary>
    internal static void ReadRow(DbDataReader reader, Func<DbDataReader, int, object>?[]? readers, object[] values, string[] names)
    {
        try
        {
            SqlValueMapping.ReadRow(reader, readers, values);
        }
        catch (Exception e) when (e is InvalidCastException or OverflowException or ArgumentOutOfRangeException)
        {
            // The connection is fine, the query is not. Which column, for the message.
            throw new UnreadableValueException(UnreadableColumn(reader, readers, names), e);
        }
    }

    private static string UnreadableColumn(DbDataReader reader, Func<DbDataReader, int, object>?[]? readers, string[] names)
    {
        for (int i = 0; i < names.Length; i++)
        {
            try
            {
                _ = readers?[i] is { } read ? read(reader, i) : reader.GetValue(i);
            }
            catch (Exception e) when (e is InvalidCastException or OverflowException or ArgumentOutOfRangeException)
            {
                return names[i];
            }
        }

        return "?";
    }

    /// <summary>What QueryInterrupted tells the caller to do with the rows it got (Export-SecureQuery, which keeps none, says so instead).</summary>
    internal const string DiscardAdvice = " The result is incomplete: discard what was written from it.";

    /// <summary>The error of a connection that broke while a result was on its way.</summary>
    public static SecureConnectException Interrupted(string name, long delivered, Exception e, ResultShape shape)
    {
        string rows = delivered == 1 ? "1 row" : $"{delivered} rows";
        string advice = shape is ResultShape.NonQuery ? " The statement may or may not have taken effect on the server: check before running it again." : DiscardAdvice;
        return new SecureConnectException(
            ErrorIds.QueryInterrupted,
            ErrorKind.ConnectionError,
            $"The connection to '{name}' broke after {rows} of the result had been delivered ({DriverErrors.Innermost(e)}).{advice} Run the query again once the connection is back.",
            name,
            e);
    }
}

/// <summary>A value of a result the driver cannot turn into a .NET value; the connection itself is fine.</summary>
internal sealed class UnreadableValueException : Exception
{
    public UnreadableValueException(string column, Exception inner)
        : base(inner.Message, inner)
    {
        Column = column;
    }

    /// <summary>The column whose value could not be read.</summary>
    public string Column { get; }
}
