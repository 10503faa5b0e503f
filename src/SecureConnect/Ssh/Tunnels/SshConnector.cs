using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using Renci.SshNet;
using Renci.SshNet.Common;
using SecureConnect.Common;
using SecureConnect.Ssh.KnownHosts;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>One SSH hop: the identity the host key is checked against, and who logs in.</summary>
internal sealed record SshHop(string HostName, int Port, string User)
{
    public override string ToString() => $"{User}@{HostName}:{Port}";
}

/// <summary>A connected, authenticated hop, with the host key it proved it holds.</summary>
internal sealed record ConnectedHop(SshHop Hop, SshClient Client, string HostKeyFingerprint, string HostKeyType, byte[] HostKeyBlob, bool NewlyTrusted);

/// <summary>
/// Connects and authenticates one SSH hop with the host key verified before anything else is sent: an unknown or
/// changed key aborts the key exchange, so no authentication attempt ever reaches an untrusted server. Nothing
/// prompts; every failure is a <see cref="SecureConnectException"/> with its stable id.
/// </summary>
internal sealed class SshConnector
{
    private static readonly string[] s_preferredCiphers = { "aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "chacha20-poly1305@openssh.com" };

    private readonly KnownHostsStore _knownHosts;
    private readonly TunnelKey _key;
    private readonly TimeSpan _connectTimeout;

    public SshConnector(KnownHostsStore knownHosts, TunnelKey key, TimeSpan connectTimeout)
    {
        _knownHosts = knownHosts;
        _key = key;
        _connectTimeout = connectTimeout;
    }

    /// <summary>
    /// Connects to <paramref name="connectHost"/>:<paramref name="connectPort"/> (the hop itself, or the local end of
    /// a forward through the previous hop) and verifies the host key as <paramref name="hop"/>'s. The optional progress
    /// text names the wait in Write-Progress ("Connecting to the bastion ..."), when the caller reports progress.
    /// </summary>
    public ConnectedHop Connect(SshHop hop, string connectHost, int connectPort, HostKeyPolicy policy, string? pinnedFingerprint, Action<string> verbose, CancellationToken cancel, string? progress = null)
    {
        KnownHostsFile known = _knownHosts.Read();
        var info = new ConnectionInfo(connectHost, connectPort, hop.User, new PrivateKeyAuthenticationMethod(hop.User, _key.Source))
        {
            Timeout = _connectTimeout,
            RetryAttempts = 1,
        };

        // The fastest ciphers first, as OpenSSH orders them when the CPU has AES instructions: AES-GCM is an AEAD
        // (no separate MAC pass), then ChaCha20-Poly1305; the server's list decides among those both allow.
        int position = 0;
        foreach (string cipher in s_preferredCiphers)
        {
            if (info.Encryptions.ContainsKey(cipher))
            {
                info.Encryptions.SetPosition(cipher, position++);
            }
        }

        // Ask only for the key types we already trust for this host, so a server cannot steer the exchange to a
        // type we have no record of (OpenSSH orders its preferences the same way).
        IReadOnlyList<string> knownTypes = HostKeyVerifier.KnownKeyTypes(known, hop.HostName, hop.Port);
        if (pinnedFingerprint is null && knownTypes.Count > 0)
        {
            RestrictHostKeyAlgorithms(info, knownTypes.SelectMany(HostKeyVerifier.HostKeyAlgorithmsFor));
        }

        HostKeyDecision? decision = null;
        string presentedType = string.Empty;
        byte[] presentedBlob = Array.Empty<byte>();
        var client = new SshClient(info);
        client.HostKeyReceived += (_, e) =>
        {
            presentedBlob = e.HostKey;
            presentedType = KeyBlob.ReadType(e.HostKey);
            decision = HostKeyVerifier.Decide(known, hop.HostName, hop.Port, presentedType, presentedBlob, policy, pinnedFingerprint);
            e.CanTrust = decision.Outcome is HostKeyOutcome.Trusted or HostKeyOutcome.TrustedByPin or HostKeyOutcome.TrustOnFirstUse;
        };

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(_connectTimeout);
        try
        {
            ProgressReporter.Wait(client.ConnectAsync(timeout.Token), progress ?? $"Connecting to {hop}");
        }
        catch (Exception e) when (e is not SecureConnectException)
        {
            client.Dispose();
            cancel.ThrowIfCancellationRequested();
            throw Translate(e, hop, decision, knownTypes);
        }

        if (decision is null)
        {
            client.Dispose();
            throw new SecureConnectException(ErrorIds.HostKeyUnknown, ErrorKind.SecurityError, $"{hop.HostName}:{hop.Port} presented no host key.", hop.ToString());
        }

        bool newlyTrusted = false;
        if (decision.Outcome == HostKeyOutcome.TrustOnFirstUse)
        {
            try
            {
                newlyTrusted = RecordNewKey(hop, presentedType, presentedBlob, decision.PresentedFingerprint, verbose);
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }

        verbose($"Connected to {hop} (host key {decision.PresentedFingerprint}, {Describe(decision.Outcome)}; cipher {client.ConnectionInfo.CurrentClientEncryption}, key exchange {client.ConnectionInfo.CurrentKeyExchangeAlgorithm}); authenticated with the key {_key.Fingerprint}.");
        return new ConnectedHop(hop, client, decision.PresentedFingerprint, presentedType, presentedBlob, newlyTrusted);
    }

    private bool RecordNewKey(SshHop hop, string keyType, byte[] blob, string fingerprint, Action<string> verbose)
    {
        // The key exchange proved the server holds this key. Checked again under the lock: a parallel runbook may
        // have recorded the host meanwhile, and a different key recorded by it must not be trusted here.
        return _knownHosts.Update(file =>
        {
            HostKeyDecision again = HostKeyVerifier.Decide(file, hop.HostName, hop.Port, keyType, blob, HostKeyPolicy.AcceptNew, null);
            if (again.Outcome == HostKeyOutcome.TrustOnFirstUse)
            {
                file.Add(hop.HostName, hop.Port, keyType, blob);
                verbose($"AcceptNew: trusted the host key of {hop.HostName}:{hop.Port} on first use ({keyType} {fingerprint}) and recorded it in known_hosts.");
                return true;
            }

            if (again.Outcome is HostKeyOutcome.Mismatch or HostKeyOutcome.Revoked)
            {
                throw new SecureConnectException(ErrorIds.HostKeyMismatch, ErrorKind.SecurityError, again.Message, hop.ToString());
            }

            return false;
        });
    }

    private static void RestrictHostKeyAlgorithms(ConnectionInfo info, IEnumerable<string> wanted)
    {
        var keep = new HashSet<string>(wanted, StringComparer.Ordinal);
        foreach (string name in info.HostKeyAlgorithms.Keys.ToList())
        {
            if (!keep.Contains(name))
            {
                info.HostKeyAlgorithms.Remove(name);
            }
        }
    }

    private static string Describe(HostKeyOutcome outcome) => outcome switch
    {
        HostKeyOutcome.TrustedByPin => "matches the pinned fingerprint",
        HostKeyOutcome.TrustOnFirstUse => "trusted on first use (AcceptNew) and recorded in known_hosts",
        _ => "trusted in known_hosts",
    };

    private SecureConnectException Translate(Exception e, SshHop hop, HostKeyDecision? decision, IReadOnlyList<string> knownTypes)
    {
        Exception inner = e is AggregateException { InnerException: { } first } ? first : e;
        if (decision is not null && decision.Outcome is HostKeyOutcome.Unknown)
        {
            return new SecureConnectException(ErrorIds.HostKeyUnknown, ErrorKind.SecurityError, decision.Message, hop.ToString(), inner);
        }

        if (decision is not null && decision.Outcome is HostKeyOutcome.Mismatch or HostKeyOutcome.Revoked)
        {
            return new SecureConnectException(ErrorIds.HostKeyMismatch, ErrorKind.SecurityError, decision.Message, hop.ToString(), inner);
        }

        if (decision is null && knownTypes.Count > 0 && inner is SshConnectionException && inner.Message.Contains("host key", StringComparison.OrdinalIgnoreCase))
        {
            // The server no longer offers any key type we trust for it: its keys were replaced.
            return new SecureConnectException(
                ErrorIds.HostKeyMismatch,
                ErrorKind.SecurityError,
                $"{hop.HostName}:{hop.Port} no longer offers a host key of the type(s) trusted for it ({string.Join(", ", knownTypes)}), so its host key was replaced. Nothing was sent to the server. " +
                $"If the change is expected, run: Remove-SshKnownHost -HostName {hop.HostName} -Port {hop.Port}; Get-SshServerKey -HostName {hop.HostName} -Port {hop.Port} | Add-SshKnownHost",
                hop.ToString(),
                inner);
        }

        if (inner is SshAuthenticationException)
        {
            return new SecureConnectException(
                ErrorIds.SshAuthenticationFailed,
                ErrorKind.AuthenticationError,
                $"{hop.HostName}:{hop.Port} refused the user '{hop.User}' with the key {_key.Fingerprint} ({inner.Message}). " +
                "Install the key for that user: add the line from 'Get-WorkspaceSshKey | ConvertTo-AuthorizedKey' to ~" + hop.User + "/.ssh/authorized_keys on the bastion.",
                hop.ToString(),
                inner);
        }

        if (inner is OperationCanceledException or SshOperationTimeoutException)
        {
            return new SecureConnectException(
                ErrorIds.BastionUnreachable,
                ErrorKind.OperationTimeout,
                $"Could not connect to {hop.HostName}:{hop.Port} within {_connectTimeout.TotalSeconds:0} s. Check the address, the port and the network path (firewall, VPN); Start-SshTunnel and Get-SshServerKey take -ConnectTimeout to wait longer.",
                hop.ToString(),
                inner);
        }

        if (inner is SocketException socket)
        {
            return new SecureConnectException(
                ErrorIds.BastionUnreachable,
                ErrorKind.ConnectionError,
                $"Could not connect to {hop.HostName}:{hop.Port}: {socket.Message} ({socket.SocketErrorCode}). Check the address, the port and that sshd is running.",
                hop.ToString(),
                inner);
        }

        return new SecureConnectException(
            ErrorIds.BastionUnreachable,
            ErrorKind.ConnectionError,
            $"The SSH connection to {hop.HostName}:{hop.Port} failed: {inner.Message}",
            hop.ToString(),
            inner);
    }
}
