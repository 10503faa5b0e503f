using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>What a tunnel connects through and to, as asked for.</summary>
internal sealed record TunnelSpec(
    SshHop Bastion,
    IReadOnlyList<SshHop> JumpHops,
    string RemoteHost,
    int RemotePort,
    int LocalPort,
    string? Name,
    HostKeyPolicy Policy,
    string? PinnedFingerprint,
    TimeSpan KeepAliveInterval,
    TimeSpan ConnectTimeout,
    bool Reconnect,
    bool NameIsLabel = false)
{
    // NameIsLabel: the name only labels the tunnel (a query's automatic tunnel is named after its integration, so
    // Get-SshTunnel shows which integration uses it): when the name is taken, the tunnel goes unnamed rather than fail.

    /// <summary>The route as people write it: jump hosts, the bastion, the remote end.</summary>
    public string Route => string.Join(" -> ", JumpHops.Select(j => j.ToString()).Append(Bastion.ToString())) + $" -> {RemoteHost}:{RemotePort}";
}

/// <summary>
/// Everything that makes two tunnels interchangeable, for security and for the caller: the route (every hop and the
/// user on it), the remote end, how host keys are checked (policy, pinned fingerprint, and the workspace whose
/// known_hosts is used), the key that logs in (its file and content), and the supervision asked for. The local port
/// and the name are not part of it: a request for any port (0) or a new name may share a tunnel.
/// </summary>
internal sealed record TunnelIdentity(
    string Route,
    string Remote,
    HostKeyPolicy Policy,
    string? PinnedFingerprint,
    string WorkspaceRoot,
    string KeyPath,
    string KeyDigest,
    bool Reconnect,
    TimeSpan KeepAliveInterval)
{
    public static TunnelIdentity For(TunnelSpec spec, string workspaceRoot, string keyPath)
    {
        static string Hop(SshHop h) => $"{h.User}@{h.HostName.ToLowerInvariant()}:{h.Port}";
        return new TunnelIdentity(
            string.Join(">", spec.JumpHops.Select(Hop).Append(Hop(spec.Bastion))),
            $"{spec.RemoteHost.ToLowerInvariant()}:{spec.RemotePort}",
            spec.Policy,
            spec.PinnedFingerprint,
            Path.GetFullPath(workspaceRoot),
            Path.GetFullPath(keyPath),
            Digest(keyPath),
            spec.Reconnect,
            spec.KeepAliveInterval);
    }

    private static string Digest(string path)
    {
        // The file's content, not its name alone: a rotated workspace key is another key.
        try
        {
            return Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unreadable:" + e.GetType().Name;
        }
    }
}
