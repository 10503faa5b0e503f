using System;
using System.Collections.Generic;
using System.Data;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using MongoDB.Bson;
using MongoDB.Driver;
using SecureConnect.Common;

namespace SecureConnect.Sql.Mongo;

/// <summary>
/// Runs one command and hands its result out: a reply with a cursor (cursor.firstBatch, as find, aggregate and
/// listCollections give) is followed with getMore to its end, one document per row; any other reply is one row. A
/// result stopped early (Select-Object -First, Ctrl+C, -As Scalar, an error) kills its cursor on the server with
/// killCursors. A connection lost on the way is QueryInterrupted, with the documents delivered.
/// </summary>
internal sealed class MongoCursorReader
{
    /// <summary>How much longer than -CommandTimeout the client waits for the server's own maxTimeMS.</summary>
    private static readonly TimeSpan s_timeoutGrace = TimeSpan.FromSeconds(10);

    /// <summary>How long killCursors may take after a stop.</summary>
    private static readonly TimeSpan s_killWait = TimeSpan.FromSeconds(5);

    private readonly MongoSession _session;
    private readonly string _database;
    private readonly int? _timeoutSeconds;
    private long _delivered;
    private long _cursorId;
    private string _cursorDatabase = string.Empty;
    private string _cursorCollection = string.Empty;
    private int? _batchSize;

    public MongoCursorReader(MongoSession session, string database, int? timeoutSeconds)
    {
        _session = session;
        _database = database;
        _timeoutSeconds = timeoutSeconds is int t and > 0 ? t : null;
    }

    /// <summary>Documents handed to the output so far.</summary>
    public long Delivered => _delivered;

    private string Name => _session.QueryName;

