using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Common;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>
/// The tunnel's local end: each connection to its loopback port becomes a direct-tcpip channel of the bastion's
/// current connection, relayed without a thread of its own. A connection that finds the chain dead reports it (which
/// starts recovery) and waits for the tunnel to be Up again; a refusal is recorded with its reason.
/// </summary>
internal sealed class LocalRelay : IDisposable
{
    private readonly LoopbackListener _listener;
    private readonly TunnelRuntime _tunnel;
    private readonly ConcurrentDictionary<Socket, byte> _clients = new();

    public LocalRelay(LoopbackListener listener, TunnelRuntime tunnel)
    {
        _listener = listener;
        _tunnel = tunnel;
    }

    public void Start() => _ = _listener.RunAsync(ServeAsync);

    /// <summary>Closes the port and every connection.</summary>
    public void Dispose()
    {
        _listener.Dispose();
        foreach (Socket socket in _clients.Keys)
        {
            socket.Dispose();
        }
    }

    private async Task ServeAsync(Socket client)
    {
        _tunnel.Model.ConnectionOpened();
        _clients.TryAdd(client, 0);
        CancellationToken token = _tunnel.Life;
        try
        {
            // One retry: a connection that finds the chain dead triggers recovery and waits for it.
            for (int attempt = 0; attempt < 2; attempt++)
            {
                HopChain? chain = await _tunnel.WaitUntilUpAsync(token).ConfigureAwait(false);
                if (chain is null)
                {
                    return;
                }

                int originPort = client.RemoteEndPoint is IPEndPoint origin ? origin.Port : 0;
                DirectTcpipChannel channel;
                try
                {
                    channel = await chain.Bastion.OpenAsync(_tunnel.Spec.RemoteHost, _tunnel.Spec.RemotePort, originPort, _tunnel.Spec.ConnectTimeout, token).ConfigureAwait(false);
                }
                catch (ChannelOpenException e) when (e.Refused)
                {
                    SecureConnectException error = ForwardErrors.For(_tunnel.Spec, e);
                    _tunnel.Model.SetLastError(error.Message);
                    _tunnel.Model.CountForwardRefusal(error.Message);
                    TunnelRegistry.Report($"SSH tunnel {_tunnel.Describe()}: {error.Message}");
                    return;
                }
                catch (ChannelOpenException e)
                {
                    _tunnel.OnChainLost(chain, chain.LostReason ?? e.Message);
                    continue;
                }

                await channel.RelayAsync(client, token).ConfigureAwait(false);
                return;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
        finally
        {
            _clients.TryRemove(client, out _);
            client.Dispose();
            _tunnel.Model.ConnectionClosed();
        }
    }
}
