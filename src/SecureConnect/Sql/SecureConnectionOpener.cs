using System;
using System.Collections;
using System.Collections.Generic;
using System.Data.Common;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using SecureConnect.Common;
using SecureConnect.Integrations;
using SecureConnect.Ssh.Tunnels;
using SecureConnect.Workspace;

namespace SecureConnect.Sql;

/// <summary>A session of an ADO.NET driver (PostgreSQL, MySQL family, SQL Server): the open connection and what was learned opening it.</summary>
internal sealed class OpenedConnection : IEngineSession
{
    public OpenedConnection(DbConnection connection, ISqlProvider provider, TlsObserver observer, ConnectionTarget target, string via)
    {
        Connection = connection;
        Provider = provider;
        Observer = observer;
        Target = target;
        Via = via;
    }

    public EngineCapabilities Capabilities => Provider.Capabilities;

    public ServerSessionInfo DescribeSession(CancellationToken cancel)
    {
        try
        {
            return Provider.QuerySession(Connection, cancel);
        }
        catch (DbException e)
        {
            throw new SecureConnectException(ErrorIds.QueryFailed, ErrorKind.InvalidOperation, "Asking the server about the session failed: " + e.Message, Target.Plan.Name, e);
        }
    }

    public void Execute(QueryRequest request, IQueryOutput output, CancellationToken cancel) =>
        new QueryRunner(this, Target.Plan, cancel).Run(request.Text, request.Parameters, request.Shape, request.CommandTimeoutSeconds, output);

    public DbConnection Connection { get; }

    public ISqlProvider Provider { get; }

    public TlsObserver Observer { get; }

    public ConnectionTarget Target { get; }

    public string Via { get; }

    public void Dispose() => Connection.Dispose();
}

/// <summary>
/// Opens a connection under an SSL policy: the workspace minimum is enforced before anything is sent, the tunnel is
/// started (or reused) when the integration has a bastion, the certificate is validated against the real host name
/// even through the tunnel, and every failure gets its stable id.
/// </summary>
internal static class SecureConnectionOpener
{
    public static void EnforceMinimum(ConnectionPlan spec, SslPolicyLevels levels)
    {
        if (levels.Minimum is { } minimum && spec.Mode < minimum)
        {
            throw new SecureConnectException(
                ErrorIds.SslPolicyViolation,
                ErrorKind.SecurityError,
                $"'{spec.Name}' uses SSL mode {spec.Mode} (from {spec.ModeSource}), below the workspace minimum {minimum}; no connection was made. " +
                $"Raise it with: Set-SslPolicy -Integration {CommandText.Argument(spec.Name)} -Mode {minimum} (or change the minimum with Set-SslPolicy -Minimum).",
                spec.Name);
        }
    }

