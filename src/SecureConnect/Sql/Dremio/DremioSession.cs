using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Apache.Arrow;
using Apache.Arrow.Flight;
using Apache.Arrow.Flight.Client;
using Grpc.Core;
using SecureConnect.Common;

namespace SecureConnect.Sql.Dremio;

/// <summary>
/// A Dremio session over Arrow Flight: the logged-in channel, and for each query GetFlightInfo on a command descriptor
/// holding the SQL, then DoGet on each endpoint's ticket in order, through the same channel. An endpoint that only
/// names another server is refused before any row is read: following it would leave the tunnel (and the SSL policy
/// checked for this server). Rows come out of the record batches while they stream; stopping early cancels the call.
/// </summary>
internal sealed class DremioSession : IEngineSession
{
    /// <summary>The location a server gives to say "this same connection" (Arrow Flight 15 and later).</summary>
    public const string ReuseConnection = "arrow-flight-reuse-connection:";

    private readonly FlightConnection _connection;
    private readonly ConnectionTarget _target;
    private readonly ResultStream _results = new();

    private DremioSession(FlightConnection connection, ConnectionTarget target, TlsObserver observer, string via)
    {
        _connection = connection;
        _target = target;
        Observer = observer;
        Via = via;
    }

    public EngineCapabilities Capabilities => DremioEngine.EngineCapabilitiesOf;

    public TlsObserver Observer { get; }

    public string Via { get; }

    private string Name => _target.Plan.Name;

