using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using Renci.SshNet;
using Renci.SshNet.Common;
using SecureConnect.Common;
using SecureConnect.Ssh.Keys;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Ssh.Tunnels;
using SecureConnect.Workspace;

namespace SecureConnect.Ssh;

/// <summary>
/// Fetches the host keys a server presents without logging in, as ssh-keyscan does: one key exchange per host key
/// type, each aborted as soon as the server has shown its key (so no authentication is ever attempted).
/// </summary>
internal static class ServerKeyScanner
{
    // One algorithm per key type; RSA keys are asked for with rsa-sha2-512 (OpenSSH 8.8+ refuses ssh-rsa).
    private static readonly string[] s_algorithms =
    {
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "rsa-sha2-512",
    };

    public static IReadOnlyList<SshHostKey> Scan(string host, int port, TimeSpan timeout, CancellationToken cancel) =>
        Scan(host, port, host, port, timeout, cancel);

    /// <summary>
    /// Fetches the host keys of <paramref name="host"/>:<paramref name="port"/> as seen through SSH jump hosts: the
    /// jump hosts are logged in to with the workspace key (each one's host key verified against known_hosts first,
    /// as a tunnel does), and each key exchange with the server runs through a channel of the last one. The server
    /// itself is never logged in to.
    /// </summary>
    public static IReadOnlyList<SshHostKey> ScanThrough(WorkspaceStore store, IReadOnlyList<SshHop> jumps, string host, int port, TimeSpan timeout, Action<string> verbose, CancellationToken cancel)
    {
        SshNetInternals.EnsureAvailable();
        var spec = new TunnelSpec(
            Bastion: jumps[^1],
            JumpHops: jumps.Take(jumps.Count - 1).ToList(),
            RemoteHost: host,
            RemotePort: port,
            LocalPort: 0,
            Name: null,
            Policy: HostKeyPolicy.Strict,
            PinnedFingerprint: null,
            KeepAliveInterval: TimeSpan.FromSeconds(30),
            ConnectTimeout: timeout,
            Reconnect: false);
        TunnelKey key = TunnelKey.Load(store, null, null);
        var connector = new SshConnector(new KnownHostsStore(store), key, timeout);
        using HopChain chain = HopChain.Connect(spec, connector, verbose, cancel);
        using LoopbackListener relay = LoopbackListener.Bind(0, backlog: 8);
        string? failure = null;
        _ = relay.RunAsync(async socket =>
        {
            DirectTcpipChannel channel;
            try
            {
                channel = await chain.Bastion.OpenAsync(host, port, 0, timeout, CancellationToken.None).ConfigureAwait(false);
            }
            catch (ChannelOpenException e)
            {
                Volatile.Write(ref failure, e.Message);
                socket.Dispose();
                return;
            }

            await channel.RelayAsync(socket, CancellationToken.None).ConfigureAwait(false);
        });

        verbose($"Fetching the host keys of {host}:{port} through {jumps[^1]}.");
        IReadOnlyList<SshHostKey> keys = Scan(host, port, "127.0.0.1", relay.Port, timeout, cancel);
        if (keys.Count == 0 && Volatile.Read(ref failure) is { } reason)
        {
            throw new SecureConnectException(
                ErrorIds.BastionUnreachable,
                ErrorKind.ConnectionError,
                $"The jump host {jumps[^1]} could not reach {host}:{port}: {reason}.",
                $"{host}:{port}");
        }

        return keys;
    }

    /// <summary>
    /// The -JumpHost argument that reaches a hop behind <paramref name="jumps"/>, as Get-SshServerKey and
    /// Start-SshTunnel parse it (user@host:port, IPv6 in brackets, several separated by commas).
    /// </summary>
    public static string JumpHostArgument(IEnumerable<SshHop> jumps) =>
        string.Join(",", jumps.Select(j => $"{j.User}@{(j.HostName.Contains(':', StringComparison.Ordinal) ? "[" + j.HostName + "]" : j.HostName)}:{j.Port.ToString(CultureInfo.InvariantCulture)}"));

    /// <summary>
    /// A host key message of a hop behind jump hosts, with every Get-SshServerKey command in it given the -JumpHost
    /// that reaches the hop, so the command the message shows works as written.
    /// </summary>
    public static string WithJumpHosts(string message, SshHop hop, IReadOnlyList<SshHop> jumps)
    {
        if (jumps.Count == 0)
        {
            return message;
        }

        string command = $"Get-SshServerKey -HostName {hop.HostName} -Port {hop.Port.ToString(CultureInfo.InvariantCulture)}";
        return message.Replace(command, command + " -JumpHost " + JumpHostArgument(jumps), StringComparison.Ordinal);
    }

    private static IReadOnlyList<SshHostKey> Scan(string host, int port, string connectHost, int connectPort, TimeSpan timeout, CancellationToken cancel)
    {
        var keys = new List<SshHostKey>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string algorithm in s_algorithms)
        {
            byte[]? blob = FetchOne(connectHost, connectPort, algorithm, timeout, cancel);
            if (blob is null)
            {
                continue;
            }

            string fingerprint = SshFingerprint.Sha256(blob);
            if (seen.Add(fingerprint))
            {
                string type = KeyBlob.ReadType(blob);
                keys.Add(new SshHostKey(host, port, type, fingerprint, type + " " + Convert.ToBase64String(blob)));
            }
        }

        return keys;
    }

    private static byte[]? FetchOne(string host, int port, string algorithm, TimeSpan timeout, CancellationToken cancel)
    {
        var info = new ConnectionInfo(host, port, "secureconnect-keyscan", new NoneAuthenticationMethod("secureconnect-keyscan"))
        {
            Timeout = timeout,
            RetryAttempts = 1,
        };
        if (!info.HostKeyAlgorithms.ContainsKey(algorithm))
        {
            return null;
        }

        foreach (string name in info.HostKeyAlgorithms.Keys.ToList())
        {
            if (name != algorithm)
            {
                info.HostKeyAlgorithms.Remove(name);
            }
        }

        byte[]? presented = null;
        using var client = new SshClient(info);
        client.HostKeyReceived += (_, e) =>
        {
            presented = e.HostKey;
            e.CanTrust = false;
        };

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        try
        {
            ProgressReporter.Wait(client.ConnectAsync(deadline.Token), $"Fetching the {algorithm} host key of {host}:{port}");
        }
        catch (Exception e) when (presented is not null && e is not OperationCanceledException)
        {
            // The expected end: we refused the key, so the exchange stopped before authentication.
        }
        catch (Exception e) when (e is SshConnectionException && presented is null)
        {
            // The server has no key of this type ("no matching host key type").
            return null;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or SshOperationTimeoutException)
        {
            cancel.ThrowIfCancellationRequested();
            throw new SecureConnectException(
                ErrorIds.BastionUnreachable,
                e is SocketException ? ErrorKind.ConnectionError : ErrorKind.OperationTimeout,
                e is SocketException socket
                    ? $"Could not connect to {host}:{port}: {socket.Message} ({socket.SocketErrorCode})."
                    : $"Could not connect to {host}:{port} within {timeout.TotalSeconds:0} s.",
                $"{host}:{port}",
                e);
        }

        return presented;
    }
}
