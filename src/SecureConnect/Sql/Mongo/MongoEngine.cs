using System;
using System.Collections;
using System.Collections.Generic;
using System.Threading;

namespace SecureConnect.Sql.Mongo;

/// <summary>
/// MongoDB through the official driver, always as a direct connection to the one server the socket reaches (through a
/// tunnel, following a replica set's member addresses would leave it). TLS is tried in every SSL mode, validated by
/// the observer (the uploaded CA and the integration's real host name); Preferred falls back to plaintext only when
/// the handshake ended before any certificate came (the server does not speak TLS), never after a refused
/// certificate or a timeout. Required and above never fall back.
/// </summary>
internal sealed class MongoEngine : IEngine
{
    public const int Port = 27017;

    /// <summary>The certificate is ours to validate; a stopped cursor is killed on the server; the server does not report a session's TLS.</summary>
    internal const EngineCapabilities EngineCapabilitiesOf = EngineCapabilities.CertificateCallback | EngineCapabilities.ServerSideCancel | EngineCapabilities.CollectionQueries;

    public IReadOnlyList<IntegrationType> Types { get; } = new[] { IntegrationType.MongoDB };

    public EngineCapabilities Capabilities => EngineCapabilitiesOf;

    public int DefaultPort(IntegrationType type) => Port;

    public int? PlainFallbackPort(int port) => null;

    public string Describe(ConnectionTarget target)
    {
        MongoOptions options = MongoOptionNames.From(target.Options);
        string tls = target.SslMode == SslMode.Preferred ? "TLS, plaintext if the server does not speak TLS" : "TLS";
        return $"mongodb://{target.ConnectHost}:{target.ConnectPort}; directConnection=true; {tls}; database={target.Database ?? "(admin for commands)"}; " +
            $"user={target.Credential?.UserName ?? "(none)"}; authSource={options.AuthSource}; authMechanism={options.AuthMechanism ?? "(negotiated SCRAM)"}; " +
            $"appName={options.AppName ?? MongoClientSetup.DefaultAppName}; connect and server selection timeout={target.ConnectTimeoutSeconds} s; one connection";
    }

    public void CheckOptions(IDictionary options) => MongoOptionNames.From(options);

    public ParsedConnectionString Parse(string connectionString) => MongoOptionNames.Parse(connectionString);

    /// <summary>The command is built (JSON read, filters converted) and -Parameters refused before connecting.</summary>
    public void CheckQuery(QueryRequest request) => MongoSession.Command(request, null, "(check)");

    public IEngineSession Open(ConnectionTarget target, TlsObserver observer, string via, CancellationToken cancel)
    {
        MongoOptions options = MongoOptionNames.From(target.Options);
        try
        {
            return MongoSession.Open(target, observer, options, tls: true, via, cancel);
        }
        catch (EngineOpenException e) when (target.SslMode == SslMode.Preferred && MongoErrors.IsNoTls(e.InnerException, observer))
        {
            return MongoSession.Open(target, observer, options, tls: false, via, cancel);
        }
    }
}
