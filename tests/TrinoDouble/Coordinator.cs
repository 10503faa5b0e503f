using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading;

namespace SecureConnect.Tests.TrinoDouble;

/// <summary>How a canned statement behaves beyond its rows.</summary>
internal enum Behaviour
{
    Normal,

    /// <summary>The first page of rows, then a failure (DIVISION_BY_ZERO).</summary>
    FailsMidway,

    /// <summary>The POST is answered 503 every other time, and the first result page 503 once.</summary>
    Flaky,

    /// <summary>The first nextUri names another host.</summary>
    ForeignNext,

    /// <summary>The rows, then no nextUri while the state is still RUNNING.</summary>
    Unfinished,

    /// <summary>The first page of rows, then 410 Gone.</summary>
    Gone,

    /// <summary>The first page of rows, then a page cut in the middle (the connection closes).</summary>
    Cut,
}

/// <summary>One statement the double runs: its canned result or error, and where its client is.</summary>
internal sealed class DoubleQuery
{
    public required string Id { get; init; }

    public required string Slug { get; init; }

    public CannedResult? Result { get; init; }

    public (string Name, int Code, string Type, string Message)? Error { get; init; }

    public long? UpdateCount { get; init; }

    public string? UpdateType { get; init; }

    public Behaviour Behaviour { get; init; }

    public bool Cancelled { get; set; }

    public int Flaked;
}

/// <summary>The double's counters, for tests (GET /v1/doubleStats).</summary>
internal sealed class DoubleStats
{
    public long Requests;
    public long Statements;
    public long Pages;
    public long Cancels;
    public long RetriesServed;
    public long Unauthorized;
    public ConcurrentQueue<string> CancelledQueries { get; } = new();
    public volatile Dictionary<string, string>? LastStatementHeaders;
    public volatile string? LastServerName;
    public volatile string? LastHost;
    public volatile string? LastStatement;
    public volatile string? LastPrepared;
    public volatile string? LastRemoteAddress;
}

/// <summary>
/// The Trino coordinator TEST DOUBLE's protocol: GET /v1/info, POST /v1/statement (QUEUED first), GET of each nextUri
/// (queued, then executing pages of 1000 rows, then FINISHED), DELETE of a nextUri (the cancel, recorded), and GET
/// /v1/doubleStats. nextUri are absolute URLs built from the request's Host header and the connection's scheme, as
/// Trino builds them. With a user and password, statement requests need HTTP Basic over TLS (401 otherwise; a
/// password over plain HTTP is 403, as Trino refuses it); /v1/info and /v1/doubleStats need nothing.
/// </summary>
internal sealed class Coordinator
{
    public const int PageSize = 1000;

    public const string Version = "470-double";

