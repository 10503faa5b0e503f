using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using SecureConnect.Common;
using SecureConnect.Integrations;
using SecureConnect.Ssh.Tunnels;

namespace SecureConnect.Sql;

/// <summary>
/// The one immutable plan of a connection: the endpoint (as its certificate names it), the SSL policy and where it came
/// from, the CA and CRL files, the route (a tunnel to start, or one already running, or none), and the driver options.
/// The login travels beside it, never inside (a plan is safe to show in Verbose output).
/// </summary>
internal sealed record ConnectionPlan(
    string Name,
    IntegrationType Type,
    string HostName,
    int Port,
    string? Database,
    SslMode Mode,
    SslModeSource ModeSource,
    string? CaPath,
    TunnelSpec? Tunnel,
    SshTunnel? ExistingTunnel,
    IDictionary Options,
    string? CrlPath = null);

/// <summary>
/// A plan bound to its route, as an engine connects it: where the socket goes (the tunnel's local end, or the host
/// itself), the login, the CA loaded, and the timeouts. The name checked in the certificate is the plan's host name.
/// <see cref="Fallback"/> is set only under Preferred for an engine that serves plaintext on another port.
/// </summary>
internal sealed record ConnectionTarget(
    ConnectionPlan Plan,
    string ConnectHost,
    int ConnectPort,
    NetworkCredential? Credential,
    System.Security.Cryptography.X509Certificates.X509Certificate2? CaCertificate,
    int ConnectTimeoutSeconds,
    int? CommandTimeoutSeconds,
    PlainFallback? Fallback = null)
{
    public IntegrationType Type => Plan.Type;

    public string HostName => Plan.HostName;

    public string? Database => Plan.Database;

    public SslMode SslMode => Plan.Mode;

    public IDictionary Options => Plan.Options;
}

/// <summary>Where a socket goes to reach a port of the server: the host itself, or a tunnel's local end.</summary>
internal sealed record ConnectionRoute(string Host, int Port, string Via);

/// <summary>
/// Where a Preferred connection goes when the TLS port does not speak TLS, for an engine that serves TLS and
/// plaintext on different ports (ClickHouse's HTTPS and HTTP): the plaintext port, reached the way the TLS port is
/// (directly, through the same ad-hoc tunnel, or through an integration's tunnel of its own to that port, started
/// only when <see cref="Connect"/> is called). <see cref="TlsUnreachable"/> says why the TLS port could not be reached
/// at all (the bastion could not connect to it), so the engine goes to the plaintext port at once.
/// </summary>
internal sealed record PlainFallback(int Port, Func<System.Threading.CancellationToken, ConnectionRoute> Connect, string? TlsUnreachable = null);

/// <summary>A connection asked for without an integration: the engine and endpoint, or a driver connection string.</summary>
internal sealed record AdHocRequest(
    IntegrationType Type,
    string? HostName,
    int Port,
    string? Database,
    string? ConnectionString,
    SslMode? SslMode,
    string? CaPath,
    SshTunnel? Tunnel,
    NetworkCredential? Credential);

/// <summary>A plan, the login it carries, the policy it is held to, and what the user should be told about it.</summary>
internal sealed record PlannedConnection(ConnectionPlan Plan, NetworkCredential? Login, SslPolicyLevels Levels, IReadOnlyList<string> Warnings);

/// <summary>
/// Builds the one immutable plan of a connection (endpoint, SSL policy and where it came from, CA and CRL, route,
/// driver options) in one place, from an integration or from ad-hoc parameters or a connection string, reading the
/// workspace once. Paths arrive resolved; the login of an integration is resolved by the caller, which may ask a vault.
/// </summary>
internal static class ConnectionPlans
{
    /// <summary>How long a driver may take to connect (and to finish TLS and the login).</summary>
    public const int ConnectTimeoutSeconds = 15;

