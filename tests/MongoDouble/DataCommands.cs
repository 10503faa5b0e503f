using System;
using System.Collections.Generic;
using System.Linq;
using MongoDB.Bson;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>The read commands over the seeded data, and the cursors they leave open.</summary>
internal sealed class DataCommands
{
    private const int DefaultFirstBatch = 101; // a server's default first batch

    private readonly DoubleState _state;

    public DataCommands(DoubleState state) => _state = state;

    public BsonDocument Find(BsonDocument command, string db)
    {
        string collection = Collection(command, "find");
        var filter = QueryEngine.CompileFilter(OptionalDocument(command, "filter"));
        var projection = QueryEngine.CompileProjection(OptionalDocument(command, "projection"));
        IEnumerable<BsonDocument> documents = _state.Data.Read(db, collection).Where(filter);
        documents = QueryEngine.Sort(documents, OptionalDocument(command, "sort"));
        long skip = OptionalLong(command, "skip") ?? 0;
        if (skip < 0) throw CommandException.BadValue("skip value must be non-negative");
        if (skip > 0) documents = documents.Skip(checked((int)skip));
        long limit = OptionalLong(command, "limit") ?? 0;
        bool singleBatch = command.GetValue("singleBatch", false).ToBoolean() || limit < 0;
        if (limit != 0) documents = documents.Take(checked((int)Math.Abs(limit)));
        documents = documents.Select(projection);
        return OpenCursor($"{db}.{collection}", documents, FirstBatchSize(command), singleBatch);
    }

    public BsonDocument Aggregate(BsonDocument command, string db)
    {
        if (!command[0].IsString)
            throw new CommandException(73, "InvalidNamespace", "this double runs aggregate on a collection only, not {aggregate: 1}");
        string collection = Collection(command, "aggregate");
        if (!command.TryGetValue("pipeline", out var pipeline) || !pipeline.IsBsonArray)
            throw new CommandException(14, "TypeMismatch", "'pipeline' option must be specified as an array");
        if (!command.TryGetValue("cursor", out var cursor) || !cursor.IsBsonDocument)
            throw new CommandException(9, "FailedToParse", "The 'cursor' option is required, except for aggregate with the explain argument");
        var documents = Pipeline.Apply(_state.Data.Read(db, collection), pipeline.AsBsonArray);
        int batchSize = cursor.AsBsonDocument.TryGetValue("batchSize", out var b) ? b.ToInt32() : DefaultFirstBatch;
        return OpenCursor($"{db}.{collection}", documents, batchSize, singleBatch: false);
    }

    public BsonDocument GetMore(BsonDocument command, string db)
    {
        long id = command[0].ToInt64();
        string collection = command.GetValue("collection", "").AsString;
        if (!_state.Cursors.TryGet(id, out var cursor))
            throw new CommandException(43, "CursorNotFound", $"cursor id {id} not found");
        if (cursor.Namespace != $"{db}.{collection}")
            throw new CommandException(13, "Unauthorized", $"Requested getMore on namespace '{db}.{collection}', but cursor belongs to a different namespace {cursor.Namespace}");
        int batchSize = command.TryGetValue("batchSize", out var b) ? b.ToInt32() : 0;
        return CursorReply(cursor, batchSize, "nextBatch", singleBatch: false);
    }

    public BsonDocument KillCursors(BsonDocument command)
    {
        Collection(command, "killCursors");
        var killed = new BsonArray();
        var notFound = new BsonArray();
        foreach (var value in command.GetValue("cursors", new BsonArray()).AsBsonArray)
        {
            long id = value.ToInt64();
            (_state.Cursors.Kill(id) ? killed : notFound).Add(new BsonInt64(id));
        }
        return new BsonDocument
        {
            { "cursorsKilled", killed },
            { "cursorsNotFound", notFound },
            { "cursorsAlive", new BsonArray() },
            { "cursorsUnknown", new BsonArray() },
            { "ok", 1.0 },
        };
    }

    public BsonDocument Count(BsonDocument command, string db)
    {
        string collection = Collection(command, "count");
        var query = OptionalDocument(command, "query");
        long skip = OptionalLong(command, "skip") ?? 0;
        long limit = Math.Abs(OptionalLong(command, "limit") ?? 0);
        long n = query is null || query.ElementCount == 0
            ? _state.Data.Count(db, collection) // no need to read a million generated documents to count them
            : _state.Data.Read(db, collection).LongCount(QueryEngine.CompileFilter(query));
        n = Math.Max(0, n - skip);
        if (limit > 0) n = Math.Min(n, limit);
        return new BsonDocument { { "n", n <= int.MaxValue ? new BsonInt32((int)n) : new BsonInt64(n) }, { "ok", 1.0 } };
    }

