using System;
using System.Collections;
using System.Data;
using System.Data.Common;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Common;
using SecureConnect.Integrations;

namespace SecureConnect.Sql;

/// <summary>How a result is handed out.</summary>
internal enum ResultShape
{
    /// <summary>One row at a time, as the reader yields it.</summary>
    Rows,

    /// <summary>One DataTable per result set.</summary>
    DataTable,

    /// <summary>The rows of one DataTable per result set.</summary>
    DataRow,

    /// <summary>The first column of the first row.</summary>
    Scalar,

    /// <summary>The number of rows affected.</summary>
    NonQuery,
}

/// <summary>Where a result goes, as it arrives (the cmdlet writes it to the pipeline; a test collects it).</summary>
internal interface IQueryOutput
{
    /// <summary>One row: unique column names and values, NULL as null.</summary>
    void Row(string[] names, object?[] values);

    void Table(DataTable table, bool asRows);

    void Value(object? value);
}

/// <summary>
/// Runs one query on an opened connection and streams the result to an <see cref="IQueryOutput"/>. A result stopped
/// early (Select-Object -First, Ctrl+C) is cancelled on the server. A connection that breaks while the result is on its
/// way is QueryInterrupted, with how many rows were delivered; a statement the server refuses is the engine's
/// QueryFailed.
/// </summary>
internal sealed class QueryRunner
{
    private readonly OpenedConnection _opened;
    private readonly ConnectionPlan _spec;
    private readonly CancellationToken _cancel;
    private readonly ResultStream _results = new();

    public QueryRunner(OpenedConnection opened, ConnectionPlan spec, CancellationToken cancel)
    {
        _opened = opened;
        _spec = spec;
        _cancel = cancel;
    }

    /// <summary>Rows handed to the output so far.</summary>
    public long RowsDelivered => _results.RowsDelivered;

    public void Run(string query, IDictionary? parameters, ResultShape shape, int? commandTimeout, IQueryOutput output)
    {
        using DbCommand command = _opened.Connection.CreateCommand();
        command.CommandText = query;
        if (commandTimeout is int timeout)
        {
            command.CommandTimeout = timeout;
        }

        if (parameters is not null)
        {
            foreach (DictionaryEntry entry in parameters)
            {
                DbParameter parameter = command.CreateParameter();
                parameter.ParameterName = "@" + IntegrationStore.FormatOption(entry.Key).TrimStart('@');
                parameter.Value = QueryParameters.ToEngineValue(_spec.Type, parameter.ParameterName, entry.Value);
                command.Parameters.Add(parameter);
            }
        }

        // Ctrl+C cancels the query on the server, not only the wait for it.
        using CancellationTokenRegistration cancelOnStop = _cancel.Register(() => TryCancel(command));
        _results.Reset();
        try
        {
            switch (shape)
            {
                case ResultShape.Scalar:
                    // Read as a row is, not with ExecuteScalar: the same type as in a row (a PostgreSQL interval of
                    // months, which a TimeSpan cannot hold, is read as an interval).
                    object? scalar = null;
                    ReadWith(command, $"Running the query on '{_spec.Name}'", reader =>
                    {
                        scalar = _results.Scalar(reader, _opened.Provider.Values);
                        return !MoreRows(reader);
                    });
                    output.Value(scalar);
                    return;
                case ResultShape.NonQuery:
                    output.Value(ProgressReporter.Wait(command.ExecuteNonQueryAsync(_cancel), $"Running the query on '{_spec.Name}'"));
                    return;
                default:
                    ReadResults(command, shape, output);
                    return;
            }
        }
        catch (Exception e) when (commandTimeout is int seconds && seconds > 0 && !_cancel.IsCancellationRequested && DriverErrors.IsCommandTimeout(e))
        {
            throw DriverErrors.CommandTimeout(_spec.Name, seconds, RowsDelivered, e);
        }
        catch (UnreadableValueException e)
        {
            long rows = RowsDelivered;
            throw new SecureConnectException(
                ErrorIds.QueryFailed,
                ErrorKind.InvalidData,
                $"The query on '{_spec.Name}' failed after {rows} {(rows == 1 ? "row" : "rows")}: the driver cannot turn the value of column '{e.Column}' into a .NET value ({e.Message}). The connection is fine: convert the column in the query, e.g. {e.Column}::text on PostgreSQL or CAST({e.Column} AS CHAR) on MySQL and MariaDB.",
                _spec.Name,
                e);
        }
        catch (Exception e) when (IsInterruption(e))
        {
            throw Interrupted(e, shape);
        }
        catch (DbException e)
        {
            ClassifiedError error = _opened.Provider.ClassifyQueryError(e);
            throw new SecureConnectException(error.ErrorId, error.Kind, $"The query on '{_spec.Name}' failed: {error.Message}", _spec.Name, e);
        }
    }

    private bool IsInterruption(Exception e) =>
        e is not (OperationCanceledException or SecureConnectException or System.Management.Automation.PipelineStoppedException)
        && !_opened.Provider.IsServerError(e)
        && !_cancel.IsCancellationRequested;

    private SecureConnectException Interrupted(Exception e, ResultShape shape) => ResultStream.Interrupted(_spec.Name, RowsDelivered, e, shape);

    private void ReadResults(DbCommand command, ResultShape shape, IQueryOutput output) =>
        ReadWith(command, $"Running the query on '{_spec.Name}', waiting for its first row", reader =>
        {
            _results.Deliver(reader, shape, output, _opened.Provider.Values);
            return true;
        });

    /// <summary>True when the result has a row after the one read (a scalar of a large result: cancel the rest).</summary>
    private static bool MoreRows(DbDataReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (DbException)
        {
            return true;
        }
    }

    /// <summary>Runs the command, hands its reader to <paramref name="read"/> (which says whether it read the whole result) and disposes it.</summary>
    private void ReadWith(DbCommand command, string activity, Func<DbDataReader, bool> read)
    {
        DbDataReader reader = ProgressReporter.Wait(command.ExecuteReaderAsync(_cancel), activity);
        bool finished = false;
        try
        {
            finished = read(reader);
        }
        finally
        {
            // Stopped early (Select-Object -First, Ctrl+C, an error): cancel on the server so that disposing the
            // reader does not read the whole rest of the result. The cancel request runs beside the dispose, so a
            // connection whose unread data holds up its tunnel channel is read while the cancel goes out.
            Task? cancel = finished ? null : Task.Run(() => TryCancel(command));
            try
            {
                reader.Dispose();
            }
            catch (DbException) when (!finished)
            {
                // The cancellation's own "query canceled" error; any other failure is already on its way out.
            }

            cancel?.Wait(TimeSpan.FromSeconds(5));
        }
    }

    private static void TryCancel(DbCommand command)
    {
        try
        {
            command.Cancel();
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or ObjectDisposedException)
        {
        }
    }
}
