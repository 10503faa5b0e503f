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
                    object? scalar = ProgressReporter.Wait(command.ExecuteScalarAsync(_cancel), $"Running the query on '{_spec.Name}'");
                    output.Value(scalar is DBNull ? null : SqlValues.Normalize(scalar));
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

    private void ReadResults(DbCommand command, ResultShape shape, IQueryOutput output)
    {
        DbDataReader reader = ProgressReporter.Wait(command.ExecuteReaderAsync(_cancel), $"Running the query on '{_spec.Name}', waiting for its first row");
        bool finished = false;
        try
        {
            _results.Deliver(reader, shape, output);
            finished = true;
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