    public BsonDocument Distinct(BsonDocument command, string db)
    {
        string collection = Collection(command, "distinct");
        string key = command.GetValue("key", BsonNull.Value) is BsonString s ? s.Value
            : throw new CommandException(14, "TypeMismatch", "BSON field 'distinct.key' is missing or not a string");
        var filter = QueryEngine.CompileFilter(OptionalDocument(command, "query"));
        var values = new List<BsonValue>();
        foreach (var document in _state.Data.Read(db, collection).Where(filter))
        {
            var value = QueryEngine.Lookup(document, key);
            if (value is null) continue;
            // An array field contributes its elements, as on a server.
            foreach (var item in value is BsonArray array ? array.AsEnumerable() : new[] { value })
            {
                if (!values.Any(v => BsonValues.Compare(v, item) == 0)) values.Add(item);
            }
        }
        values.Sort(BsonValues.Compare);
        return new BsonDocument { { "values", new BsonArray(values) }, { "ok", 1.0 } };
    }

    public BsonDocument ListCollections(BsonDocument command, string db)
    {
        var filter = QueryEngine.CompileFilter(OptionalDocument(command, "filter"));
        bool nameOnly = command.GetValue("nameOnly", false).ToBoolean();
        var names = db == SeedData.Database ? _state.Data.CollectionNames : Array.Empty<string>();
        var documents = names.Select(name => nameOnly
            ? new BsonDocument { { "name", name }, { "type", "collection" } }
            : new BsonDocument
            {
                { "name", name }, { "type", "collection" }, { "options", new BsonDocument() },
                { "info", new BsonDocument("readOnly", true) },
            }).Where(filter).ToList();
        return OpenCursor($"{db}.$cmd.listCollections", documents, FirstBatchSize(command), singleBatch: false);
    }

    public BsonDocument ListDatabases() => new()
    {
        { "databases", new BsonArray { new BsonDocument { { "name", SeedData.Database }, { "sizeOnDisk", 0L }, { "empty", false } } } },
        { "totalSize", 0L },
        { "ok", 1.0 },
    };

    private BsonDocument OpenCursor(string ns, IEnumerable<BsonDocument> documents, int firstBatchSize, bool singleBatch)
    {
        var cursor = _state.Cursors.Open(ns, documents);
        return CursorReply(cursor, firstBatchSize, "firstBatch", singleBatch);
    }

    private BsonDocument CursorReply(ServerCursor cursor, int batchSize, string batchName, bool singleBatch)
    {
        BsonArray batch;
        bool exhausted;
        lock (cursor.Gate)
        {
            // An explicit first batchSize of 0 opens the cursor without reading (a server does the same).
            if (batchSize == 0 && batchName == "firstBatch") { batch = new BsonArray(); exhausted = false; }
            else batch = cursor.NextBatch(batchSize, out exhausted);
        }
        if (exhausted || singleBatch) _state.Cursors.Exhausted(cursor);
        long id = exhausted || singleBatch ? 0 : cursor.Id;
        return new BsonDocument
        {
            { "cursor", new BsonDocument { { batchName, batch }, { "id", new BsonInt64(id) }, { "ns", cursor.Namespace } } },
            { "ok", 1.0 },
        };
    }

    private static string Collection(BsonDocument command, string name)
    {
        if (!command[0].IsString || command[0].AsString.Length == 0)
            throw new CommandException(73, "InvalidNamespace", $"collection name has invalid type {command[0].BsonType}");
        string collection = command[0].AsString;
        // The double's way to make a server-side failure on demand: any command on a collection named "fail".
        if (collection == "fail")
            throw CommandException.BadValue($"{name} on collection 'fail' fails on purpose (MongoDB wire-protocol test double)");
        return collection;
    }

    private static int FirstBatchSize(BsonDocument command) =>
        command.TryGetValue("batchSize", out var b) ? b.ToInt32()
        : command.GetValue("cursor", new BsonDocument()) is BsonDocument c && c.TryGetValue("batchSize", out var cb) ? cb.ToInt32()
        : DefaultFirstBatch;

    private static BsonDocument? OptionalDocument(BsonDocument command, string name) =>
        !command.TryGetValue(name, out var value) || value.IsBsonNull ? null
        : value as BsonDocument ?? throw new CommandException(14, "TypeMismatch", $"BSON field '{name}' is the wrong type '{value.BsonType}', expected type 'object'");

    private static long? OptionalLong(BsonDocument command, string name) =>
        command.TryGetValue(name, out var value) && !value.IsBsonNull ? value.ToInt64() : null;
}
