using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Apache.Arrow;
using Apache.Arrow.Flight;
using Apache.Arrow.Flight.Server;
using Grpc.Core;

namespace SecureConnect.Tests.FlightDouble;

/// <summary>
/// The Flight service of the double: GetFlightInfo plans a canned query (the command of the descriptor is its SQL, as
/// Dremio takes it), DoGet streams its batches by ticket, DoAction "doubleStats" returns the counters as JSON, and
/// Handshake only carries the login (headers, see <see cref="DoubleAuth"/>).
/// </summary>
public sealed class DoubleFlightServer : FlightServer
{
    public const string OtherLocation = "grpc+tls://other.example.internal:32010";

    public const string ReuseConnection = "arrow-flight-reuse-connection://?";

    private static readonly string[] s_sessionHeaders = { "schema", "routing_tag", "routing_queue", "engine", "cookie" };

    private readonly CannedTables _tables;
    private readonly DoubleStats _stats;

    public DoubleFlightServer(CannedTables tables, DoubleStats stats)
    {
        _tables = tables;
        _stats = stats;
    }

    public override Task<FlightInfo> GetFlightInfo(FlightDescriptor request, ServerCallContext context)
    {
        string query = request.Command.ToStringUtf8();
        _stats.LastQuery = query;
        _stats.LastQueryHeaders = context.RequestHeaders
            .Where(h => s_sessionHeaders.Contains(h.Key))
            .GroupBy(h => h.Key)
            .ToDictionary(g => g.Key, g => g.Last().Value);
        CannedTable table = _tables.Resolve(query);
        IReadOnlyList<FlightEndpoint> endpoints = table.Name switch
        {
            "elsewhere" => new[] { new FlightEndpoint(new FlightTicket(table.Name), new[] { new FlightLocation(OtherLocation) }) },
            "split" => new[]
            {
                new FlightEndpoint(new FlightTicket(table.Name), System.Array.Empty<FlightLocation>()),
                new FlightEndpoint(new FlightTicket(table.Name), new[] { new FlightLocation(ReuseConnection) }),
            },
            _ => new[] { new FlightEndpoint(new FlightTicket(table.Name), System.Array.Empty<FlightLocation>()) },
        };
        return Task.FromResult(new FlightInfo(table.Schema, request, endpoints, -1, -1));
    }

    public override async Task DoGet(FlightTicket ticket, FlightServerRecordBatchStreamWriter responseStream, ServerCallContext context)
    {
        CannedTable table = _tables.Resolve("SELECT * FROM " + ticket.Ticket.ToStringUtf8());
        int sent = 0;
        bool complete = false;
        try
        {
            foreach (RecordBatch batch in table.Batches())
            {
                if (sent == 2 && table.End == CannedEnd.FailAfterRows)
                {
                    throw new RpcException(new Status(StatusCode.Internal, "The Flight double's query 'failafter' failed after two batches"));
                }

                if (sent == 2 && table.End == CannedEnd.CutAfterRows)
                {
                    // As a connection that breaks: the stream is reset, no status follows. The pause lets the client
                    // take the batches already sent (a reset discards what it has not read yet).
                    await Task.Delay(300, context.CancellationToken).ConfigureAwait(false);
                    context.GetHttpContext().Abort();
                    return;
                }

                await responseStream.WriteAsync(batch).ConfigureAwait(false);
                sent++;
            }

            complete = true;
            _stats.Completed();
        }
        finally
        {
            if (!complete && context.CancellationToken.IsCancellationRequested && table.End == CannedEnd.Complete)
            {
                _stats.Cancelled();
                Console.Error.WriteLine($"cancelled DoGet {table.Name} after {sent} batches");
            }
        }
    }

    public override async Task DoAction(FlightAction request, IAsyncStreamWriter<FlightResult> responseStream, ServerCallContext context)
    {
        if (request.Type != "doubleStats")
        {
            throw new RpcException(new Status(StatusCode.Unimplemented, $"unknown action '{request.Type}': the Flight double has doubleStats"));
        }

        await responseStream.WriteAsync(new FlightResult(_stats.ToJson())).ConfigureAwait(false);
    }

    public override async Task ListActions(IAsyncStreamWriter<FlightActionType> responseStream, ServerCallContext context)
    {
        await responseStream.WriteAsync(new FlightActionType("doubleStats", "the Flight double's counters as JSON")).ConfigureAwait(false);
    }

    public override async Task Handshake(IAsyncStreamReader<FlightHandshakeRequest> requestStream, IAsyncStreamWriter<FlightHandshakeResponse> responseStream, ServerCallContext context)
    {
        // The login travels in the headers (DoubleAuth); the payloads say nothing.
        while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
        }
    }
}
