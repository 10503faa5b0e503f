using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Threading;
using SecureConnect.Integrations;
using SecureConnect.Workspace;

namespace SecureConnect.Sql;

/// <summary>
/// Test-SecureConnection's service: opens a plan's session, asks the server about it, and reports what was checked
/// and what was not, with a warning for each weakness (plaintext, an unauthenticated server, a certificate that
/// expires soon, encryption only the client saw).
/// </summary>
internal static class ConnectionReports
{
    /// <summary>How close to its end a certificate draws a warning.</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(30);

    public static ConnectionReport Test(ConnectionPlan plan, NetworkCredential? login, SslPolicyLevels levels, WorkspaceStore store, Action<string> verbose, CancellationToken cancel)
    {
        var stopwatch = Stopwatch.StartNew();
        using IEngineSession session = SecureConnectionOpener.Open(plan, login, levels, store, null, verbose, cancel);
        ServerSessionInfo info = session.DescribeSession(cancel);
        stopwatch.Stop();
        return Build(plan, session, info, stopwatch.Elapsed, DateTime.Now);
    }

    /// <summary>The report of an open session (pure: what the handshake showed, what the server said).</summary>
    public static ConnectionReport Build(ConnectionPlan plan, IEngineSession session, ServerSessionInfo info, TimeSpan elapsed, DateTime now)
    {
        TlsObserver observer = session.Observer;
        bool callback = session.Capabilities.HasFlag(EngineCapabilities.CertificateCallback);
        bool encrypted = info.Encrypted ?? observer.HandshakeSeen;
        var warnings = new List<string>();
        if (!encrypted)
        {
            warnings.Add(plan.Mode == SslMode.Preferred
                ? "The session is NOT encrypted: the server did not offer TLS and Preferred fell back to plaintext."
                : "The session is NOT encrypted.");
        }

        if (observer.Certificate is { } certificate && certificate.NotAfter < now + ExpiryWarning)
        {
            warnings.Add($"The server certificate expires on {certificate.NotAfter:yyyy-MM-dd}, within {ExpiryWarning.TotalDays:0} days.");
        }

        if (encrypted && plan.Mode < SslMode.VerifyCA)
        {
            warnings.Add($"The certificate was not validated (SSL mode {plan.Mode}): the session is encrypted but the server is not authenticated. Use VerifyFull with the server's CA.");
        }

        if (info.Encrypted is null && callback)
        {
            warnings.Add("The server does not report its session encryption; Encrypted is what the client negotiated.");
        }

        // A driver without a certificate callback (SqlClient) validated against the system store itself, or failed to
        // connect; an uploaded CA was refused before connecting (SslCaNotSupported), so this never claims it.
        bool driverValidated = !callback && plan.Mode >= SslMode.VerifyCA;
        return new ConnectionReport(
            plan.Name,
            plan.Type,
            $"{plan.HostName}:{plan.Port}",
            session.Via,
            plan.Mode,
            encrypted,
            info.TlsProtocol,
            info.CipherSuite,
            observer.ChainValidated || driverValidated,
            observer.HostNameVerified || driverValidated,
            observer.Certificate?.Subject,
            observer.Certificate?.Issuer,
            observer.Certificate?.NotAfter,
            info.ServerVersion,
            info.ClientAddress,
            elapsed.TotalMilliseconds,
            warnings.ToArray());
    }
}
