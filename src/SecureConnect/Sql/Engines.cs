using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Threading;
using SecureConnect.Common;

namespace SecureConnect.Sql;

/// <summary>
/// A data engine: how to describe and connect a plan's target under the SSL policy, whatever the protocol. The ADO.NET
/// drivers are one kind (<see cref="AdoNetEngine"/>); an HTTP API, a wire protocol or a gRPC stream are others, each
/// opening an <see cref="IEngineSession"/> and translating its own errors to the common ids.
/// </summary>
internal interface IEngine
{
    IReadOnlyList<IntegrationType> Types { get; }

    EngineCapabilities Capabilities { get; }

    int DefaultPort(IntegrationType type);

    /// <summary>
    /// The plaintext port Preferred falls back to when <paramref name="port"/> does not speak TLS, for an engine that
    /// serves TLS on a port of its own (ClickHouse's HTTPS); null when TLS is negotiated on the one port.
    /// </summary>
    int? PlainFallbackPort(int port);

    /// <summary>The effective settings without secrets (Verbose, tests); refuses options that would weaken the policy.</summary>
    string Describe(ConnectionTarget target);

    /// <summary>Refuses -Option values this engine does not pass on (TLS, endpoint, login, local files), at registration.</summary>
    void CheckOptions(System.Collections.IDictionary options);

    /// <summary>Splits a -ConnectionString into endpoint, login and the remaining options.</summary>
    ParsedConnectionString Parse(string connectionString);

    /// <summary>Refuses, before anything connects, a query this engine could not send (a MongoDB -Query that is not JSON).</summary>
    void CheckQuery(QueryRequest request);

    /// <summary>Connects; a failure is an <see cref="EngineOpenException"/> carrying the engine's classification.</summary>
    IEngineSession Open(ConnectionTarget target, TlsObserver observer, string via, CancellationToken cancel);
}

/// <summary>A connection attempt that failed, as the engine classifies it (the opener adds the context).</summary>
internal sealed class EngineOpenException : Exception
{
    public EngineOpenException(ClassifiedError error, Exception inner)
        : base(error.Message, inner)
    {
        Error = error;
    }

    public ClassifiedError Error { get; }
}

/// <summary>An engine spoken through an ADO.NET driver.</summary>
internal sealed class AdoNetEngine : IEngine
{
    private readonly ISqlProvider _provider;

    public AdoNetEngine(ISqlProvider provider)
    {
        _provider = provider;
    }

    public IReadOnlyList<IntegrationType> Types => _provider.Types;

    public EngineCapabilities Capabilities => _provider.Capabilities;

    public int DefaultPort(IntegrationType type) => _provider.DefaultPort(type);

    public int? PlainFallbackPort(int port) => null;

    public string Describe(ConnectionTarget target) => _provider.DescribeConnectionString(target);

    public void CheckOptions(System.Collections.IDictionary options) => _provider.CheckOptions(options);

    public ParsedConnectionString Parse(string connectionString) => _provider.Parse(connectionString);

    public void CheckQuery(QueryRequest request)
    {
    }

    public IEngineSession Open(ConnectionTarget target, TlsObserver observer, string via, CancellationToken cancel)
    {
        DbConnection connection = _provider.CreateConnection(target, observer);
        try
        {
            ProgressReporter.Wait(connection.OpenAsync(cancel), $"Connecting to the {target.Type} database {target.HostName}:{target.Plan.Port} ({via})");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancel.IsCancellationRequested)
        {
            connection.Dispose();
            throw new EngineOpenException(_provider.ClassifyOpenError(e, target, observer), e);
        }

        return new OpenedConnection(connection, _provider, observer, target, via);
    }
}

/// <summary>The engine for each integration type.</summary>
internal static class Engines
{
    private static readonly IEngine[] s_all = SqlProviders.All.Select(p => (IEngine)new AdoNetEngine(p)).Append(new ClickHouse.ClickHouseEngine()).Append(new Mongo.MongoEngine()).Append(new Dremio.DremioEngine()).Append(new Trino.TrinoEngine()).ToArray();

    public static IEngine For(IntegrationType type) =>
        s_all.FirstOrDefault(e => e.Types.Contains(type))
        ?? throw new Common.SecureConnectException(
            Common.ErrorIds.IntegrationNotQueryable,
            Common.ErrorKind.InvalidArgument,
            $"A {type} integration is not a data engine SecureConnect queries: start a saved SSH tunnel with Start-SshTunnel -Integration <name> and point your client at its <NAME>_LOCAL_HOST and <NAME>_LOCAL_PORT variables.",
            type.ToString());
}
