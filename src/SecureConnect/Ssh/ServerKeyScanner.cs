using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using Renci.SshNet;
using Renci.SshNet.Common;
using SecureConnect.Common;
using SecureConnect.Ssh.Keys;
using SecureConnect.Ssh.Tunnels;

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

    public static IReadOnlyList<SshHostKey> Scan(string host, int port, TimeSpan timeout, CancellationToken cancel)
    {
        var keys = new List<SshHostKey>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string algorithm in s_algorithms)
        {
            byte[]? blob = FetchOne(host, port, algorithm, timeout, cancel);
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
