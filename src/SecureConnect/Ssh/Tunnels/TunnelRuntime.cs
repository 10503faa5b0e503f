using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Common;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>
/// One running tunnel: the state machine that says when the bastion's SSH connection (the chain of hops) may be
/// used, and the local relay whose every connection becomes a channel of it. The relay keeps the local port for the
/// tunnel's whole life, so clients that connect while it reconnects wait instead of being refused.
/// </summary>
/// <remarks>
/// States: Connecting, then Up; Up to Reconnecting (or Failed with -NoReconnect) when the chain is lost;
/// Reconnecting to Up with a new chain, or to Failed when a host key changed; anything to Stopped, which is final.
/// Every change is a conditional transition under <see cref="_gate"/>, together with the chain it concerns, so a
/// Stop that races a reconnect or a keep-alive probe always wins: the late chain is closed, never installed.
/// </remarks>
internal sealed class TunnelRuntime : IDisposable
{
    private readonly object _gate = new();
    private readonly SshConnector _connector;
    private readonly LocalRelay _relay;
    private readonly CancellationTokenSource _life = new();
    private readonly TunnelSupervisor _supervisor;
    private HopChain? _chain;
    private System.Collections.Generic.IReadOnlyList<ConnectedHop> _verifiedHops = Array.Empty<ConnectedHop>();
    private TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TunnelRuntime(TunnelSpec spec, TunnelIdentity identity, SshConnector connector, LoopbackListener listener, SshTunnel model)
    {
        Spec = spec;
        Identity = identity;
        _connector = connector;
        _relay = new LocalRelay(listener, this);
        Model = model;
        _supervisor = new TunnelSupervisor(this);
    }

    /// <summary>The live public view.</summary>
    public SshTunnel Model { get; }

    public TunnelSpec Spec { get; }

    public TunnelIdentity Identity { get; }

    /// <summary>The chain while Up; null otherwise.</summary>
    internal HopChain? CurrentChain
    {
        get
        {
            lock (_gate)
            {
                return Model.State == SshTunnelState.Up ? _chain : null;
            }
        }
    }

    internal CancellationToken Life => _life.Token;

    internal string Describe() => Model.Name is null ? $"#{Model.Id}" : $"#{Model.Id} '{Model.Name}'";

    /// <summary>
    /// Binds the local port, connects the chain, checks once that the bastion forwards to the remote end, and starts
    /// serving. Throws (with nothing left running) when any step fails.
    /// </summary>
    public static TunnelRuntime Start(long id, TunnelSpec spec, TunnelIdentity identity, SshConnector connector, Action<string> verbose, CancellationToken cancel)
    {
        LoopbackListener listener = LoopbackListener.Bind(spec.LocalPort);
        var model = new SshTunnel(
            id,
            spec.Name,
            "127.0.0.1",
            listener.Port,
            spec.RemoteHost,
            spec.RemotePort,
            spec.Bastion.HostName,
            spec.Bastion.Port,
            spec.Bastion.User,
            spec.JumpHops.Select(h => h.ToString()).ToArray(),
            spec.Policy,
            spec.KeepAliveInterval,
            spec.ConnectTimeout,
            spec.Reconnect,
            Array.Empty<string>());

        var runtime = new TunnelRuntime(spec, identity, connector, listener, model);
        try
        {
            HopChain chain = runtime.Connect(verbose, cancel);
            ConnectedHop bastion = chain.Hops[^1];
            model.SetHostKey(bastion.HostKeyFingerprint, bastion.NewlyTrusted);
            try
            {
                ProgressReporter.Wait(runtime.CheckForwardAsync(chain, cancel), $"Checking that the bastion {spec.Bastion} forwards to {spec.RemoteHost}:{spec.RemotePort}");
            }
            catch
            {
                chain.Dispose();
                throw;
            }

            lock (runtime._gate)
            {
                runtime._chain = chain;
                runtime._verifiedHops = chain.Hops;
                model.TrySetState(SshTunnelState.Connecting, SshTunnelState.Up);
                runtime._up.TrySetResult();
            }
        }
        catch
        {
            runtime.Dispose();
            throw;
        }

        runtime._relay.Start();
        runtime._supervisor.Start();
        return runtime;
    }

    /// <summary>Checks that the bastion forwards a new connection to the remote end, and measures the SSH round trip.</summary>
    public SshTunnelTestResult Test(CancellationToken cancel)
    {
        HopChain? chain = CurrentChain;
        if (chain is null)
        {
            return Result(false, null, $"The tunnel is {Model.State}." + (Model.LastError is { } error ? " Last error: " + error : string.Empty));
        }

        TimeSpan? roundTrip = chain.Bastion.ProbeAsync(Spec.ConnectTimeout, cancel).GetAwaiter().GetResult();
        if (roundTrip is null)
        {
            return Result(false, null, chain.LostReason ?? "The bastion did not answer a keep-alive probe within the connect timeout.");
        }

        try
        {
            CheckForwardAsync(chain, cancel).GetAwaiter().GetResult();
            return Result(true, roundTrip, null);
        }
        catch (SecureConnectException e)
        {
            return Result(false, roundTrip, e.Message);
        }

        SshTunnelTestResult Result(bool forwarded, TimeSpan? rtt, string? reason) => new(
            Model.Id, Model.Name, Model.LocalPort, Model.RemoteHost, Model.RemotePort, Model.State, forwarded, rtt?.TotalMilliseconds, reason);
    }

