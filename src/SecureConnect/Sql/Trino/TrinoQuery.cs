using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;

namespace SecureConnect.Sql.Trino;

/// <summary>The error of a failed query, as the coordinator reports it in QueryResults.error.</summary>
internal sealed class TrinoQueryException : Exception
{
    public TrinoQueryException(string errorName, int errorCode, string errorType, string serverMessage)
        : base(serverMessage)
    {
        ErrorName = errorName;
        ErrorCode = errorCode;
        ErrorType = errorType;
        ServerMessage = serverMessage;
    }

    public string ErrorName { get; }

    public int ErrorCode { get; }

    public string ErrorType { get; }

    public string ServerMessage { get; }
}

/// <summary>The coordinator ended the result without FINISHED (a last page still RUNNING, a query CANCELED, 410 Gone).</summary>
internal sealed class TrinoIncompleteException : Exception
{
    public TrinoIncompleteException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>One column of a result: its name, its type as Trino names it, and the type parsed.</summary>
internal sealed record TrinoColumn(string Name, string TypeText, TrinoType Type);

/// <summary>
/// One statement through Trino's client protocol: POST /v1/statement, then GET each nextUri until there is none. Each
/// page is parsed whole (a page is bounded by the coordinator) and its rows converted by the columns' types. The last
/// page must say FINISHED: a failed query is a <see cref="TrinoQueryException"/>, one that ends in any other state (or
/// whose nextUri is Gone) a <see cref="TrinoIncompleteException"/> (for a last page not FINISHED: once its rows are used). <see cref="Cancel"/> DELETEs the current nextUri.
/// </summary>
internal sealed class TrinoQuery
{
    private readonly TrinoTransport _transport;
    private Uri? _next;
    private TrinoIncompleteException? _incomplete;

    public TrinoQuery(TrinoTransport transport)
    {
        _transport = transport;
    }

    /// <summary>The query id the coordinator gave.</summary>
    public string? Id { get; private set; }

    /// <summary>The columns, once a page gave them (null before, and for a statement without a result).</summary>
    public IReadOnlyList<TrinoColumn>? Columns { get; private set; }

    /// <summary>The state of the last page (QUEUED, RUNNING, FINISHED, ...).</summary>
    public string State { get; private set; } = "QUEUED";

    /// <summary>Rows changed by an INSERT, DELETE, ... (updateCount), when the server says.</summary>
    public long? UpdateCount { get; private set; }

    /// <summary>True once the last page came and said FINISHED: the result is complete.</summary>
    public bool Finished { get; private set; }

    /// <summary>True while there is a nextUri to ask (or to cancel).</summary>
    public bool Open => _next is not null;

    /// <summary>Pages read.</summary>
    public int Pages { get; private set; }

    /// <summary>Submits the statement; returns the rows of the first page (usually none: QUEUED).</summary>
    public List<object[]> Start(string statement, IEnumerable<KeyValuePair<string, string>> headers, CancellationToken cancel)
    {
        using HttpResponseMessage response = _transport.Send(HttpMethod.Post, _transport.StatementUri, statement, headers, cancel);
        return Read(response, cancel);
    }

    /// <summary>The rows of the next page (possibly none); call while <see cref="Open"/>.</summary>
    public List<object[]> NextPage(CancellationToken cancel)
    {
        Uri next = _next ?? throw new InvalidOperationException("The query has no next page.");
        HttpResponseMessage response;
        try
        {
            response = _transport.Send(HttpMethod.Get, next, null, null, cancel);
        }
        catch (TrinoHttpException e) when (e.Status == HttpStatusCode.Gone)
        {
            _next = null;
            throw new TrinoIncompleteException($"the coordinator no longer knows the query {Id} (410 Gone: it was abandoned or purged while the result was read)", e);
        }

        using (response)
        {
            return Read(response, cancel);
        }
    }

    /// <summary>Throws when the last page ended the result in a state other than FINISHED (call once its rows are used).</summary>
    public void ThrowIfIncomplete()
    {
        if (_incomplete is { } incomplete)
        {
            throw incomplete;
        }
    }

    /// <summary>Cancels the query on the coordinator (DELETE on its nextUri) when it is not over; best effort.</summary>
    public void Cancel()
    {
        Uri? next = Interlocked.Exchange(ref _next, null);
        if (next is not null)
        {
            _transport.Delete(next);
        }
    }