    /// <summary>Connects (TLS or h2c) and logs in; any failure is an <see cref="EngineOpenException"/>.</summary>
    public static DremioSession Open(ConnectionTarget target, TlsObserver observer, DremioOptions options, bool tls, string via, CancellationToken cancel)
    {
        if (options.AuthMode == DremioAuthMode.Token && target.Credential is null)
        {
            throw new SecureConnectException(
                ErrorIds.InvalidOption,
                ErrorKind.InvalidArgument,
                $"'{target.Plan.Name}' sends its login as a token (AuthMode Token) but has no -Credential: pass the token as the password (New-Object PSCredential('token', (Read-Host -AsSecureString)), or -CredentialSecret).",
                "Credential");
        }

        FlightConnection connection = FlightConnection.Create(target.HostName, target.Plan.Port, target.ConnectHost, target.ConnectPort, tls, observer, options, TimeSpan.FromSeconds(target.ConnectTimeoutSeconds));
        try
        {
            connection.Login(target.Credential, cancel);
            return new DremioSession(connection, target, observer, via);
        }
        catch (Exception e) when (!cancel.IsCancellationRequested)
        {
            connection.Dispose();
            throw new EngineOpenException(DremioErrors.ClassifyOpen(e, target.SslMode, observer, tls, target.Plan.Port, target.ConnectTimeoutSeconds), e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Flight does not tell a client how its connection is encrypted, nor the address it sees: the protocol and cipher
    /// are what this client negotiated. The version is Dremio's sys.version, when the server has it.
    /// </summary>
    public ServerSessionInfo DescribeSession(CancellationToken cancel)
    {
        (string? protocol, string? cipher) = _connection.Tls ? _connection.Negotiated() : (null, null);
        string? version = null;
        try
        {
            var output = new FirstValue();
            Execute(new QueryRequest("SELECT version FROM sys.version", null, ResultShape.Scalar, null), output, cancel);
            version = output.Value is { } v ? Convert.ToString(v, CultureInfo.InvariantCulture) : null;
        }
        catch (SecureConnectException e) when (e.ErrorId == ErrorIds.QueryFailed)
        {
            // Not Dremio, or no access to sys.version: the version stays unknown.
        }

        return new ServerSessionInfo(null, protocol, cipher, null, version);
    }

    public void Execute(QueryRequest request, IQueryOutput output, CancellationToken cancel)
    {
        DremioEngine.RefuseParameters(request, Name);
        DateTime? deadline = request.CommandTimeoutSeconds is int seconds and > 0 ? DateTime.UtcNow.AddSeconds(seconds) : null;
        _results.Reset();
        ArrowBatchReader? reader = null;
        try
        {
            FlightInfo info = GetInfo(request.Text, deadline, cancel);
            IReadOnlyList<FlightTicket> tickets = Tickets(info, _target.HostName, _target.Plan.Port, Name);
            reader = new ArrowBatchReader(info.Schema, new FlightStreams(_connection, tickets, deadline), cancel);
            switch (request.Shape)
            {
                case ResultShape.NonQuery:
                    while (reader.Read())
                    {
                    }

                    // Flight reports no count of affected rows.
                    output.Value(-1L);
                    return;
                case ResultShape.Scalar:
                    output.Value(reader.FieldCount > 0 && reader.Read() && reader.GetValue(0) is not DBNull ? reader.GetValue(0) : null);
                    return;
                default:
                    _results.Deliver(reader, request.Shape, output);
                    return;
            }
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded && deadline is not null && !cancel.IsCancellationRequested)
        {
            throw new SecureConnectException(ErrorIds.QueryFailed, ErrorKind.OperationTimeout, $"The query on '{Name}' did not finish within -CommandTimeout {request.CommandTimeoutSeconds} s; it was cancelled. Rows delivered before: {_results.RowsDelivered}.", Name, e);
        }
        catch (RpcException e) when (DremioErrors.FromServer(e))
        {
            throw DremioErrors.QueryFailed(Name, e, _results.RowsDelivered);
        }
        catch (Exception e) when (e is System.IO.InvalidDataException or ArgumentException or NotImplementedException)
        {
            // Apache.Arrow.Flight 23 reads neither dictionary batches nor dictionary-encoded columns (an ArgumentException
            // from its dictionary memo, NotImplementedException for the message): say so rather than leak its stack.
            throw new SecureConnectException(ErrorIds.QueryFailed, ErrorKind.InvalidData, $"The result of the query on '{Name}' could not be read: {e.Message}. Rows delivered before: {_results.RowsDelivered}. A result with dictionary-encoded columns cannot be read by the Arrow Flight client library: cast them in the query (CAST(col AS VARCHAR)).", Name, e);
        }
        catch (Exception e) when (cancel.IsCancellationRequested && (e is OperationCanceledException || e is RpcException { StatusCode: StatusCode.Cancelled }))
        {
            throw new OperationCanceledException("The query was stopped.", e, cancel);
        }
        catch (Exception e) when (DremioErrors.IsInterruption(e))
        {
            throw ResultStream.Interrupted(Name, _results.RowsDelivered, new Exception(DremioErrors.Describe(e), e), request.Shape);
        }
        finally
        {
            // Stopped early (Select-Object -First, Ctrl+C, Scalar, an error): disposing cancels the stream on the server.
            reader?.Dispose();
        }
    }

    public void Dispose() => _connection.Dispose();

    /// <summary>
    /// The tickets to read, in order. An endpoint without a location, or at this server (by its real name and port, as
    /// the integration names it) or at arrow-flight-reuse-connection://, is read through this channel; an endpoint only
    /// at other servers is refused (QueryFailed), before any row is read.
    /// </summary>
    internal static IReadOnlyList<FlightTicket> Tickets(FlightInfo info, string hostName, int port, string name)
    {
        var tickets = new List<FlightTicket>(info.Endpoints.Count);
        for (int i = 0; i < info.Endpoints.Count; i++)
        {
            FlightEndpoint endpoint = info.Endpoints[i];
            List<string> locations = endpoint.Locations.Select(l => l.Uri).ToList();
            if (locations.Count > 0 && !locations.Any(l => IsThisServer(l, hostName, port)))
            {
                throw new SecureConnectException(
                    ErrorIds.QueryFailed,
                    ErrorKind.InvalidOperation,
                    $"The server of '{name}' placed part {i + 1} of {info.Endpoints.Count} of the result at {string.Join(", ", locations)}, not at {hostName}:{port}. SecureConnect reads a result only through the connection it opened (its tunnel and SSL policy), so it did not connect there and no row was read. Ask the server's administrator to serve results from the endpoint you connect to.",
                    name);
            }

            tickets.Add(endpoint.Ticket);
        }

        return tickets;
    }

    internal static bool IsThisServer(string location, string hostName, int port)
    {
        if (location.StartsWith(ReuseConnection, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return Uri.TryCreate(location, UriKind.Absolute, out Uri? uri)
            && string.Equals(uri.IdnHost.Trim('[', ']'), hostName.Trim('[', ']'), StringComparison.OrdinalIgnoreCase)
            && uri.Port == port;
    }

    private FlightInfo GetInfo(string query, DateTime? deadline, CancellationToken cancel)
    {
        using AsyncUnaryCall<FlightInfo> call = _connection.Client.GetInfo(FlightDescriptor.CreateCommandDescriptor(query), _connection.Headers(), deadline, cancel);
        FlightInfo info = call.ResponseAsync.GetAwaiter().GetResult();
        _connection.Remember(call.ResponseHeadersAsync.GetAwaiter().GetResult());
        return info;
    }

    /// <summary>The DoGet streams of a result's tickets, one after the other, each batch as it arrives.</summary>
    private sealed class FlightStreams : IRecordBatchSource
    {
        private readonly FlightConnection _connection;
        private readonly IReadOnlyList<FlightTicket> _tickets;
        private readonly DateTime? _deadline;
        private FlightRecordBatchStreamingCall? _call;
        private int _next;

        public FlightStreams(FlightConnection connection, IReadOnlyList<FlightTicket> tickets, DateTime? deadline)
        {
            _connection = connection;
            _tickets = tickets;
            _deadline = deadline;
        }

        public RecordBatch Current { get; private set; } = null!;

        public bool MoveNext(CancellationToken cancel)
        {
            while (true)
            {
                if (_call is null)
                {
                    if (_next >= _tickets.Count)
                    {
                        return false;
                    }

                    _call = _connection.Client.GetStream(_tickets[_next++], _connection.Headers(), _deadline, cancel);
                }

                if (_call.ResponseStream.MoveNext(cancel).GetAwaiter().GetResult())
                {
                    Current = _call.ResponseStream.Current;
                    return true;
                }

                _call.Dispose();
                _call = null;
            }
        }

        public void Dispose()
        {
            // A call still streaming is cancelled (RST_STREAM): the server stops producing the result.
            _call?.Dispose();
            _call = null;
        }
    }

    private sealed class FirstValue : IQueryOutput
    {
        public object? Value { get; private set; }

        public void Row(string[] names, object?[] values) => Value ??= values.Length > 0 ? values[0] : null;

        public void Table(System.Data.DataTable table, bool asRows)
        {
        }

        void IQueryOutput.Value(object? value) => Value = value;
    }
}
