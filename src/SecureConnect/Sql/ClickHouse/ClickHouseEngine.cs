using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Threading;
using SecureConnect.Common;
using SecureConnect.Sql.Http;

namespace SecureConnect.Sql.ClickHouse;

/// <summary>
/// ClickHouse over its HTTP interface, spoken here (no driver). TLS is HTTPS on its own port: an integration without
/// -Port is stored with 8443 (HTTPS), and Preferred falls back to plain HTTP on 8123 only when that port does not speak
/// TLS (refused, closed, or a plain HTTP reply to the ClientHello); with any other -Port, both are that port. Required
/// and above never fall back. Every request is a POST of the query with the login in X-ClickHouse-User/-Key headers,
/// the database, format, query id and settings as URL parameters.
/// </summary>
internal sealed class ClickHouseEngine : IEngine
{
    public const int HttpsPort = 8443;

    public const int HttpPort = 8123;

    public IReadOnlyList<IntegrationType> Types { get; } = new[] { IntegrationType.ClickHouse };

    public EngineCapabilities Capabilities => EngineCapabilities.CertificateCallback | EngineCapabilities.ServerSideCancel;

    public int DefaultPort(IntegrationType type) => HttpsPort;

    /// <summary>8443 (the default, HTTPS) falls back to 8123; a port given with -Port serves both.</summary>
    public int? PlainFallbackPort(int port) => port == HttpsPort ? HttpPort : port;

    public string Describe(ConnectionTarget target)
    {
        List<KeyValuePair<string, string>> settings = ClickHouseSettings.From(target.Options);
        string scheme = target.SslMode == SslMode.Preferred
            ? $"HTTPS on {target.Plan.Port}, plain HTTP on {target.Fallback?.Port ?? target.Plan.Port} if that port does not speak TLS"
            : $"HTTPS on {target.Plan.Port}";
        return $"{scheme}; database={target.Database ?? "(the user's default)"}; user={target.Credential?.UserName ?? "(default)"}; {ClickHouseSettings.Describe(settings)}";
    }

    public void CheckOptions(IDictionary options) => ClickHouseSettings.From(options);

    public ParsedConnectionString Parse(string connectionString) => ClickHouseSettings.Parse(connectionString);

    public void CheckQuery(QueryRequest request)
    {
    }

    public IEngineSession Open(ConnectionTarget target, TlsObserver observer, string via, CancellationToken cancel)
    {
        List<KeyValuePair<string, string>> settings = ClickHouseSettings.From(target.Options);
        TimeSpan connectTimeout = TimeSpan.FromSeconds(target.ConnectTimeoutSeconds);
        HttpRoute tlsRoute = new(target.ConnectHost, target.ConnectPort, Tls: true, target.Plan.Port, via, ProbeFirst: PlainFallbackPort(target.Plan.Port) == target.Plan.Port);
        if (target.Fallback is { TlsUnreachable: { } unreachable } fallback)
        {
            return OpenPlain(target, observer, settings, connectTimeout, fallback, new TlsNotSpokenException(unreachable), cancel);
        }

        var transport = new ClickHouseTransport(target.HostName, tlsRoute, target.Credential, observer, connectTimeout);
        try
        {
            return ClickHouseSession.Open(transport, target, observer, settings, cancel);
        }
        catch (EngineOpenException e) when (target.Fallback is { } plain && PlainFallbacks.IsNoTls(e.InnerException, plain.Port != target.Plan.Port))
        {
            transport.Dispose();
            return OpenPlain(target, observer, settings, connectTimeout, plain, e.InnerException!, cancel);
        }
        catch
        {
            transport.Dispose();
            throw;
        }
    }

    private static IEngineSession OpenPlain(ConnectionTarget target, TlsObserver observer, List<KeyValuePair<string, string>> settings, TimeSpan connectTimeout, PlainFallback fallback, Exception why, CancellationToken cancel)
    {
        HttpRoute plainRoute = PlainFallbacks.Connect(target, fallback, why, cancel);
        var transport = new ClickHouseTransport(target.HostName, plainRoute, target.Credential, observer, connectTimeout);
        try
        {
            return ClickHouseSession.Open(transport, target, observer, settings, cancel);
        }
        catch
        {
            transport.Dispose();
            throw;
        }
    }
}