    private List<object[]> Read(HttpResponseMessage response, CancellationToken cancel)
    {
        Pages++;
        using Stream body = response.Content.ReadAsStream(cancel);
        return ReadPage(body);
    }

    /// <summary>One result page from its body: the parsing apart from HTTP, so that it can be tested (and fuzzed) alone.</summary>
    internal List<object[]> ReadPage(Stream body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            _next = null;
            throw new TrinoProtocolException($"a result page is not JSON ({e.Message})", e);
        }

        using (document)
        {
            return Page(document.RootElement);
        }
    }

    private List<object[]> Page(JsonElement page)
    {
        if (page.ValueKind != JsonValueKind.Object)
        {
            throw new TrinoProtocolException("a result page is not a JSON object");
        }

        if (page.TryGetProperty("id", out JsonElement id) && id.ValueKind == JsonValueKind.String)
        {
            Id = id.GetString();
        }

        if (page.TryGetProperty("stats", out JsonElement stats) && stats.ValueKind == JsonValueKind.Object
            && stats.TryGetProperty("state", out JsonElement state) && state.ValueKind == JsonValueKind.String)
        {
            State = state.GetString()!;
        }

        if (page.TryGetProperty("updateCount", out JsonElement count) && count.ValueKind == JsonValueKind.Number)
        {
            UpdateCount = count.TryGetInt64(out long changed)
                ? changed
                : throw new TrinoProtocolException($"the updateCount {Shorten(count.GetRawText())} is not a whole number of rows");
        }

        // The next page first: a page that breaks the rules below still leaves a query to cancel.
        _next = page.TryGetProperty("nextUri", out JsonElement nextUri) && nextUri.ValueKind == JsonValueKind.String
            ? _transport.Follow(nextUri.GetString()!)
            : null;

        if (page.TryGetProperty("error", out JsonElement error) && error.ValueKind == JsonValueKind.Object)
        {
            _next = null;
            throw new TrinoQueryException(
                Str(error, "errorName") ?? "UNKNOWN",
                error.TryGetProperty("errorCode", out JsonElement code) && code.TryGetInt32(out int number) ? number : 0,
                Str(error, "errorType") ?? "UNKNOWN",
                Str(error, "message") ?? "(no message)");
        }

        if (Columns is null && page.TryGetProperty("columns", out JsonElement columns) && columns.ValueKind == JsonValueKind.Array)
        {
            var list = new List<TrinoColumn>();
            foreach (JsonElement column in columns.EnumerateArray())
            {
                string name = Str(column, "name") ?? throw new TrinoProtocolException("a column has no name");
                string type = Str(column, "type") ?? throw new TrinoProtocolException($"the column '{name}' has no type");
                try
                {
                    list.Add(new TrinoColumn(name, type, TrinoType.Parse(type)));
                }
                catch (FormatException e)
                {
                    throw new TrinoProtocolException($"the type of column '{name}' could not be read: {e.Message}", e);
                }
            }

            Columns = list;
        }

        var rows = new List<object[]>();
        if (page.TryGetProperty("data", out JsonElement data) && data.ValueKind == JsonValueKind.Array)
        {
            IReadOnlyList<TrinoColumn> known = Columns ?? throw new TrinoProtocolException("a page holds rows before any page named the columns");
            foreach (JsonElement item in data.EnumerateArray())
            {
                rows.Add(Row(known, item));
            }
        }

        if (_next is null)
        {
            if (State != "FINISHED")
            {
                // Raised once this page's rows are handed out: they came, but the result is not complete.
                _incomplete = new TrinoIncompleteException($"the coordinator ended the result of query {Id} in state {State}, not FINISHED, without an error");
            }
            else
            {
                Finished = true;
            }
        }

        return rows;
    }

    private static object[] Row(IReadOnlyList<TrinoColumn> columns, JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Array || item.GetArrayLength() != columns.Count)
        {
            throw new TrinoProtocolException($"a row is not an array of {columns.Count} values");
        }

        var row = new object[columns.Count];
        int i = 0;
        foreach (JsonElement value in item.EnumerateArray())
        {
            try
            {
                row[i] = TrinoTypes.Convert(columns[i].Type, value);
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException or OverflowException or ArgumentException)
            {
                throw new TrinoProtocolException($"the value {Shorten(value.GetRawText())} of column '{columns[i].Name}' ({columns[i].TypeText}) could not be read: {e.Message}", e);
            }

            i++;
        }

        return row;
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";

    private static string? Str(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