    public static IEngineSession Open(ConnectionPlan spec, NetworkCredential? credential, SslPolicyLevels levels, WorkspaceStore store, int? commandTimeout, Action<string> verbose, CancellationToken cancel)
    {
        EnforceMinimum(spec, levels);
        IEngine engine = Engines.For(spec.Type);
        if (spec.CaPath is not null && spec.Mode >= SslMode.VerifyCA && !engine.Capabilities.HasFlag(EngineCapabilities.CertificateCallback))
        {
            // SqlClient has no validation callback: it would check against the system store, and a report would
            // claim the uploaded CA was used. Refuse instead of pretending.
            throw new SecureConnectException(
                ErrorIds.SslCaNotSupported,
                ErrorKind.SecurityError,
                $"'{spec.Name}' asks for {spec.Mode} against an uploaded CA, but the {spec.Type} driver (SqlClient) can validate only against the system trust store, so the uploaded CA would not be checked. No connection was made. " +
                $"To proceed, install the CA in this machine's system trust store and use the integration without an uploaded CA (Remove-SecureIntegration -Name {CommandText.Argument(spec.Name)}; then New-SecureIntegration ... -SslMode {spec.Mode} without -CaCertificatePath), so that what is checked is what is reported.",
                spec.Name);
        }

        X509Certificate2Collection? trusted = spec.CaPath is null ? null : CaCertificates.LoadAll(spec.CaPath);
        X509Certificate2? ca = trusted?[0];

        string connectHost = spec.HostName;
        int connectPort = spec.Port;
        string via = "Direct";
        SshTunnel? tunnel = spec.ExistingTunnel;
        int? plainPort = spec.Mode == SslMode.Preferred ? engine.PlainFallbackPort(spec.Port) : null;
        string? tlsUnreachable = null;
        if (tunnel is null && spec.Tunnel is not null)
        {
            try
            {
                tunnel = TunnelLauncher.StartOrReuse(store, spec.Tunnel, null, null, verbose, cancel, waitWhileReconnecting: true);
            }
            catch (SecureConnectException e) when (e.ErrorId == ErrorIds.RemoteUnreachable && plainPort is int plain && plain != spec.Port)
            {
                // The bastion could not connect to the TLS port: under Preferred that is a server without TLS there.
                tlsUnreachable = e.Message;
                verbose($"The TLS port {spec.Port} of '{spec.Name}' is not reachable through the bastion; Preferred tries the plaintext port {plain}.");
            }
        }

        if (tunnel is not null)
        {
            EnsureRunning(tunnel, spec);
            connectHost = tunnel.LocalHost;
            connectPort = tunnel.LocalPort;
            via = Via(tunnel);
        }

        PlainFallback? fallback = plainPort is int fallbackPort
            ? new PlainFallback(fallbackPort, c => PlainRoute(spec, fallbackPort, tunnel, store, verbose, c), tlsUnreachable)
            : null;
        var target = new ConnectionTarget(spec, connectHost, connectPort, credential, ca, ConnectionPlans.ConnectTimeoutSeconds, commandTimeout, fallback);
        IReadOnlyList<Org.BouncyCastle.X509.X509Crl>? revocationLists = spec.CrlPath is null ? null : CertificateRevocationLists.LoadAll(spec.CrlPath);
        var observer = new TlsObserver(spec.Mode, spec.HostName, trusted, revocationLists);
        verbose($"Connecting to {spec.Type} {spec.HostName}:{spec.Port} via {via} with SSL mode {spec.Mode} ({engine.Describe(target)}).");
        long refusalsBefore = tunnel?.ForwardRefusals ?? 0;
        int reconnectsBefore = tunnel?.Reconnects ?? 0;
        IEngineSession session;
        try
        {
            session = engine.Open(target, observer, via, cancel);
        }
        catch (EngineOpenException e)
        {
            if (tunnel is not null && tunnel.ForwardRefusals > refusalsBefore && tunnel.LastForwardRefusal is { } refusal)
            {
                // The driver saw only a closed connection; the bastion said why.
                throw new SecureConnectException(ErrorIds.ForwardRefused, ErrorKind.PermissionDenied, $"Could not connect to {spec.Type} at {spec.HostName}:{spec.Port} ('{spec.Name}'): {refusal}", spec.Name, e.InnerException);
            }

            if (tunnel is not null && e.Error.ErrorId is ErrorIds.ConnectionFailed or ErrorIds.SslNotAvailable &&
                (tunnel.State != SshTunnelState.Up || tunnel.Reconnects != reconnectsBefore))
            {
                // The driver saw a timeout, or a connection closed unanswered (to a TLS driver, a server that seems not
                // to speak TLS): the tunnel lost its bastion meanwhile, and that is what the user must hear.
                throw new SecureConnectException(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, TunnelLost(tunnel, spec), spec.Name, e.InnerException);
            }

            throw new SecureConnectException(e.Error.ErrorId, e.Error.Kind, Describe(e.Error, spec), spec.Name, e.InnerException);
        }

        if (spec.Mode >= SslMode.Required && engine.Capabilities.HasFlag(EngineCapabilities.CertificateCallback) && !observer.HandshakeSeen)
        {
            session.Dispose();
            throw new SecureConnectException(ErrorIds.SslNotAvailable, ErrorKind.SecurityError, Describe(new ClassifiedError(ErrorIds.SslNotAvailable, ErrorKind.SecurityError, "the session is not encrypted"), spec), spec.Name);
        }

        return session;
    }