    private static readonly Regex s_execute = new(@"^EXECUTE\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)(\s+USING\s+(?<args>.*))?$", RegexOptions.IgnoreCase | RegexOptions.Singleline | RegexOptions.CultureInvariant);
    private static readonly Regex s_insert = new(@"^INSERT\s+INTO\s+sink\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    private static readonly Regex s_path = new(@"^/v1/statement/(?<phase>queued|executing)/(?<id>[A-Za-z0-9_]+)/(?<slug>[a-z0-9]+)/(?<token>\d+)$", RegexOptions.CultureInvariant);

    private readonly ConcurrentDictionary<string, DoubleQuery> _queries = new();
    private readonly long _numbers;
    private readonly string? _user;
    private readonly string? _password;
    private long _nextId;
    private int _postFlake;

    public Coordinator(long numbers, string? user, string? password)
    {
        _numbers = numbers;
        _user = user;
        _password = password;
    }

    public DoubleStats Stats { get; } = new();

    public HttpResponse Handle(HttpRequest request)
    {
        Interlocked.Increment(ref Stats.Requests);
        string path = request.Target.Split('?')[0];
        if (path == "/v1/info" && request.Method == "GET")
        {
            return HttpResponse.Json(200, "OK", $$"""{"nodeVersion":{"version":"{{Version}}"},"environment":"double","coordinator":true,"starting":false,"uptime":"1.00m"}""");
        }

        if (path == "/v1/doubleStats" && request.Method == "GET")
        {
            return HttpResponse.Json(200, "OK", StatsJson());
        }

        if (path.StartsWith("/v1/query/", StringComparison.Ordinal) && request.Method == "DELETE")
        {
            // Trino's kill endpoint (trino-client's cancel(queryId) uses it).
            if (Authenticate(request) is { } refused)
            {
                return refused;
            }

            return _queries.TryGetValue(path["/v1/query/".Length..], out DoubleQuery? killed) ? Cancel(killed) : HttpResponse.Text(404, "Not Found", "Query not found");
        }

        if (path == "/v1/statement" || path.StartsWith("/v1/statement/", StringComparison.Ordinal))
        {
            Stats.LastServerName = request.ServerName;
            Stats.LastHost = request.Header("Host");
            Stats.LastRemoteAddress = request.RemoteAddress;
            if (Authenticate(request) is { } refused)
            {
                return refused;
            }

            if (path == "/v1/statement")
            {
                return request.Method == "POST" ? Submit(request) : HttpResponse.Text(405, "Method Not Allowed", "POST a statement");
            }

            Match match = s_path.Match(path);
            if (!match.Success || !_queries.TryGetValue(match.Groups["id"].Value, out DoubleQuery? query) || query.Slug != match.Groups["slug"].Value)
            {
                return HttpResponse.Text(404, "Not Found", "Query not found");
            }

            int token = int.Parse(match.Groups["token"].Value, System.Globalization.CultureInfo.InvariantCulture);
            return request.Method switch
            {
                "DELETE" => Cancel(query),
                "GET" => Page(request, query, match.Groups["phase"].Value == "queued", token),
                _ => HttpResponse.Text(405, "Method Not Allowed", "GET or DELETE a nextUri"),
            };
        }

        return HttpResponse.Text(404, "Not Found", $"The Trino coordinator test double has no {request.Method} {path}");
    }

    private HttpResponse? Authenticate(HttpRequest request)
    {
        string? authorization = request.Header("Authorization");
        if (authorization is not null && !request.Tls)
        {
            Interlocked.Increment(ref Stats.Unauthorized);
            return HttpResponse.Text(403, "Forbidden", "Password not allowed for insecure authentication");
        }

        if (_user is null || !request.Tls)
        {
            // Without a configured login, or on plain HTTP (Trino's insecure authentication), X-Trino-User is the user.
            return request.Header("X-Trino-User") is { Length: > 0 } ? null : HttpResponse.Text(400, "Bad Request", "Error 400 Bad Request: User must be set");
        }

        string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(_user + ":" + _password));
        if (authorization != expected)
        {
            Interlocked.Increment(ref Stats.Unauthorized);
            return new HttpResponse(401, "Unauthorized", "text/plain; charset=utf-8", Encoding.UTF8.GetBytes("Unauthorized"), Headers: new[] { new KeyValuePair<string, string>("WWW-Authenticate", "Basic realm=\"Trino\"") });
        }

        return null;
    }

