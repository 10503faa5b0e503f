using System;
using System.Collections;
using System.Threading;

namespace SecureConnect.Sql;

/// <summary>What an engine can do, declared instead of asked by type.</summary>
[Flags]
internal enum EngineCapabilities
{
    None = 0,

    /// <summary>The driver hands the server certificate to SecureConnect's validator (so an uploaded CA can be the only trust).</summary>
    CertificateCallback = 1,

    /// <summary>The server reports the session's encryption itself (Test-SecureConnection says so; else the client side is reported).</summary>
    ServerReportsEncryption = 2,

    /// <summary>A stopped result is cancelled on the server.</summary>
    ServerSideCancel = 4,

    /// <summary>Queries a collection with -Collection, -Filter, -Projection, -Sort and -Limit (a document store).</summary>
    CollectionQueries = 8,
}

/// <summary>
/// One query: its text, its parameters, how its result is handed out, and how long it may run; or, for an engine with
/// <see cref="EngineCapabilities.CollectionQueries"/>, a collection query (<see cref="Find"/>) instead of the text.
/// </summary>
internal sealed record QueryRequest(string Text, IDictionary? Parameters, ResultShape Shape, int? CommandTimeoutSeconds, Mongo.FindRequest? Find = null);

/// <summary>
/// An open session with a data engine, whatever it speaks (an ADO.NET driver, an HTTP API, a wire protocol, a gRPC
/// stream): it streams a query's result to an output (column names, then values), and reports what the TLS handshake
/// showed and what the server says about the session. Errors carry the common ids (QueryFailed, QueryInterrupted, ...).
/// </summary>
internal interface IEngineSession : IDisposable
{
    EngineCapabilities Capabilities { get; }

    /// <summary>What the TLS handshake showed (certificate, chain, name).</summary>
    TlsObserver Observer { get; }

    /// <summary>How the session reached the server (Direct, or the tunnel).</summary>
    string Via { get; }

    /// <summary>What the server says about this session: encryption, client address, version.</summary>
    ServerSessionInfo DescribeSession(CancellationToken cancel);

    /// <summary>Runs a query and streams its result to <paramref name="output"/> on the calling thread.</summary>
    void Execute(QueryRequest request, IQueryOutput output, CancellationToken cancel);
}