    /// <summary>
    /// The route to an engine's plaintext port: the same ad-hoc tunnel (it forwards one port, as its user chose), the
    /// integration's tunnel when the port is the same, a second tunnel of the integration to that port through the same
    /// bastion (started or reused now, only because Preferred needs it), or the host itself.
    /// </summary>
    private static ConnectionRoute PlainRoute(ConnectionPlan spec, int port, SshTunnel? tlsTunnel, WorkspaceStore store, Action<string> verbose, CancellationToken cancel)
    {
        if (spec.ExistingTunnel is { } given)
        {
            return new ConnectionRoute(given.LocalHost, given.LocalPort, Via(given));
        }

        if (spec.Tunnel is null)
        {
            return new ConnectionRoute(spec.HostName, port, "Direct");
        }

        if (port == spec.Port && tlsTunnel is not null)
        {
            return new ConnectionRoute(tlsTunnel.LocalHost, tlsTunnel.LocalPort, Via(tlsTunnel));
        }

        SshTunnel plain = TunnelLauncher.StartOrReuse(store, spec.Tunnel with { RemotePort = port }, null, null, verbose, cancel);
        EnsureRunning(plain, spec);
        return new ConnectionRoute(plain.LocalHost, plain.LocalPort, Via(plain));
    }

    private static void EnsureRunning(SshTunnel tunnel, ConnectionPlan spec)
    {
        if (tunnel.State is SshTunnelState.Stopped or SshTunnelState.Failed)
        {
            throw new SecureConnectException(
                ErrorIds.ConnectionFailed,
                ErrorKind.ConnectionError,
                $"The tunnel #{tunnel.Id} is {tunnel.State}" + (tunnel.LastError is { } error ? $" ({error})" : string.Empty) + ". Start it again with Start-SshTunnel.",
                spec.Name);
        }
    }

    private static string TunnelLost(SshTunnel tunnel, ConnectionPlan spec) =>
        $"Could not connect to {spec.Type} at {spec.HostName}:{spec.Port} ('{spec.Name}'): its SSH tunnel #{tunnel.Id} lost the connection to the bastion {tunnel.Bastion}:{tunnel.BastionPort} " +
        $"and is {tunnel.State}" + (tunnel.LastError is { } error ? $" ({error})" : string.Empty) + ". Run the query again once the tunnel is Up (Get-SshTunnel shows it).";

    private static string Via(SshTunnel tunnel) => $"SSH tunnel #{tunnel.Id} ({tunnel.User}@{tunnel.Bastion}:{tunnel.BastionPort}, 127.0.0.1:{tunnel.LocalPort})";

    private static string Describe(ClassifiedError error, ConnectionPlan spec) => error.ErrorId switch
    {
        ErrorIds.SslCertificateInvalid => $"The TLS certificate of {spec.HostName}:{spec.Port} ('{spec.Name}', SSL mode {spec.Mode}) was refused: {error.Message}. No data was sent. " +
            "Check the CA uploaded with -CaCertificatePath and that the certificate names the integration's -HostName.",
        ErrorIds.SslNotAvailable => $"'{spec.Name}' ({spec.HostName}:{spec.Port}) requires TLS (SSL mode {spec.Mode}) but {error.Message}; no data was sent. Enable TLS on the server, or use -SslMode Preferred only if plaintext is acceptable.",
        ErrorIds.DatabaseAuthenticationFailed => $"{spec.Type} at {spec.HostName}:{spec.Port} refused the login for '{spec.Name}': {error.Message}. Check the user name and password (-Credential).",
        _ => $"Could not connect to {spec.Type} at {spec.HostName}:{spec.Port} ('{spec.Name}'): {error.Message}",
    };
}
