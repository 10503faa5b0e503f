using System;
using System.Collections;
using System.Collections.Generic;
using System.Threading;
using SecureConnect.Common;
using SecureConnect.Sql.Http;

namespace SecureConnect.Sql.Trino;

/// <summary>
/// Trino over its client REST protocol, spoken here (no driver). TLS is HTTPS on its own port: an integration without
/// -Port is stored with 8443, and Preferred falls back to plain HTTP on 8080 only when that port does not speak TLS
/// (refused, closed, or a plain HTTP reply to the ClientHello); with any other -Port, both are that port (asked GET
/// /v1/info in plain HTTP first). Required and above never fall back. A password (HTTP Basic) goes only over HTTPS, as
/// Trino accepts it: Preferred with a password on a server without TLS is SslNotAvailable, never a plaintext login.
/// </summary>
internal sealed class TrinoEngine : IEngine
{
    public const int HttpsPort = 8443;

    public const int HttpPort = 8080;

    public IReadOnlyList<IntegrationType> Types { get; } = new[] { IntegrationType.Trino };

    public EngineCapabilities Capabilities => EngineCapabilities.CertificateCallback | EngineCapabilities.ServerSideCancel;

    public int DefaultPort(IntegrationType type) => HttpsPort;

    /// <summary>8443 (the default, HTTPS) falls back to 8080; a port given with -Port serves both.</summary>
    public int? PlainFallbackPort(int port) => port == HttpsPort ? HttpPort : port;

    public string Describe(ConnectionTarget target)
    {
        TrinoSessionHeaders headers = TrinoOptions.From(target.Options, target.Database);
        string scheme = target.SslMode == SslMode.Preferred
            ? $"HTTPS on {target.Plan.Port}, plain HTTP on {target.Fallback?.Port ?? target.Plan.Port} if that port does not speak TLS (never with a password)"
            : $"HTTPS on {target.Plan.Port}";
        string login = string.IsNullOrEmpty(target.Credential?.Password) ? "no password" : "password (HTTP Basic, over HTTPS only)";
        return $"{scheme}; user={(string.IsNullOrEmpty(target.Credential?.UserName) ? Environment.UserName : target.Credential.UserName)}; {login}; {headers.Describe()}";
    }

    public void CheckOptions(IDictionary options) => TrinoOptions.From(options, null);

    public ParsedConnectionString Parse(string connectionString) => TrinoOptions.Parse(connectionString);

    public void CheckQuery(QueryRequest request) => TrinoParameters.Prepare(request.Text, request.Parameters);

    public IEngineSession Open(ConnectionTarget target, TlsObserver observer, string via, CancellationToken cancel)
    {
        TrinoSessionHeaders headers;
        try
        {
            headers = TrinoOptions.From(target.Options, target.Database);
        }
        catch (SecureConnectException e)
        {
            throw new EngineOpenException(new ClassifiedError(e.ErrorId, e.Kind, e.Message), e);
        }

        TimeSpan connectTimeout = TimeSpan.FromSeconds(target.ConnectTimeoutSeconds);
        if (target.Fallback is { TlsUnreachable: { } unreachable } fallback)
        {
            return OpenPlain(target, observer, headers, connectTimeout, fallback, new TlsNotSpokenException(unreachable), cancel);
        }

        var tlsRoute = new HttpRoute(target.ConnectHost, target.ConnectPort, Tls: true, target.Plan.Port, via, ProbeFirst: PlainFallbackPort(target.Plan.Port) == target.Plan.Port);
        var transport = new TrinoTransport(target.HostName, tlsRoute, target.Credential, observer, connectTimeout);
        try
        {
            return TrinoSession.Open(transport, target, observer, headers, cancel);
        }
        catch (EngineOpenException e) when (target.Fallback is { } plain && PlainFallbacks.IsNoTls(e.InnerException, plain.Port != target.Plan.Port))
        {
            transport.Dispose();
            return OpenPlain(target, observer, headers, connectTimeout, plain, e.InnerException!, cancel);
        }
        catch
        {
            transport.Dispose();
            throw;
        }
    }

    private static IEngineSession OpenPlain(ConnectionTarget target, TlsObserver observer, TrinoSessionHeaders headers, TimeSpan connectTimeout, PlainFallback fallback, Exception why, CancellationToken cancel)
    {
        if (!string.IsNullOrEmpty(target.Credential?.Password))
        {
            // Trino takes a password only over HTTPS; a plaintext fallback would send it in the clear.
            throw new EngineOpenException(
                new ClassifiedError(ErrorIds.SslNotAvailable, ErrorKind.SecurityError, $"the integration has a password, which is sent to Trino only over HTTPS (as Trino itself accepts it), and the coordinator does not speak TLS on port {target.Plan.Port}, so Preferred did not fall back to plain HTTP (it does only without a password)"),
                why);
        }

        HttpRoute plainRoute = PlainFallbacks.Connect(target, fallback, why, cancel);
        var transport = new TrinoTransport(target.HostName, plainRoute, target.Credential, observer, connectTimeout);
        try
        {
            return TrinoSession.Open(transport, target, observer, headers, cancel);
        }
        catch
        {
            transport.Dispose();
            throw;
        }
    }
}
