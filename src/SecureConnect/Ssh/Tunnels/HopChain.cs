using System;
using System.Collections.Generic;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Common;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>
/// The SSH connections of one tunnel: each jump host, then the bastion, each reached through a channel of the hop
/// before it, with every host key verified. Disposing it closes them innermost first.
/// </summary>
internal sealed class HopChain : IDisposable
{
    private readonly List<ConnectedHop> _hops;
    private readonly List<SshChannelMux> _muxes;
    private readonly List<LoopbackListener> _bridges;
    private int _disposed;

    private HopChain(List<ConnectedHop> hops, List<SshChannelMux> muxes, List<LoopbackListener> bridges)
    {
        _hops = hops;
        _muxes = muxes;
        _bridges = bridges;
    }

    /// <summary>The hops as connected, jump hosts first, the bastion last.</summary>
    public IReadOnlyList<ConnectedHop> Hops => _hops;

    /// <summary>The bastion's connection, where the tunnel's channels open.</summary>
    public SshChannelMux Bastion => _muxes[^1];

    /// <summary>Every connection of the chain (a jump host's loss is the tunnel's loss too).</summary>
    public IReadOnlyList<SshChannelMux> Connections => _muxes;

    /// <summary>Why the chain no longer works, or null while every connection is up.</summary>
    public string? LostReason
    {
        get
        {
            foreach (SshChannelMux mux in _muxes)
            {
                if (mux.LostReason is { } reason)
                {
                    return reason;
                }
            }

            return null;
        }
    }

    /// <summary>What connecting to hop <paramref name="index"/> is called in Write-Progress: the jump host or the bastion, and which hop of how many.</summary>
    internal static string HopProgress(IReadOnlyList<SshHop> route, int index) =>
        $"Connecting to the {(index == route.Count - 1 ? "bastion" : "jump host")} {route[index]} (SSH hop {index + 1} of {route.Count})";

    /// <summary>Connects every hop in order. Throws (with nothing left open) when any step fails.</summary>
    public static HopChain Connect(TunnelSpec spec, SshConnector connector, Action<string> verbose, CancellationToken cancel)
    {
        SshNetInternals.EnsureAvailable();
        var hops = new List<ConnectedHop>();
        var muxes = new List<SshChannelMux>();
        var bridges = new List<LoopbackListener>();
        var chain = new HopChain(hops, muxes, bridges);
        var route = new List<SshHop>(spec.JumpHops) { spec.Bastion };
        try
        {
            string connectHost = route[0].HostName;
            int connectPort = route[0].Port;
            for (int i = 0; i < route.Count; i++)
            {
                bool last = i == route.Count - 1;
                Bridge? bridge = null;
                if (i > 0)
                {
                    // The next hop's SSH connection runs through a channel of the previous hop, via a one-time loopback port.
                    bridge = new Bridge(muxes[i - 1], route[i], spec.ConnectTimeout);
                    bridges.Add(bridge.Listener);
                    connectHost = "127.0.0.1";
                    connectPort = bridge.Listener.Port;
                }

                ConnectedHop hop;
                try
                {
                    hop = connector.Connect(route[i], connectHost, connectPort, spec.Policy, last ? spec.PinnedFingerprint : null, verbose, cancel, HopProgress(route, i));
                }
                catch (SecureConnectException e) when (bridge?.Failure is { } failure)
                {
                    throw new SecureConnectException(
                        ErrorIds.BastionUnreachable,
                        ErrorKind.ConnectionError,
                        $"The jump host {route[i - 1]} could not reach the next hop {route[i].HostName}:{route[i].Port}: {failure}.",
                        route[i].ToString(),
                        e);
                }
                catch (SecureConnectException e) when (i > 0 && e.ErrorId is ErrorIds.HostKeyUnknown or ErrorIds.HostKeyMismatch)
                {
                    // A hop behind jump hosts: the Get-SshServerKey in the message must go through them to reach it.
                    throw new SecureConnectException(e.ErrorId, e.Kind, ServerKeyScanner.WithJumpHosts(e.Message, route[i], route.GetRange(0, i)), e.Target, e.InnerException);
                }

                hops.Add(hop);
                hop.Client.KeepAliveInterval = spec.KeepAliveInterval;
                muxes.Add(new SshChannelMux(hop.Client));
            }

            return chain;
        }
        catch
        {
            chain.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (LoopbackListener bridge in _bridges)
        {
            bridge.Dispose();
        }

        // Innermost first: it runs through the outer hops' channels.
        for (int i = _hops.Count - 1; i >= 0; i--)
        {
            if (i < _muxes.Count)
            {
                _muxes[i].Dispose();
            }

            try
            {
                _hops[i].Client.Dispose();
            }
#pragma warning disable CA1031 // Teardown: SSH.NET may throw anything from a client whose connection already broke.
            catch (Exception)
            {
            }
#pragma warning restore CA1031
        }
    }

    /// <summary>A loopback port whose one connection is relayed through a channel to the next hop.</summary>
    private sealed class Bridge
    {
        private readonly SshChannelMux _through;
        private readonly SshHop _to;
        private readonly TimeSpan _timeout;
        private string? _failure;

        public Bridge(SshChannelMux through, SshHop to, TimeSpan timeout)
        {
            _through = through;
            _to = to;
            _timeout = timeout;
            Listener = LoopbackListener.Bind(0, backlog: 1);
            _ = Listener.RunAsync(RelayAsync, once: true);
        }

        public LoopbackListener Listener { get; }

        public string? Failure => Volatile.Read(ref _failure);

        private async Task RelayAsync(Socket socket)
        {
            DirectTcpipChannel channel;
            try
            {
                channel = await _through.OpenAsync(_to.HostName, _to.Port, 0, _timeout, CancellationToken.None).ConfigureAwait(false);
            }
            catch (ChannelOpenException e)
            {
                Volatile.Write(ref _failure, e.Message);
                socket.Dispose();
                return;
            }

            await channel.RelayAsync(socket, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
