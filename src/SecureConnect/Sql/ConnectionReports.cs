using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Threading;
using SecureConnect.Common;
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

    public static ConnectionReport Test(ConnectionPlan plan, NetworkCredential? login, SslPolicyLevels levels, WorkspaceStore store, Action<string> verbose, CancellationToken cancel) =>
        Test(plan, () => (login, levels), store, verbose, cancel);

    /// <summary>
    /// Tests a plan and reports the outcome, also a failure: a connection that cannot be made (unreachable, refused
    /// login, untrusted host key, TLS refused, a login that cannot be read) is a report
    /// with Connected = false, the error id a query would fail with, its message and the fix, so that testing a whole
    /// workspace does not stop at the first broken integration. <paramref name="resolve"/> gives the login and the
    /// policy; it runs inside the test because a missing secret is a broken integration too.
    /// </summary>
    public static ConnectionReport Test(ConnectionPlan plan, Func<(NetworkCredential? Login, SslPolicyLevels Levels)> resolve, WorkspaceStore store, Action<string> verbose, CancellationToken cancel)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            (NetworkCredential? login, SslPolicyLevels levels) = resolve();
            using IEngineSession session = SecureConnectionOpener.Open(plan, login, levels, store, null, verbose, cancel);
            ServerSessionInfo info = session.DescribeSession(cancel);
            stopwatch.Stop();
            return Build(plan, session, info, stopwatch.Elapsed, DateTime.Now);
        }
        catch (SecureConnectException e) when (e.ErrorId is not (ErrorIds.SslPolicyViolation or ErrorIds.SslCaNotSupported))
        {
            // A connection the workspace's policy forbids is not attempted, and stays an error: testing it would be
            // the violation (Get-SslPolicy lists those integrations).
            cancel.ThrowIfCancellationRequested();
            stopwatch.Stop();
            verbose($"'{plan.Name}' failed the test: {e.ErrorId}.");
            return Failed(plan, e, stopwatch.Elapsed);
        }
    }

    /// <summary>The report of a connection that failed (pure).</summary>
    public static ConnectionReport Failed(ConnectionPlan plan, SecureConnectException error, TimeSpan elapsed)
    {
        string via = plan.ExistingTunnel is { } tunnel
            ? $"SSH tunnel #{tunnel.Id}"
            : plan.Tunnel is { } route ? $"SSH {route.Bastion}" : "Direct";
        return new ConnectionReport(
            plan.Name,
            plan.Type,
            $"{plan.HostName}:{plan.Port}",
            via,
            plan.Mode,
            elapsed.TotalMilliseconds,
            error.ErrorId,
            error.Message,
            FixFor(error.ErrorId));
    }

    /// <summary>
    /// What to do about a failed test, by error id. The exact command, where there is one (the host to trust, the
    /// mode to raise), is in the Reason, which is the error's own message.
    /// </summary>
    public static string FixFor(string errorId) => errorId switch
    {
        ErrorIds.HostKeyUnknown => "Verify the SSH host key's fingerprint with the bastion's administrator, then trust it with the Get-SshServerKey ... | Add-SshKnownHost command in Reason.",
        ErrorIds.HostKeyMismatch => "Do not connect until the host key change is explained; if it is expected, replace the known_hosts entry with the commands in Reason.",
        ErrorIds.SshAuthenticationFailed => "Install the workspace key on the bastion: add the line from 'Get-WorkspaceSshKey | ConvertTo-AuthorizedKey' to the SSH user's authorized_keys.",
        ErrorIds.KeyPassphraseRequired => "Unlock the workspace key for this session with Unlock-WorkspaceSshKey -Passphrase <SecureString>, then test again.",
        ErrorIds.KeyPassphraseIncorrect => "Unlock the workspace key again with the right passphrase: Unlock-WorkspaceSshKey -Passphrase <SecureString>.",
        ErrorIds.WorkspaceKeyNotFound => "Create the workspace key with New-WorkspaceSshKey (or adopt one with Import-WorkspaceSshKey) and install it on the bastion.",
        ErrorIds.BastionUnreachable => "Check that the bastion's host name and port are right and that this machine can reach it (firewall, VPN).",
        ErrorIds.ForwardRefused or ErrorIds.RemoteUnreachable => "Check the database's host and port, and that the bastion may forward to it (its permitopen and firewall).",
        ErrorIds.ConnectionFailed => "Check that the server is running and reachable at the integration's host and port, from this machine or through its bastion.",
        ErrorIds.DatabaseAuthenticationFailed => "Check the user name and password: test with -Credential, then save the login with Set-SecureIntegration -Credential.",
        ErrorIds.CredentialNotFound => "Give the login with -Credential, or save the missing secret (Set-Secret) or a login (Set-SecureIntegration -Credential).",
        ErrorIds.SslNotAvailable => "Enable TLS on the server; lower the integration's SSL mode to Preferred only if plaintext is acceptable.",
        ErrorIds.SslCertificateInvalid => "Upload the CA that signed the server's certificate (Set-SecureIntegration -CaCertificatePath) and check that the certificate names the integration's host name.",
        ErrorIds.CaCertificateNotFound or ErrorIds.CaCertificateExpired or ErrorIds.CaCertificateInvalid => "Upload a valid CA certificate with Set-SecureIntegration -CaCertificatePath.",
        _ => $"See the {errorId} entry in Get-Help about_SecureConnect_Errors.",
    };

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
