using System;
using System.Collections;
using System.Collections.Generic;
using System.Threading;
using SecureConnect.Common;

namespace SecureConnect.Sql.Dremio;

/// <summary>
/// Dremio over Arrow Flight (gRPC, HTTP/2), spoken with Apache.Arrow.Flight over Grpc.Net.Client on port 32010. TLS is
/// tried in every SSL mode and the certificate is checked by the observer (the uploaded CA, the integration's real host
/// name through the tunnel); Preferred falls back to plain h2c only when the TLS handshake failed before any
/// certificate came (the server does not speak TLS), never after a refused certificate or a timeout. The login is
/// Dremio's: basic on a Handshake call, answered with a bearer token for the later calls, or a token as a bearer
/// (-Option @{ AuthMode = 'Token' }).
/// </summary>
internal sealed class DremioEngine : IEngine
{
    public const int Port = 32010;

    /// <summary>The certificate is ours to validate; a stopped stream is cancelled on the server; the server does not report a session's TLS.</summary>
    internal const EngineCapabilities EngineCapabilitiesOf = EngineCapabilities.CertificateCallback | EngineCapabilities.ServerSideCancel;

    public IReadOnlyList<IntegrationType> Types { get; } = new[] { IntegrationType.Dremio };

    public EngineCapabilities Capabilities => EngineCapabilitiesOf;

    public int DefaultPort(IntegrationType type) => Port;

    public int? PlainFallbackPort(int port) => null;

    public string Describe(ConnectionTarget target)
    {
        DremioOptions options = DremioOptionNames.From(target.Options, target.Database);
        string tls = target.SslMode == SslMode.Preferred ? "TLS (h2), plain h2c if the server does not speak TLS" : "TLS (h2)";
        return $"Arrow Flight at {target.HostName}:{target.Plan.Port} (socket to {target.ConnectHost}:{target.ConnectPort}); {tls}; " +
            $"user={target.Credential?.UserName ?? "(none)"}; {DremioOptionNames.Describe(options)}; connect timeout={target.ConnectTimeoutSeconds} s";
    }

    public void CheckOptions(IDictionary options) => DremioOptionNames.From(options);

    public ParsedConnectionString Parse(string connectionString) => DremioOptionNames.Parse(connectionString);

    public void CheckQuery(QueryRequest request) => RefuseParameters(request, "(check)");

    public IEngineSession Open(ConnectionTarget target, TlsObserver observer, string via, CancellationToken cancel)
    {
        DremioOptions options = DremioOptionNames.From(target.Options, target.Database);
        try
        {
            return DremioSession.Open(target, observer, options, tls: true, via, cancel);
        }
        catch (EngineOpenException e) when (target.SslMode == SslMode.Preferred && DremioErrors.IsNoTls(e.InnerException, observer))
        {
            return DremioSession.Open(target, observer, options, tls: false, via, cancel);
        }
    }

    /// <summary>Dremio's Flight endpoint takes SQL text only: values cannot be bound, and are never spliced in.</summary>
    internal static void RefuseParameters(QueryRequest request, string name)
    {
        if (request.Parameters is { Count: > 0 })
        {
            throw new SecureConnectException(
                ErrorIds.ParameterNotApplicable,
                ErrorKind.InvalidArgument,
                $"Dremio's Arrow Flight endpoint takes the query as text only, so -Parameters cannot be bound for '{name}', and SecureConnect never splices values into the query text. Nothing was sent. Run the query without -Parameters (with literal values you have checked).",
                "Parameters");
        }
    }
}
