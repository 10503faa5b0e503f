using System;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Common;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>
/// Watches an Up tunnel with keep-alive probes that get a reply (as OpenSSH's ServerAliveInterval), and brings a
/// lost one back with backoff. Every failure ends in another bounded attempt or in Failed with the reason; the loops
/// never die silently and never outlive the tunnel.
/// </summary>
internal sealed class TunnelSupervisor
{
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(30);

    private readonly TunnelRuntime _tunnel;
    private int _recovering;

    public TunnelSupervisor(TunnelRuntime tunnel)
    {
        _tunnel = tunnel;
    }

    public void Start() => _ = Task.Run(WatchAsync);

    /// <summary>Starts recovering, unless a recovery runs already.</summary>
    public void Recover()
    {
        if (Interlocked.Exchange(ref _recovering, 1) == 0)
        {
            _ = Task.Run(RecoverAsync);
        }
    }

    private async Task WatchAsync()
    {
        CancellationToken life = _tunnel.Life;
        TimeSpan interval = _tunnel.Spec.KeepAliveInterval;
        while (!life.IsCancellationRequested)
        {
            try
            {
                // Probe every half interval with a reply deadline of two intervals: a silent peer is seen within
                // about two intervals; a closed connection is reported at once by the chain itself.
                await Task.Delay(TimeSpan.FromTicks(interval.Ticks / 2), life).ConfigureAwait(false);
                HopChain? chain = _tunnel.CurrentChain;
                if (chain is null)
                {
                    continue;
                }

                if (chain.LostReason is { } lost)
                {
                    _tunnel.OnChainLost(chain, lost);
                    continue;
                }

                TimeSpan? rtt = await chain.Bastion.ProbeAsync(interval + interval, life).ConfigureAwait(false);
                if (rtt is null && !life.IsCancellationRequested)
                {
                    _tunnel.OnChainLost(chain, chain.LostReason ?? $"the bastion did not answer keep-alive probes for {(interval + interval).TotalSeconds:0} s");
                }
            }
            catch (OperationCanceledException) when (life.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The watcher must survive anything: record it and go on.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _tunnel.Model.SetLastError("Tunnel supervisor: " + e.Message);
                TunnelRegistry.Report($"SSH tunnel {_tunnel.Describe()}: {e.Message}");
            }
        }
    }

    private async Task RecoverAsync()
    {
        CancellationToken life = _tunnel.Life;
        TimeSpan backoff = TimeSpan.FromSeconds(1);
        try
        {
            while (!life.IsCancellationRequested && _tunnel.Model.State == SshTunnelState.Reconnecting)
            {
                HopChain? chain = null;
                try
                {
                    chain = _tunnel.Connect(_ => { }, life);
                    if (_tunnel.TryInstall(chain))
                    {
                        TunnelRegistry.Report($"SSH tunnel {_tunnel.Describe()} reconnected (reconnect #{_tunnel.Model.Reconnects}).");
                        return;
                    }

                    chain.Dispose();
                    if (_tunnel.Model.State != SshTunnelState.Reconnecting)
                    {
                        // Stopped meanwhile: the new connection was closed, never used.
                        return;
                    }
                }
                catch (SecureConnectException e) when (e.ErrorId is ErrorIds.HostKeyMismatch or ErrorIds.HostKeyUnknown)
                {
                    // A changed host key is never retried: it needs a person to decide.
                    if (_tunnel.TryFail(e.Message))
                    {
                        TunnelRegistry.Report($"SSH tunnel {_tunnel.Describe()} stopped reconnecting: {e.Message}");
                    }

                    return;
                }
                catch (OperationCanceledException) when (life.IsCancellationRequested)
                {
                    return;
                }
#pragma warning disable CA1031 // Any failure (SSH.NET's, a socket's, a file's) is retried, never left to wedge the tunnel.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    chain?.Dispose();
                    _tunnel.Model.SetLastError($"Reconnecting: {e.Message}");
                }

                await Task.Delay(backoff, life).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxBackoff.Ticks));
            }
        }
        catch (OperationCanceledException) when (life.IsCancellationRequested)
        {
        }
        finally
        {
            Interlocked.Exchange(ref _recovering, 0);
            if (!life.IsCancellationRequested && _tunnel.Model.State == SshTunnelState.Reconnecting)
            {
                // Lost again between the last attempt and this exit: keep going.
                Recover();
            }
        }
    }
}
