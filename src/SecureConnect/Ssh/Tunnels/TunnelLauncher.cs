using System;
using System.Security;
using System.Threading;
using SecureConnect.Common;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Workspace;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>Starts a tunnel, or returns the identical one that is already up (Start-SshTunnel and integrations).</summary>
internal static class TunnelLauncher
{
    public static SshTunnel StartOrReuse(WorkspaceStore store, TunnelOptions options, string? keyPath, SecureString? passphrase, Action<string> verbose, CancellationToken cancel)
    {
        TunnelRuntime? identical = TunnelRegistry.FindIdentical(options);
        if (identical is not null)
        {
            verbose($"Tunnel #{identical.Model.Id} to {options.RemoteHost}:{options.RemotePort} through {options.Bastion} is already up on 127.0.0.1:{identical.Model.LocalPort}; using it.");
            return identical.Model;
        }

        if (options.Name is not null && TunnelRegistry.FindByName(options.Name) is { } named)
        {
            throw new SecureConnectException(
                "TunnelNameInUse",
                ErrorKind.ResourceExists,
                $"The tunnel name '{options.Name}' is used by tunnel #{named.Model.Id} ({named.Model}). Stop it first (Stop-SshTunnel -Name {options.Name}) or choose another name.",
                options.Name);
        }

        TunnelKey key = TunnelKey.Load(store, keyPath, passphrase);
        var connector = new SshConnector(new KnownHostsStore(store), key, options.ConnectTimeout);
        TunnelRuntime runtime = TunnelRuntime.Start(TunnelRegistry.NextId(), options, connector, verbose, cancel);
        TunnelRuntime registered = TunnelRegistry.Add(runtime);
        verbose($"Tunnel #{registered.Model.Id}: 127.0.0.1:{registered.Model.LocalPort} -> {options.Bastion} -> {options.RemoteHost}:{options.RemotePort}.");
        return registered.Model;
    }
}