    private HttpResponse Submit(HttpRequest request)
    {
        string statement = request.Body.Trim().TrimEnd(';').Trim();
        string normalized = Regex.Replace(statement, @"\s+", " ").ToLowerInvariant();
        if (normalized == "select * from flaky" && Interlocked.Exchange(ref _postFlake, 1) == 0)
        {
            Interlocked.Increment(ref Stats.RetriesServed);
            return HttpResponse.Text(503, "Service Unavailable", "the double answers 503 once: retry");
        }

        if (normalized == "select * from flaky")
        {
            _postFlake = 0;
        }

        Interlocked.Increment(ref Stats.Statements);
        Stats.LastStatement = statement;
        Stats.LastStatementHeaders = request.Headers
            .Where(h => h.Key.StartsWith("X-Trino-", StringComparison.OrdinalIgnoreCase) || h.Key.Equals("User-Agent", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase);
        if (request.Header("Authorization") is { } authorization)
        {
            Stats.LastStatementHeaders["Authorization"] = authorization.Split(' ')[0] + " (redacted)";
        }

        string id = $"{DateTime.UtcNow:yyyyMMdd_HHmmss}_{Interlocked.Increment(ref _nextId):D5}_double";
        DoubleQuery query = Plan(id, Guid.NewGuid().ToString("N")[..12], statement, normalized, request.Header("X-Trino-Prepared-Statement"));
        _queries[id] = query;
        return HttpResponse.Json(200, "OK", Json(w =>
        {
            Head(w, request, query, "QUEUED");
            w.WriteString("nextUri", Next(request, query, "queued", 1));
        }));
    }

    private DoubleQuery Plan(string id, string slug, string statement, string normalized, string? prepared)
    {
        CannedResult? Result(CannedResult r) => r;
        switch (normalized)
        {
            case "select * from people": return new DoubleQuery { Id = id, Slug = slug, Result = Result(CannedResults.People) };
            case "select * from numbers": return new DoubleQuery { Id = id, Slug = slug, Result = CannedResults.Numbers(_numbers) };
            case "select * from types": return new DoubleQuery { Id = id, Slug = slug, Result = CannedResults.Types };
            case "select * from empty": return new DoubleQuery { Id = id, Slug = slug, Result = CannedResults.Empty };
            case "select 1": return new DoubleQuery { Id = id, Slug = slug, Result = CannedResults.One };
            case "select * from fails_midway": return new DoubleQuery { Id = id, Slug = slug, Result = CannedResults.Numbers(_numbers), Behaviour = Behaviour.FailsMidway };
            case "select * from flaky": return new DoubleQuery { Id = id, Slug = slug, Result = CannedResults.People, Behaviour = Behaviour.Flaky };
            case "select * from foreign_next": return new DoubleQuery { Id = id, Slug = slug, Result = CannedResults.People, Behaviour = Behaviour.ForeignNext };
            case "select * from unfinished": return new DoubleQuery { Id = id, Slug = slug, Result = CannedResults.People, Behaviour = Behaviour.Unfinished };
            case "select * from gone": return new DoubleQuery { Id = id, Slug = slug, Result = CannedResults.Numbers(_numbers), Behaviour = Behaviour.Gone };
            case "select * from cut": return new DoubleQuery { Id = id, Slug = slug, Result = CannedResults.Numbers(_numbers), Behaviour = Behaviour.Cut };
        }

        if (s_insert.IsMatch(statement))
        {
            return new DoubleQuery { Id = id, Slug = slug, UpdateType = "INSERT", UpdateCount = 1 };
        }

        Match execute = s_execute.Match(statement);
        if (execute.Success)
        {
            return Execute(id, slug, execute.Groups["name"].Value, execute.Groups["args"].Success ? execute.Groups["args"].Value : string.Empty, prepared);
        }

        string first = statement.Split(' ', 2)[0];
        return new DoubleQuery
        {
            Id = id,
            Slug = slug,
            Error = ("SYNTAX_ERROR", 1, "USER_ERROR", $"line 1:1: The Trino coordinator test double knows only its canned statements; '{(first.Length > 40 ? first[..40] : first)}...' is not one"),
        };
    }

    /// <summary>EXECUTE name USING ...: one row with the prepared statement's text (from the header) and each value's literal as sent.</summary>
    private DoubleQuery Execute(string id, string slug, string name, string arguments, string? header)
    {
        string? text = null;
        foreach (string pair in (header ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = pair.Split('=', 2);
            if (parts.Length == 2 && WebUtility.UrlDecode(parts[0].Trim()) == name)
            {
                text = WebUtility.UrlDecode(parts[1]);
            }
        }

        if (text is null)
        {
            return new DoubleQuery { Id = id, Slug = slug, Error = ("NOT_FOUND", 5, "USER_ERROR", $"Prepared statement not found: {name}") };
        }

        Stats.LastPrepared = text;
        List<string> literals = SplitArguments(arguments);
        int markers = text.Count(c => c == '?');
        if (markers != literals.Count)
        {
            return new DoubleQuery { Id = id, Slug = slug, Error = ("INVALID_PARAMETER_USAGE", 52, "USER_ERROR", $"Incorrect number of parameters: expected {markers} but found {literals.Count}") };
        }

        var columns = new List<Column> { new("statement", "varchar") };
        columns.AddRange(literals.Select((_, i) => new Column($"p{i + 1}", "varchar")));
        string[] row = new[] { CannedResults.S(text) }.Concat(literals.Select(CannedResults.S)).ToArray();
        return new DoubleQuery { Id = id, Slug = slug, Result = new CannedResult(columns, 1, _ => row) };
    }

    /// <summary>Splits "a, 'b,c', ARRAY[1, 2]" at the commas outside quotes and brackets.</summary>
    private static List<string> SplitArguments(string text)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        int depth = 0;
        bool quoted = false;
        foreach (char c in text)
        {
            if (c == '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted && c is '(' or '[')
            {
                depth++;
            }
            else if (!quoted && c is ')' or ']')
            {
                depth--;
            }
            else if (!quoted && depth == 0 && c == ',')
            {
                result.Add(current.ToString().Trim());
                current.Clear();
                continue;
            }

            current.Append(c);
        }

        if (current.ToString().Trim().Length > 0)
        {
            result.Add(current.ToString().Trim());
        }

        return result;
    }

    private HttpResponse Cancel(DoubleQuery query)
    {
        if (!query.Cancelled)
        {
            query.Cancelled = true;
            Interlocked.Increment(ref Stats.Cancels);
            Stats.CancelledQueries.Enqueue(query.Id);
        }

        return new HttpResponse(204, "No Content", "text/plain", Array.Empty<byte>());
    }

    private HttpResponse Page(HttpRequest request, DoubleQuery query, bool queued, int token)
    {
        Interlocked.Increment(ref Stats.Pages);
        if (query.Cancelled)
        {
            return HttpResponse.Text(410, "Gone", "Query was cancelled");
        }

        if (queued)
        {
            if (query.Error is { } error)
            {
                _queries.TryRemove(query.Id, out _);
                return HttpResponse.Json(200, "OK", Json(w =>
                {
                    Head(w, request, query, "FAILED");
                    Error(w, error);
                }));
            }

            return HttpResponse.Json(200, "OK", Json(w =>
            {
                Head(w, request, query, "RUNNING");
                string next = Next(request, query, "executing", 0);
                w.WriteString("nextUri", query.Behaviour == Behaviour.ForeignNext ? "http://elsewhere.example:9999" + new Uri(next).PathAndQuery : next);
            }));
        }

        if (query.Behaviour == Behaviour.Flaky && token == 0 && Interlocked.Exchange(ref query.Flaked, 1) == 0)
        {
            Interlocked.Increment(ref Stats.RetriesServed);
            return HttpResponse.Text(503, "Service Unavailable", "the double answers 503 once: retry");
        }

        if (token > 0 && query.Behaviour == Behaviour.Gone)
        {
            return HttpResponse.Text(410, "Gone", "Query not found");
        }

        if (token > 0 && query.Behaviour == Behaviour.FailsMidway)
        {
            _queries.TryRemove(query.Id, out _);
            return HttpResponse.Json(200, "OK", Json(w =>
            {
                Head(w, request, query, "FAILED");
                Columns(w, query.Result!);
                Error(w, ("DIVISION_BY_ZERO", 8, "USER_ERROR", "Division by zero"));
            }));
        }

        if (query.Result is not { } result)
        {
            _queries.TryRemove(query.Id, out _);
            return HttpResponse.Json(200, "OK", Json(w =>
            {
                Head(w, request, query, "FINISHED");
                w.WriteString("updateType", query.UpdateType);
                w.WriteNumber("updateCount", query.UpdateCount ?? 0);
            }));
        }

        long from = (long)token * PageSize;
        bool last = from >= result.Rows;
        bool unfinished = query.Behaviour == Behaviour.Unfinished && from + PageSize >= result.Rows;
        if (last)
        {
            _queries.TryRemove(query.Id, out _);
        }

        byte[] body = Encoding.UTF8.GetBytes(Json(w =>
        {
            Head(w, request, query, last ? "FINISHED" : "RUNNING");
            Columns(w, result);
            if (!last)
            {
                w.WritePropertyName("data");
                w.WriteStartArray();
                for (long i = from; i < Math.Min(from + PageSize, result.Rows); i++)
                {
                    w.WriteStartArray();
                    foreach (string value in result.Row(i))
                    {
                        w.WriteRawValue(value, skipInputValidation: true);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndArray();
                if (!unfinished)
                {
                    w.WriteString("nextUri", Next(request, query, "executing", token + 1));
                }
            }
        }));
        if (unfinished)
        {
            _queries.TryRemove(query.Id, out _);
        }

        return new HttpResponse(200, "OK", "application/json", body, CutAfter: query.Behaviour == Behaviour.Cut && token > 0 ? body.Length / 2 : null);
    }

    private static string Next(HttpRequest request, DoubleQuery query, string phase, int token) =>
        $"{request.BaseUrl}/v1/statement/{phase}/{query.Id}/{query.Slug}/{token}";

    private static void Head(Utf8JsonWriter w, HttpRequest request, DoubleQuery query, string state)
    {
        w.WriteString("id", query.Id);
        w.WriteString("infoUri", $"{request.BaseUrl}/ui/query.html?{query.Id}");
        w.WritePropertyName("stats");
        w.WriteStartObject();
        w.WriteString("state", state);
        w.WriteBoolean("queued", state == "QUEUED");
        w.WriteBoolean("scheduled", state is "RUNNING" or "FINISHED");
        w.WriteNumber("nodes", 1);
        w.WriteNumber("totalSplits", 1);
        w.WriteNumber("queuedSplits", 0);
        w.WriteNumber("runningSplits", 0);
        w.WriteNumber("completedSplits", state == "FINISHED" ? 1 : 0);
        w.WriteNumber("cpuTimeMillis", 0);
        w.WriteNumber("wallTimeMillis", 0);
        w.WriteNumber("queuedTimeMillis", 0);
        w.WriteNumber("elapsedTimeMillis", 0);
        w.WriteNumber("processedRows", 0);
        w.WriteNumber("processedBytes", 0);
        w.WriteNumber("physicalInputBytes", 0);
        w.WriteNumber("peakMemoryBytes", 0);
        w.WriteNumber("spilledBytes", 0);
        w.WriteEndObject();
        w.WritePropertyName("warnings");
        w.WriteStartArray();
        w.WriteEndArray();
    }

    private static void Columns(Utf8JsonWriter w, CannedResult result)
    {
        w.WritePropertyName("columns");
        w.WriteStartArray();
        foreach (Column column in result.Columns)
        {
            w.WriteStartObject();
            w.WriteString("name", column.Name);
            w.WriteString("type", column.Type);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void Error(Utf8JsonWriter w, (string Name, int Code, string Type, string Message) error)
    {
        w.WritePropertyName("error");
        w.WriteStartObject();
        w.WriteString("message", error.Message);
        w.WriteNumber("errorCode", error.Code);
        w.WriteString("errorName", error.Name);
        w.WriteString("errorType", error.Type);
        w.WritePropertyName("failureInfo");
        w.WriteStartObject();
        w.WriteString("type", "io.trino.spi.TrinoException");
        w.WriteString("message", error.Message);
        w.WriteStartArray("suppressed");
        w.WriteEndArray();
        w.WriteStartArray("stack");
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private string StatsJson() => Json(w =>
    {
        w.WriteNumber("requests", Interlocked.Read(ref Stats.Requests));
        w.WriteNumber("statements", Interlocked.Read(ref Stats.Statements));
        w.WriteNumber("pages", Interlocked.Read(ref Stats.Pages));
        w.WriteNumber("cancels", Interlocked.Read(ref Stats.Cancels));
        w.WriteNumber("retriesServed", Interlocked.Read(ref Stats.RetriesServed));
        w.WriteNumber("unauthorized", Interlocked.Read(ref Stats.Unauthorized));
        w.WriteNumber("openQueries", _queries.Count);
        w.WriteStartArray("cancelledQueries");
        foreach (string id in Stats.CancelledQueries)
        {
            w.WriteStringValue(id);
        }

        w.WriteEndArray();
        w.WritePropertyName("lastHeaders");
        w.WriteStartObject();
        foreach (KeyValuePair<string, string> header in Stats.LastStatementHeaders ?? new Dictionary<string, string>())
        {
            w.WriteString(header.Key, header.Value);
        }

        w.WriteEndObject();
        w.WriteString("lastStatement", Stats.LastStatement);
        w.WriteString("lastPrepared", Stats.LastPrepared);
        w.WriteString("lastServerName", Stats.LastServerName);
        w.WriteString("lastHost", Stats.LastHost);
        w.WriteString("lastRemoteAddress", Stats.LastRemoteAddress);
    });
}
