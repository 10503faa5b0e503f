using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using MongoDB.Bson;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>An open server cursor: what is left of a find or aggregate, read a batch at a time.</summary>
internal sealed class ServerCursor : IDisposable
{
    private readonly IEnumerator<BsonDocument> _rest;
    private BsonDocument? _next;

    public ServerCursor(long id, string ns, IEnumerator<BsonDocument> rest)
    {
        Id = id;
        Namespace = ns;
        _rest = rest;
    }

    public long Id { get; }
    public string Namespace { get; }
    public object Gate { get; } = new();

    /// <summary>Up to batchSize documents (0: as many as fit) within the byte budget; exhausted when none remain.</summary>
    public BsonArray NextBatch(int batchSize, out bool exhausted)
    {
        var batch = new BsonArray();
        long bytes = 0;
        while (batchSize <= 0 || batch.Count < batchSize)
        {
            BsonDocument? document = _next ?? (_rest.MoveNext() ? _rest.Current : null);
            _next = null;
            if (document is null) { exhausted = true; return batch; }
            // A reply must stay within maxBsonObjectSize (16 MiB) as on a server; the document that does not fit
            // starts the next batch.
            int size = document.ToBson().Length;
            if (batch.Count > 0 && bytes + size > CursorRegistry.BatchByteBudget) { _next = document; break; }
            batch.Add(document);
            bytes += size;
        }
        _next ??= _rest.MoveNext() ? _rest.Current : null;
        exhausted = _next is null;
        return batch;
    }

    public void Dispose() => _rest.Dispose();
}

/// <summary>Every open cursor by id, and what the tests read back through doubleStats.</summary>
internal sealed class CursorRegistry
{
    public const long BatchByteBudget = 16 * 1024 * 1024 - 16 * 1024;

    private readonly ConcurrentDictionary<long, ServerCursor> _open = new();
    private readonly ConcurrentQueue<long> _killed = new();
    private long _opened;
    private long _exhausted;

    public ServerCursor Open(string ns, IEnumerable<BsonDocument> documents)
    {
        long id;
        do { id = Random.Shared.NextInt64(1, long.MaxValue); } while (_open.ContainsKey(id));
        var cursor = new ServerCursor(id, ns, documents.GetEnumerator());
        _open[id] = cursor;
        Interlocked.Increment(ref _opened);
        return cursor;
    }

    public bool TryGet(long id, out ServerCursor cursor) => _open.TryGetValue(id, out cursor!);

    /// <summary>A cursor read to its end: closed by the server, not killed.</summary>
    public void Exhausted(ServerCursor cursor)
    {
        if (_open.TryRemove(cursor.Id, out _)) { Interlocked.Increment(ref _exhausted); cursor.Dispose(); }
    }

    public bool Kill(long id)
    {
        if (!_open.TryRemove(id, out var cursor)) return false;
        _killed.Enqueue(id);
        cursor.Dispose();
        return true;
    }

    public BsonDocument Stats() => new()
    {
        { "cursorsOpen", _open.Count },
        { "openCursorIds", new BsonArray(_open.Keys.Order().Select(id => new BsonInt64(id))) },
        { "cursorsOpened", Interlocked.Read(ref _opened) },
        { "cursorsExhausted", Interlocked.Read(ref _exhausted) },
        { "killedCursorIds", new BsonArray(_killed.Select(id => new BsonInt64(id))) },
    };
}
