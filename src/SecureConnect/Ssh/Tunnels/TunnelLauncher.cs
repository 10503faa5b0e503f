using System;
using System.Security;
using System.Threading;
using SecureConnect.Common;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Workspace;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>Starts a tunnel, or returns the identical one that is already up or starting (Start-SshTunnel and integrations).</summary>
internal static class TunnelLauncher
{
    /// <summary>
    /// Starts the tunnel of <paramref name="spec"/> or reuses the identical one. With <paramref name="waitWhileReconnecting"/>
    /// (a query about to connect through it), a reused tunnel that is reconnecting is waited for (up to its connect
    /// timeout, as its relay would wait for the connection anyway), with Write-Progress saying so.
    /// </summary>
    public static SshTunnel StartOrReuse(WorkspaceStore store, TunnelSpec spec, string? keyPath, SecureString? passphrase, Action<string> verbose, CancellationToken cancel, bool waitWhileReconnecting = false)
    {
        if (spec.Name is not null && !spec.NameIsLabel)
        {
            EnvironmentNames.Validate(spec.Name);
        }

        SshNetInternals.EnsureAvailable();
        // keyPath is already full: the cmdlet resolved it against PowerShell's location, not the process's directory.
        string resolvedKey = keyPath ?? new WorkspaceKeyService(store).Get().PrivateKeyPath;
        TunnelIdentity identity = TunnelIdentity.For(spec, store.Paths.Root, resolvedKey);
        var knownHosts = new KnownHostsStore(store);

        TunnelRuntime runtime = TunnelRegistry.GetOrStart(
            spec,
            identity,
            existing => existing.HostKeysStillTrusted(knownHosts.Read()),
            () =>
            {
                TunnelKey key = TunnelKey.Load(store, keyPath, passphrase);
                var connector = new SshConnector(knownHosts, key, spec.ConnectTimeout);
                TunnelRuntime started = TunnelRuntime.Start(TunnelRegistry.NextId(), spec, identity, connector, verbose, cancel);
                verbose($"Tunnel #{started.Model.Id}: 127.0.0.1:{started.Model.LocalPort} -> {spec.Bastion} -> {spec.RemoteHost}:{spec.RemotePort}.");
                return started;
            },
            verbose,
            cancel);
        if (waitWhileReconnecting && runtime.Model.State == SshTunnelState.Reconnecting)
        {
            verbose($"Tunnel #{runtime.Model.Id} is reconnecting to {spec.Bastion}; waiting for it.");
            ProgressReporter.Wait(runtime.WaitUntilUpAsync(cancel), $"Waiting for SSH tunnel #{runtime.Model.Id} to reconnect to the bastion {spec.Bastion}");
        }

        return runtime.Model;
    }
}