    /// <summary>True while the host keys this tunnel verified are still trusted by <paramref name="known"/> as it asks.</summary>
    public bool HostKeysStillTrusted(KnownHosts.KnownHostsFile known)
    {
        // The keys of the last chain that came up: a tunnel that is reconnecting is still the same tunnel.
        System.Collections.Generic.IReadOnlyList<ConnectedHop> hops = Volatile.Read(ref _verifiedHops);
        if (hops.Count == 0)
        {
            return false;
        }

        foreach (ConnectedHop hop in hops)
        {
            bool last = ReferenceEquals(hop, hops[^1]);
            KnownHosts.HostKeyDecision decision = KnownHosts.HostKeyVerifier.Decide(
                known, hop.Hop.HostName, hop.Hop.Port, hop.HostKeyType, hop.HostKeyBlob, HostKeyPolicy.Strict, last ? Spec.PinnedFingerprint : null);
            if (decision.Outcome is not (KnownHosts.HostKeyOutcome.Trusted or KnownHosts.HostKeyOutcome.TrustedByPin))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Stops the tunnel for good: the port, every connection and the SSH connections.</summary>
    public void Stop()
    {
        HopChain? chain;
        lock (_gate)
        {
            Model.SetState(SshTunnelState.Stopped);
            chain = _chain;
            _chain = null;
            _up.TrySetResult();
        }

        try
        {
            _life.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _relay.Dispose();

        if (chain is not null)
        {
            // Closing sends a disconnect to each hop; give it a bounded time and let it finish in the background.
            Task.Run(chain.Dispose).Wait(TimeSpan.FromSeconds(2));
        }
    }

    public void Dispose() => Stop();

    /// <summary>
    /// The chain reports it is lost (an SSH connection ended, a probe went unanswered, a channel could not open
    /// because the client is gone). Only the current chain of an Up tunnel counts: anything else is stale.
    /// </summary>
    internal void OnChainLost(HopChain chain, string reason)
    {
        bool reconnect;
        lock (_gate)
        {
            if (!ReferenceEquals(_chain, chain) || Model.State != SshTunnelState.Up)
            {
                return;
            }

            reconnect = Spec.Reconnect;
            Model.TrySetState(SshTunnelState.Up, reconnect ? SshTunnelState.Reconnecting : SshTunnelState.Failed);
            _chain = null;
            _up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!reconnect)
            {
                _up.TrySetResult();
            }
        }

        string message = $"SSH tunnel {Describe()} lost its connection: {reason}.";
        Model.SetLastError(message);
        _ = Task.Run(chain.Dispose);
        if (reconnect)
        {
            TunnelRegistry.Report(message + " Reconnecting.");
            _supervisor.Recover();
        }
        else
        {
            TunnelRegistry.Report(message + " It does not reconnect (-NoReconnect); start it again with Start-SshTunnel.");
        }
    }

    /// <summary>Installs a reconnected chain, if the tunnel is still Reconnecting (a Stop meanwhile wins).</summary>
    internal bool TryInstall(HopChain chain)
    {
        lock (_gate)
        {
            if (Model.State != SshTunnelState.Reconnecting || chain.LostReason is not null)
            {
                return false;
            }

            _chain = chain;
            _verifiedHops = chain.Hops;
            Model.TrySetState(SshTunnelState.Reconnecting, SshTunnelState.Up);
            Model.CountReconnect();
            Model.SetLastError(null);
            _up.TrySetResult();
            return true;
        }
    }

    /// <summary>Ends reconnecting with Failed (a host key changed), if still Reconnecting.</summary>
    internal bool TryFail(string error)
    {
        lock (_gate)
        {
            if (!Model.TrySetState(SshTunnelState.Reconnecting, SshTunnelState.Failed))
            {
                return false;
            }

            Model.SetLastError(error);
            _up.TrySetResult();
            return true;
        }
    }

    /// <summary>Connects a new chain of hops (for the start and for every reconnect).</summary>
    internal HopChain Connect(Action<string> verbose, CancellationToken cancel)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, _life.Token);
        HopChain chain = HopChain.Connect(Spec, _connector, verbose, linked.Token);
        Watch(chain);
        return chain;
    }

    private void Watch(HopChain chain)
    {
        foreach (SshChannelMux mux in chain.Connections)
        {
            mux.Lost += OnMuxLost;
        }

        void OnMuxLost(SshChannelMux mux, string reason) => OnChainLost(chain, reason);
    }

    private async Task CheckForwardAsync(HopChain chain, CancellationToken cancel)
    {
        DirectTcpipChannel channel;
        try
        {
            channel = await chain.Bastion.OpenAsync(Spec.RemoteHost, Spec.RemotePort, 0, Spec.ConnectTimeout, cancel).ConfigureAwait(false);
        }
        catch (ChannelOpenException e)
        {
            throw ForwardErrors.For(Spec, e);
        }

        await channel.CloseAsync().ConfigureAwait(false);
    }

    /// <summary>The chain once the tunnel is Up (waiting up to -ConnectTimeout while it connects or reconnects); null when it is stopped, failed or still down.</summary>
    internal async Task<HopChain?> WaitUntilUpAsync(CancellationToken token)
    {
        DateTime deadline = DateTime.UtcNow + Spec.ConnectTimeout;
        while (true)
        {
            Task up;
            lock (_gate)
            {
                SshTunnelState state = Model.State;
                if (state == SshTunnelState.Up && _chain is not null)
                {
                    return _chain;
                }

                if (state is SshTunnelState.Stopped or SshTunnelState.Failed)
                {
                    return null;
                }

                up = _up.Task;
            }

            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            try
            {
                await up.WaitAsync(left, token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return null;
            }
        }
    }
}
