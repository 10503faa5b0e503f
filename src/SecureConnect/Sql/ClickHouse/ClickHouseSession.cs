using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security.Authentication;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Common;

namespace SecureConnect.Sql.ClickHouse;

/// <summary>
/// A ClickHouse "session": the HTTP(S) route that answered, the server's version and time zone (asked once at open,
/// which also proves the login), and the settings of the integration. Each query is one POST with its own query_id;
/// its body is read row by row as it arrives. A result stopped early aborts the response and kills the query by id.
/// </summary>
internal sealed class ClickHouseSession : IEngineSession
{
    /// <summary>How much longer than -CommandTimeout the client waits for the server's own max_execution_time.</summary>
    private static readonly TimeSpan s_timeoutGrace = TimeSpan.FromSeconds(10);

    private static readonly Regex s_unknownParameter = new(@"Unknown setting param_", RegexOptions.CultureInvariant);

    private readonly ClickHouseTransport _transport;
    private readonly ConnectionTarget _target;
    private readonly List<KeyValuePair<string, string>> _settings;
    private readonly ResultStream _results = new();

    private ClickHouseSession(ClickHouseTransport transport, ConnectionTarget target, TlsObserver observer, List<KeyValuePair<string, string>> settings, string version, TimeZoneInfo? zone)
    {
        _transport = transport;
        _target = target;
        Observer = observer;
        _settings = settings;
        ServerVersion = version;
        ServerZone = zone;
    }

    public EngineCapabilities Capabilities => EngineCapabilities.CertificateCallback | EngineCapabilities.ServerSideCancel;

    public TlsObserver Observer { get; }

    public string Via => _transport.Route.Via;

    /// <summary>HTTPS (true) or plain HTTP after a Preferred fallback.</summary>
    public bool Encrypted => _transport.Route.Tls;

    public string ServerVersion { get; }

    /// <summary>The server's time zone (DateTime columns without one of their own); null when unknown on this machine.</summary>
    public TimeZoneInfo? ServerZone { get; }

    private string Name => _target.Plan.Name;

    /// <summary>Asks the server for its version and time zone; any failure is an <see cref="EngineOpenException"/>.</summary>
    public static ClickHouseSession Open(ClickHouseTransport transport, ConnectionTarget target, TlsObserver observer, List<KeyValuePair<string, string>> settings, CancellationToken cancel)
    {
        var probe = new ClickHouseSession(transport, target, observer, settings, string.Empty, null);
        try
        {
            object?[] row = probe.FirstRow("SELECT version(), timezone()", cancel) ?? throw new ClickHouseFormatException("the server answered no row to SELECT version()");
            string version = Convert.ToString(row[0], CultureInfo.InvariantCulture) ?? string.Empty;
            string zoneName = Convert.ToString(row[1], CultureInfo.InvariantCulture) ?? string.Empty;
            return new ClickHouseSession(transport, target, observer, settings, version, ClickHouseTypes.FindZone(zoneName));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            throw new EngineOpenException(ClickHouseErrors.ClassifyOpen(e, target.SslMode, observer, transport.Route.ServerPort), e);
        }
    }

    public ServerSessionInfo DescribeSession(CancellationToken cancel)
    {
        string? address = null;
        string id = NewQueryId();
        try
        {
            // The server's own view of this request; system.processes has held the client address since before 18.x.
            object?[]? row = FirstRow($"SELECT address FROM system.processes WHERE query_id = '{id}'", cancel, id);
            address = row?[0] is string text ? Unmapped(text) : null;
        }
        catch (Exception e) when (e is ClickHouseHttpException or ClickHouseServerException or ClickHouseFormatException)
        {
            // A user without access to system.processes: the address stays unknown.
        }

        return new ServerSessionInfo(Encrypted, ProtocolName(_transport.TlsProtocol), _transport.CipherSuite?.ToString(), address, ServerVersion);
    }

