using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Security.Authentication;
using System.Text.Json;
using System.Threading;
using SecureConnect.Common;

namespace SecureConnect.Sql.Trino;

/// <summary>
/// A Trino "session": the HTTP(S) route that answered GET /v1/info (which needs no login and gives the version), and
/// the session headers of the integration. Each query is one POST /v1/statement followed through its nextUri pages;
/// a result stopped early (Select-Object -First, Ctrl+C, -As Scalar, an error, -CommandTimeout) is cancelled with a
/// DELETE of its current nextUri.
/// </summary>
internal sealed class TrinoSession : IEngineSession
{
    private readonly TrinoTransport _transport;
    private readonly TrinoSessionHeaders _headers;
    private readonly ResultStream _results = new();
    private readonly string _name;

    private TrinoSession(TrinoTransport transport, ConnectionTarget target, TlsObserver observer, TrinoSessionHeaders headers, string version)
    {
        _transport = transport;
        _headers = headers;
        _name = target.Plan.Name;
        Observer = observer;
        ServerVersion = version;
    }

    public EngineCapabilities Capabilities => EngineCapabilities.CertificateCallback | EngineCapabilities.ServerSideCancel;

    public TlsObserver Observer { get; }

    public string Via => _transport.Route.Via;

    /// <summary>HTTPS (true) or plain HTTP after a Preferred fallback.</summary>
    public bool Encrypted => _transport.Route.Tls;

    public string ServerVersion { get; }

    /// <summary>Asks GET /v1/info (version, and whether the coordinator is still starting); any failure is an <see cref="EngineOpenException"/>.</summary>
    public static TrinoSession Open(TrinoTransport transport, ConnectionTarget target, TlsObserver observer, TrinoSessionHeaders headers, CancellationToken cancel)
    {
        try
        {
            using HttpResponseMessage response = transport.Send(HttpMethod.Get, transport.InfoUri, null, null, cancel);
            using Stream body = response.Content.ReadAsStream(cancel);
            using JsonDocument info = JsonDocument.Parse(body);
            JsonElement root = info.RootElement;
            string version = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("nodeVersion", out JsonElement node) && node.ValueKind == JsonValueKind.Object
                && node.TryGetProperty("version", out JsonElement text) && text.ValueKind == JsonValueKind.String
                ? text.GetString()!
                : throw new TrinoProtocolException("GET /v1/info did not answer a Trino nodeVersion (is this a Trino coordinator?)");
            if (root.TryGetProperty("starting", out JsonElement starting) && starting.ValueKind == JsonValueKind.True)
            {
                throw new TrinoProtocolException($"the coordinator (Trino {version}) is still starting; try again in a moment");
            }

            return new TrinoSession(transport, target, observer, headers, version);
        }
        catch (JsonException e)
        {
            throw new EngineOpenException(new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, $"GET /v1/info did not answer JSON ({e.Message}): is this a Trino coordinator?"), e);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            throw new EngineOpenException(TrinoErrors.ClassifyOpen(e, target.SslMode, observer, transport.Route.ServerPort), e);
        }
    }

    /// <summary>Trino does not report a session's encryption or the client's address: the client side (the handshake) is reported.</summary>
    public ServerSessionInfo DescribeSession(CancellationToken cancel) =>
        new(Encrypted, _transport.TlsProtocol is SslProtocols known ? TlsNames.Protocol(known) : null, _transport.CipherSuite?.ToString(), null, ServerVersion);

    public void Execute(QueryRequest request, IQueryOutput output, CancellationToken cancel)
    {
        TrinoPrepared? prepared = TrinoParameters.Prepare(request.Text, request.Parameters);
        var headers = new List<KeyValuePair<string, string>>(_headers.Headers());
        if (prepared is not null)
        {
            headers.Add(new("X-Trino-Prepared-Statement", prepared.PreparedHeader));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        int? seconds = request.CommandTimeoutSeconds is int t and > 0 ? t : null;
        if (seconds is int limit)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(limit));
        }

        _results.Reset();
        var query = new TrinoQuery(_transport);
        try
        {
            List<object[]> first = query.Start(prepared?.Execute ?? request.Text, headers, timeout.Token);
            using var reader = new TrinoDataReader(query, first, timeout.Token);
            switch (request.Shape)
            {
                case ResultShape.NonQuery:
                    while (reader.Read())
                    {
                    }

                    output.Value(query.UpdateCount ?? -1);
                    break;
                case ResultShape.Scalar:
                    output.Value(reader.FieldCount > 0 && reader.Read() && reader.GetValue(0) is not DBNull ? reader.GetValue(0) : null);
                    break;
                default:
                    _results.Deliver(reader, request.Shape, output);
                    break;
            }
        }
        catch (TrinoQueryException e)
        {
            throw TrinoErrors.QueryFailed(_name, e, _results.RowsDelivered);
        }
        catch (TrinoProtocolException e)
        {
            throw TrinoErrors.Protocol(_name, e, _results.RowsDelivered);
        }
        catch (TrinoHttpException e)
        {
            throw TrinoErrors.Refused(_name, e, _results.RowsDelivered);
        }
        catch (TrinoIncompleteException e)
        {
            throw TrinoErrors.Incomplete(_name, e, _results.RowsDelivered);
        }
        catch (Exception e) when (IsInterruption(e) && !cancel.IsCancellationRequested)
        {
            if (timeout.IsCancellationRequested)
            {
                throw new SecureConnectException(ErrorIds.QueryFailed, ErrorKind.OperationTimeout, $"The query on '{_name}' did not finish within -CommandTimeout {seconds} s; it was cancelled on the coordinator.", _name, e);
            }

            throw ResultStream.Interrupted(_name, _results.RowsDelivered, e, request.Shape);
        }
        catch (Exception e) when (IsInterruption(e) && cancel.IsCancellationRequested)
        {
            throw new OperationCanceledException("The query was stopped.", e, cancel);
        }
        finally
        {
            // Stopped early (Select-Object -First, Ctrl+C, Scalar, a timeout, an error): the coordinator is told at
            // once instead of keeping the query until it notices that no client asks.
            query.Cancel();
        }
    }

    public void Dispose() => _transport.Dispose();

    private static bool IsInterruption(Exception e) => e is IOException or HttpRequestException or OperationCanceledException or ObjectDisposedException;
}