    /// <summary>The plan of a registered integration, with its record (for the caller's credential lookup).</summary>
    public static (ConnectionPlan Plan, IntegrationRecord Record, SslPolicyLevels Levels) ForIntegration(IntegrationStore integrations, string name)
    {
        (IntegrationRecord record, SslPolicyLevels levels) = integrations.GetWithPolicy(name);

        // A saved SSH tunnel has no plan: IntegrationNotQueryable, before the minimum is checked or a vault is asked.
        _ = Engines.For(record.Type);
        (SslMode effective, SslModeSource modeSource) = IntegrationStore.Effective(record, levels);
        var options = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (KeyValuePair<string, string> option in record.Options)
        {
            options[option.Key] = option.Value;
        }

        var spec = new ConnectionPlan(
            record.Name, record.Type, record.HostName, record.Port, record.Database, effective, modeSource,
            integrations.CaPath(record), IntegrationTunnels.For(record), null, options, integrations.CrlPath(record));
        return (spec, record, levels);
    }

    /// <summary>The plan of an ad-hoc connection (engine and endpoint, or a connection string).</summary>
    public static PlannedConnection ForAdHoc(AdHocRequest request, SslPolicyLevels levels)
    {
        (SslMode mode, SslModeSource source) = IntegrationStore.Effective(request.SslMode, levels);
        IEngine provider = Engines.For(request.Type);
        InputText.CheckName(request.Database, "Database");
        InputText.CheckName(request.Credential?.UserName, "Credential");
        if (request.ConnectionString is null)
        {
            string host = request.HostName ?? throw new SecureConnectException(ErrorIds.InvalidConnectionString, ErrorKind.InvalidArgument, "No host was given.", "HostName");
            IntegrationEdits.CheckHostName(host, hasConnectionString: true);
            int port = request.Port == 0 ? provider.DefaultPort(request.Type) : request.Port;
            var spec = new ConnectionPlan($"{host}:{port}", request.Type, host, port, request.Database, mode, source, request.CaPath, null, request.Tunnel, new Hashtable());
            return new PlannedConnection(spec, request.Credential, levels, Array.Empty<string>());
        }

        ParsedConnectionString parsed;
        try
        {
            parsed = provider.Parse(request.ConnectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException or KeyNotFoundException or OverflowException or InvalidCastException)
        {
            // The drivers' builders reject what they cannot read in all of these ways (Npgsql a key it half knows with
            // KeyNotFoundException, SqlClient a number too large with OverflowException): each is a connection string
            // that is not valid, never a fault to show raw (fuzzing found both).
            throw new SecureConnectException(ErrorIds.InvalidConnectionString, ErrorKind.InvalidArgument, $"The connection string is not valid for {request.Type}: {e.Message}", "ConnectionString", e);
        }

        string parsedHost = parsed.Host ?? throw new SecureConnectException(ErrorIds.InvalidConnectionString, ErrorKind.InvalidArgument, "The connection string names no host (Host=, Server= or Data Source=).", "ConnectionString");
        var warnings = new List<string>();
        if (!string.IsNullOrEmpty(parsed.Password))
        {
            // The command line, with the password in it, is now in the history and any transcript.
            warnings.Add("The connection string holds a password, which PowerShell keeps in its history and transcripts as plain text. Pass the login with -Credential (Get-Credential, or Get-Secret from a vault) instead, and remove Password= from the string.");
        }

        int parsedPort = parsed.Port is int p and > 0 ? p : provider.DefaultPort(request.Type);
        NetworkCredential? login = request.Credential ?? (parsed.User is null ? null : new NetworkCredential(parsed.User, parsed.Password));
        var fromString = new ConnectionPlan($"{parsedHost}:{parsedPort}", request.Type, parsedHost, parsedPort, parsed.Database, mode, source, request.CaPath, null, request.Tunnel, parsed.Options);
        return new PlannedConnection(fromString, login, levels, warnings);
    }
}