    public void Execute(QueryRequest request, IQueryOutput output, CancellationToken cancel)
    {
        List<KeyValuePair<string, string>> parameters = ClickHouseParameters.From(request.Parameters);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        int? seconds = request.CommandTimeoutSeconds is int t and > 0 ? t : null;
        if (seconds is int limit)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(limit) + s_timeoutGrace);
        }

        string id = NewQueryId();
        var extra = new List<KeyValuePair<string, string>>(parameters);
        if (seconds is int max)
        {
            extra.Add(new("max_execution_time", max.ToString(CultureInfo.InvariantCulture)));
        }

        _results.Reset();
        HttpResponseMessage? response = null;
        ClickHouseDataReader? reader = null;
        try
        {
            response = Start(request.Text, id, extra, timeout.Token);
            using CancellationTokenRegistration abortOnStop = timeout.Token.Register(static r => ((IDisposable)r!).Dispose(), response);
            if (request.Shape == ResultShape.NonQuery)
            {
                Drain(response, timeout.Token);
                output.Value(WrittenRows(response));
                return;
            }

            Stream body = response.Content.ReadAsStream(timeout.Token);
            reader = new ClickHouseDataReader(body, ServerZone, response);
            if (request.Shape == ResultShape.Scalar)
            {
                output.Value(reader.FieldCount > 0 && reader.Read() && reader.GetValue(0) is not DBNull ? reader.GetValue(0) : null);
                return;
            }

            _results.Deliver(reader, request.Shape, output);
        }
        catch (ClickHouseHttpException e) when (e.Code == 115 && parameters.Count > 0 && s_unknownParameter.IsMatch(e.ServerMessage))
        {
            throw new SecureConnectException(
                ErrorIds.InvalidParameterValue,
                ErrorKind.InvalidArgument,
                $"The ClickHouse server of '{Name}' ({ServerVersion}) has no query parameters ({{name:Type}} with -Parameters; ClickHouse 19.x and later have them), so -Parameters cannot be sent. The query was not run. Values are never spliced into the query text: upgrade the server, or run the query without -Parameters.",
                Name,
                e);
        }
        catch (ClickHouseHttpException e)
        {
            throw ClickHouseErrors.QueryFailed(Name, e.Code, e.ServerMessage, 0, e);
        }
        catch (ClickHouseServerException e)
        {
            throw ClickHouseErrors.QueryFailed(Name, e.Code, ClickHouseErrors.Clean(e.ServerMessage), _results.RowsDelivered, e);
        }
        catch (ClickHouseFormatException e)
        {
            throw new SecureConnectException(ErrorIds.QueryFailed, ErrorKind.InvalidData, $"The result of the query on '{Name}' could not be read: {e.Message}. Rows delivered before: {_results.RowsDelivered}.", Name, e);
        }
        catch (Exception e) when (IsInterruption(e) && !cancel.IsCancellationRequested)
        {
            if (timeout.IsCancellationRequested)
            {
                throw new SecureConnectException(ErrorIds.QueryFailed, ErrorKind.OperationTimeout, $"The query on '{Name}' did not finish within -CommandTimeout {seconds} s (the server's max_execution_time did not end it either).", Name, e);
            }

            throw ResultStream.Interrupted(Name, _results.RowsDelivered, e, request.Shape);
        }
        catch (Exception e) when (IsInterruption(e) && cancel.IsCancellationRequested)
        {
            throw new OperationCanceledException("The query was stopped.", e, cancel);
        }
        finally
        {
            bool complete = reader?.Finished == true || request.Shape == ResultShape.NonQuery;
            reader?.Dispose();
            response?.Dispose();
            if (!complete && response is not null)
            {
                // Stopped early (Select-Object -First, Ctrl+C, Scalar, an error): the aborted response ends the query
                // at its next write; KILL ends one that computes without writing.
                Kill(id);
            }
        }
    }

    public void Dispose() => _transport.Dispose();

    private static bool IsInterruption(Exception e) => e is IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException;

    private static string NewQueryId() => "secureconnect-" + Guid.NewGuid().ToString("N");

    private static string? ProtocolName(SslProtocols? protocol) => protocol is SslProtocols known ? TlsNames.Protocol(known) : null;

    /// <summary>Newer servers give the address as IPv6 (::ffff:10.0.0.5); the IPv4 form is what firewalls list.</summary>
    private static string Unmapped(string address) =>
        IPAddress.TryParse(address, out IPAddress? parsed) && parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4().ToString() : address;

    private HttpResponseMessage Start(string query, string id, IEnumerable<KeyValuePair<string, string>> extra, CancellationToken cancel)
    {
        var parameters = new List<KeyValuePair<string, string>>
        {
            new("query_id", id),
            new("default_format", "TabSeparatedWithNamesAndTypes"),
        };
        if (_target.Database is { Length: > 0 } database)
        {
            // 18.x ignores the X-ClickHouse-Database header; the parameter works on every version.
            parameters.Add(new("database", database));
        }

        parameters.AddRange(_settings);
        parameters.AddRange(extra);
        HttpResponseMessage response = _transport.Send(query, parameters, cancel);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            using (response)
            {
                throw ClickHouseErrors.Read(response, cancel);
            }
        }

        return response;
    }

    private object?[]? FirstRow(string query, CancellationToken cancel, string? id = null)
    {
        using HttpResponseMessage response = Start(query, id ?? NewQueryId(), Array.Empty<KeyValuePair<string, string>>(), cancel);
        using var reader = new ClickHouseDataReader(response.Content.ReadAsStream(cancel), null, null);
        if (!reader.Read())
        {
            return null;
        }

        var values = new object[reader.FieldCount];
        reader.GetValues(values);
        while (reader.Read())
        {
        }

        return values.Select(v => v is DBNull ? null : v).ToArray();
    }

    /// <summary>Reads a statement's body to its end; an exception the server appended to it fails the statement.</summary>
    private static void Drain(HttpResponseMessage response, CancellationToken cancel)
    {
        using Stream body = response.Content.ReadAsStream(cancel);
        var buffer = new byte[64 * 1024];
        var tail = new List<byte>();
        int read;
        while ((read = body.Read(buffer, 0, buffer.Length)) > 0)
        {
            tail.AddRange(buffer.AsSpan(0, read).ToArray());
            if (tail.Count > TsvBodyReader.ExceptionWindow)
            {
                tail.RemoveRange(0, tail.Count - TsvBodyReader.ExceptionWindow);
            }
        }

        string text = Encoding.UTF8.GetString(tail.ToArray());
        foreach (string line in text.Split('\n'))
        {
            if (TsvBodyReader.IsExceptionStart(Encoding.UTF8.GetBytes(line)))
            {
                string exception = text[text.IndexOf(line, StringComparison.Ordinal)..];
                throw new ClickHouseServerException(ClickHouseErrors.CodeOf(exception), exception.Trim(), 0);
            }
        }
    }

    /// <summary>written_rows from X-ClickHouse-Summary (19.x and later); -1 when the server does not say.</summary>
    private static long WrittenRows(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("X-ClickHouse-Summary", out IEnumerable<string>? values))
        {
            Match match = Regex.Match(string.Join(string.Empty, values), "\"written_rows\":\"?(?<n>\\d+)", RegexOptions.CultureInvariant);
            if (match.Success && long.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long rows))
            {
                return rows;
            }
        }

        return -1;
    }

    private void Kill(string id)
    {
        try
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            Task.Run(() =>
            {
                using HttpResponseMessage killed = Start($"KILL QUERY WHERE query_id = '{id}' ASYNC", NewQueryId(), Array.Empty<KeyValuePair<string, string>>(), wait.Token);
            }).Wait(wait.Token);
        }
        catch (Exception e) when (e is AggregateException or OperationCanceledException or ClickHouseHttpException or HttpRequestException or IOException)
        {
            // Best effort: a user without KILL QUERY rights, or a server already gone; the aborted response remains.
        }
    }
}