    public void Run(BsonDocument command, ResultShape shape, IQueryOutput output, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        if (_timeoutSeconds is int seconds)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(seconds) + s_timeoutGrace);
        }

        bool connectionLost = false;
        try
        {
            _batchSize = BatchSize(command);
            BsonDocument reply = _session.Run(_database, command, timeout.Token);
            if (MongoErrors.WriteFailed(Name, reply) is { } failed)
            {
                throw failed;
            }

            if (!TryCursor(reply, out BsonArray? firstBatch) || firstBatch is null)
            {
                reply.Remove("$clusterTime");
                reply.Remove("operationTime");
                Deliver(new[] { reply }, shape, output, reply);
                return;
            }

            Deliver(Documents(firstBatch, timeout.Token), shape, output, null);
        }
        catch (MongoAuthenticationException e)
        {
            throw new SecureConnectException(ErrorIds.DatabaseAuthenticationFailed, ErrorKind.AuthenticationError, $"The server of '{Name}' refused the login while the query ran: {DriverErrors.Innermost(e)}", Name, e);
        }
        catch (MongoServerException e)
        {
            throw MongoErrors.QueryFailed(Name, e, _delivered);
        }
        catch (Exception e) when (IsInterruption(e) && !cancel.IsCancellationRequested)
        {
            if (timeout.IsCancellationRequested)
            {
                throw new SecureConnectException(ErrorIds.QueryFailed, ErrorKind.OperationTimeout, $"The query on '{Name}' did not finish within -CommandTimeout {_timeoutSeconds} s (the server's maxTimeMS did not end it either).", Name, e);
            }

            connectionLost = true;
            throw ResultStream.Interrupted(Name, _delivered, e, shape);
        }
        finally
        {
            // Stopped early: the server would keep the cursor (and its snapshot) open for 10 minutes. Not after a lost
            // connection, whose cursor the server closes with it.
            if (_cursorId != 0 && !connectionLost)
            {
                Kill();
            }
        }
    }

    /// <summary>The batch size a command asked for (find's batchSize, aggregate's cursor.batchSize), when positive.</summary>
    internal static int? BatchSize(BsonDocument command)
    {
        BsonValue? size = command.TryGetValue("batchSize", out BsonValue direct) ? direct
            : command.TryGetValue("cursor", out BsonValue cursor) && cursor is BsonDocument options && options.TryGetValue("batchSize", out BsonValue nested) ? nested
            : null;
        return size is not null && size.IsNumeric && size.ToInt32() > 0 ? size.ToInt32() : null;
    }

    /// <summary>The documents of a cursor, fetched with getMore as they are read.</summary>
    private IEnumerable<BsonDocument> Documents(BsonArray batch, CancellationToken cancel)
    {
        while (true)
        {
            foreach (BsonValue item in batch)
            {
                if (item is BsonDocument document)
                {
                    yield return document;
                }
            }

            if (_cursorId == 0)
            {
                yield break;
            }

            var getMore = new BsonDocument { { "getMore", new BsonInt64(_cursorId) }, { "collection", _cursorCollection } };
            if (_batchSize is int size)
            {
                // As the drivers do: the command's batch size holds for every batch, not only the first.
                getMore["batchSize"] = size;
            }

            BsonDocument reply = _session.Run(_cursorDatabase, getMore, cancel);
            BsonDocument cursor = reply["cursor"].AsBsonDocument;
            _cursorId = cursor["id"].ToInt64();
            batch = cursor.TryGetValue("nextBatch", out BsonValue next) && next is BsonArray nextBatch ? nextBatch : new BsonArray();
        }
    }

    private void Deliver(IEnumerable<BsonDocument> documents, ResultShape shape, IQueryOutput output, BsonDocument? reply)
    {
        switch (shape)
        {
            case ResultShape.Scalar:
                using (IEnumerator<BsonDocument> first = documents.GetEnumerator())
                {
                    output.Value(first.MoveNext() && first.Current.ElementCount > 0 ? MongoValues.ToDotNet(first.Current.GetElement(0).Value) : null);
                }

                return;
            case ResultShape.NonQuery:
                // Writes (insert, update, delete) and count reply n: the documents affected or counted.
                output.Value(reply is not null && reply.TryGetValue("n", out BsonValue n) && n.IsNumeric ? n.ToInt64() : -1L);
                return;
            case ResultShape.DataTable or ResultShape.DataRow:
                DataTable table = MongoTables.Load(documents, ref _delivered);
                output.Table(table, asRows: shape == ResultShape.DataRow);
                return;
            default:
                foreach (BsonDocument document in documents)
                {
                    (string[] names, object?[] values) = MongoValues.ToRow(document);

                    // A stopped pipeline throws here; the cursor is then killed.
                    output.Row(names, values);
                    Interlocked.Increment(ref _delivered);
                }

                return;
        }
    }

    private bool TryCursor(BsonDocument reply, out BsonArray? firstBatch)
    {
        firstBatch = null;
        if (!reply.TryGetValue("cursor", out BsonValue value) || value is not BsonDocument cursor
            || !cursor.TryGetValue("firstBatch", out BsonValue batch) || batch is not BsonArray array)
        {
            return false;
        }

        firstBatch = array;
        _cursorId = cursor.TryGetValue("id", out BsonValue id) && id.IsNumeric ? id.ToInt64() : 0;
        string ns = cursor.TryGetValue("ns", out BsonValue n) && n.IsString ? n.AsString : string.Empty;
        int dot = ns.IndexOf('.', StringComparison.Ordinal);
        _cursorDatabase = dot > 0 ? ns[..dot] : _database;
        _cursorCollection = dot > 0 ? ns[(dot + 1)..] : ns;
        return true;
    }

    private void Kill()
    {
        var command = new BsonDocument { { "killCursors", _cursorCollection }, { "cursors", new BsonArray { new BsonInt64(_cursorId) } } };
        try
        {
            using var wait = new CancellationTokenSource(s_killWait);
            _session.Run(_cursorDatabase, command, wait.Token);
            _cursorId = 0;
        }
        catch (Exception e) when (e is MongoException or OperationCanceledException or TimeoutException or IOException or ObjectDisposedException)
        {
            // Best effort: the server ends an abandoned cursor after its idle timeout (10 minutes) anyway.
        }
    }

    private static bool IsInterruption(Exception e) =>
        e is MongoConnectionException or IOException or SocketException or TimeoutException or OperationCanceledException or ObjectDisposedException;
}

/// <summary>Documents as one DataTable: the union of their top-level fields in the order first seen, missing ones DBNull.</summary>
internal static class MongoTables
{
    public static DataTable Load(IEnumerable<BsonDocument> documents, ref long rows)
    {
        var rowsRead = new List<(string[] Names, object?[] Values)>();
        var columns = new List<string>();
        var types = new Dictionary<string, Type?>(StringComparer.OrdinalIgnoreCase);
        foreach (BsonDocument document in documents)
        {
            (string[] names, object?[] values) = MongoValues.ToRow(document);
            rowsRead.Add((names, values));
            rows++;
            for (int i = 0; i < names.Length; i++)
            {
                if (!types.TryGetValue(names[i], out Type? known))
                {
                    columns.Add(names[i]);
                    types[names[i]] = values[i]?.GetType();
                }
                else if (values[i] is { } value && known != value.GetType())
                {
                    types[names[i]] = known is null ? value.GetType() : typeof(object);
                }
            }
        }

        var table = new DataTable();
        foreach (string column in columns)
        {
            Type type = types[column] ?? typeof(object);
            table.Columns.Add(column, type == typeof(System.Management.Automation.PSObject) ? typeof(object) : type);
        }

        table.BeginLoadData();
        foreach ((string[] names, object?[] values) in rowsRead)
        {
            DataRow row = table.NewRow();
            for (int i = 0; i < names.Length; i++)
            {
                row[names[i]] = values[i] ?? DBNull.Value;
            }

            table.Rows.Add(row);
        }

        table.EndLoadData();
        return table;
    }
}
