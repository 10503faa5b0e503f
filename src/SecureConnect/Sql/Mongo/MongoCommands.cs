using System;
using System.Collections.Generic;
using System.IO;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using SecureConnect.Common;

namespace SecureConnect.Sql.Mongo;

/// <summary>A -Collection query: the collection and what to find, as PowerShell values (converted by <see cref="MongoFilters"/>).</summary>
internal sealed record FindRequest(string Collection, object? Filter, object? Projection, object? Sort, int? Limit);

/// <summary>
/// The database commands Invoke-SecureQuery sends: a -Query's JSON (or Extended JSON) text read into a command
/// document, or a find command built from -Collection, -Filter, -Projection, -Sort and -Limit.
/// </summary>
internal static class MongoCommands
{
    /// <summary>The commands that take maxTimeMS and that -CommandTimeout (or the MaxTimeMS option) limits on the server.</summary>
    private static readonly HashSet<string> s_limited = new(StringComparer.Ordinal) { "find", "aggregate", "count", "distinct" };

    // Keys the driver adds itself; a command that carries them would be sent twice or to another database.
    private static readonly string[] s_driverKeys = { "$db", "lsid", "$clusterTime", "$readPreference", "txnNumber" };

    /// <summary>-Query for MongoDB: one JSON document whose first key names the command.</summary>
    public static BsonDocument Parse(string text)
    {
        BsonDocument command = ParseDocument(text, "Query", ErrorIds.InvalidQuery);
        if (command.ElementCount == 0)
        {
            throw Invalid("-Query is an empty document: its first key names the command, as in { \"find\": \"orders\", \"filter\": { \"status\": \"open\" } }.");
        }

        foreach (string key in s_driverKeys)
        {
            if (command.Contains(key))
            {
                throw Invalid($"-Query holds '{key}', which the driver sets itself (the database is the integration's -Database); remove it.");
            }
        }

        return command;
    }

    /// <summary>JSON or Extended JSON text as one document; <paramref name="parameter"/> names it in errors.</summary>
    public static BsonDocument ParseDocument(string text, string parameter, string errorId = ErrorIds.InvalidParameterValue)
    {
        string trimmed = text.Trim();
        if (!trimmed.StartsWith('{'))
        {
            throw new SecureConnectException(
                errorId,
                ErrorKind.InvalidArgument,
                $"-{parameter} for MongoDB is a JSON document such as {{ \"find\": \"orders\", \"filter\": {{ \"status\": \"open\" }} }} (a database command), not SQL or other text; or use -Collection with -Filter.",
                parameter);
        }

        try
        {
            using var reader = new JsonReader(trimmed);
            BsonDocument document = MongoDB.Bson.Serialization.BsonSerializer.Deserialize<BsonDocument>(reader);
            if (!reader.IsAtEndOfFile())
            {
                throw new FormatException("there is more text after the document's closing brace");
            }

            return document;
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException or ArgumentException or InvalidOperationException or OverflowException or BsonException)
        {
            throw new SecureConnectException(errorId, ErrorKind.InvalidArgument, $"-{parameter} is not valid JSON or MongoDB Extended JSON: {e.Message}", parameter, e);
        }
    }

    /// <summary>The find command of a -Collection query.</summary>
    public static BsonDocument Find(FindRequest request, int? maxTimeMS)
    {
        var command = new BsonDocument("find", request.Collection);
        if (request.Filter is not null)
        {
            command.Add("filter", MongoFilters.ToDocument(request.Filter, "Filter"));
        }

        if (request.Projection is not null)
        {
            command.Add("projection", MongoFilters.ToDocument(request.Projection, "Projection"));
        }

        if (request.Sort is not null)
        {
            command.Add("sort", MongoFilters.ToSort(request.Sort));
        }

        if (request.Limit is int limit and > 0)
        {
            command.Add("limit", limit);
        }

        if (maxTimeMS is int ms)
        {
            command.Add("maxTimeMS", ms);
        }

        return command;
    }

    /// <summary>Adds maxTimeMS to a command that takes it and has none.</summary>
    public static void LimitTime(BsonDocument command, int? maxTimeMS)
    {
        if (maxTimeMS is int ms && s_limited.Contains(command.GetElement(0).Name) && !command.Contains("maxTimeMS"))
        {
            command.Add("maxTimeMS", ms);
        }
    }

    private static SecureConnectException Invalid(string message) => new(ErrorIds.InvalidQuery, ErrorKind.InvalidArgument, message, "Query");
}
