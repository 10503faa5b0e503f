using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Renci.SshNet;
using Renci.SshNet.Common;
using SecureConnect.Common;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>What a tunnel connects through and to.</summary>
internal sealed record TunnelOptions(
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
    bool Reconnect);

/// <summary>
/// One running tunnel. Our own listener on 127.0.0.1 keeps the local port for the tunnel's whole life (so clients
/// that connect while it reconnects wait instead of being refused) and relays each connection to SSH.NET's
/// forwarded port on an internal ephemeral port, which opens the direct-tcpip channel through the bastion. A
/// supervisor probes the bastion connection, and on loss reconnects the whole chain with backoff, verifying host
/// keys again.
/// </summary>
internal sealed class TunnelRuntime : IDisposable
{
    private const int RelayBufferSize = 64 * 1024;

    private readonly TunnelOptions _options;
    private readonly SshConnector _connector;
    private readonly CancellationTokenSource _life = new();
    private readonly ConcurrentDictionary<Socket, byte> _sockets = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly object _chainLock = new();
    private readonly Socket _listener;
    private List<SshClient> _clients = new();
    private KeepAliveProbe? _probe;
    private readonly object _forwardLock = new();
    private TaskCompletionSource _up = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _forwardFailures;
    private string? _lastForwardFailure;
    private Task? _acceptLoop;
    private Task? _supervisor;
    private int _stopped;

    private TunnelRuntime(TunnelOptions options, SshConnector connector, Socket listener, SshTunnel model)
    {
        _options = options;
        _connector = connector;
        _listener = listener;
        Model = model;
    }

    /// <summary>The live public view.</summary>
    public SshTunnel Model { get; }

    public TunnelOptions Options => _options;

    /// <summary>
    /// Binds the local port, connects the chain of hops and starts relaying. Throws (with nothing left running)
    /// when any step fails.
    /// </summary>
    public static TunnelRuntime Start(long id, TunnelOptions options, SshConnector connector, Action<string> verbose, CancellationToken cancel)
    {
        Socket listener = Bind(options.LocalPort);
        int localPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        string[] variables = options.Name is null ? Array.Empty<string>() : EnvironmentNames.For(options.Name);
        var model = new SshTunnel(
            id,
            options.Name,
            "127.0.0.1",
            localPort,
            options.RemoteHost,
            options.RemotePort,
            options.Bastion.HostName,
            options.Bastion.Port,
            options.Bastion.User,
            options.JumpHops.Select(h => h.ToString()).ToArray(),
            options.Policy,
            options.KeepAliveInterval,
            options.ConnectTimeout,
            options.Reconnect,
            variables);

        var runtime = new TunnelRuntime(options, connector, listener, model);
        try
        {
            runtime.ConnectChain(verbose, cancel);
        }
        catch
        {
            runtime.Dispose();
            throw;
        }

        model.SetState(SshTunnelState.Up);
        runtime._up.TrySetResult();
        if (variables.Length == 2)
        {
            Environment.SetEnvironmentVariable(variables[0], model.LocalHost);
            Environment.SetEnvironmentVariable(variables[1], localPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
            verbose($"Set ${variables[0]}={model.LocalHost} and ${variables[1]}={localPort} for this process.");
        }

        runtime._acceptLoop = Task.Run(runtime.AcceptLoopAsync);
        runtime._supervisor = Task.Run(runtime.SuperviseAsync);
        return runtime;
    }

    /// <summary>
    /// Checks that the bastion forwards a new connection to the remote end, and measures the SSH round trip.
    /// </summary>
    public SshTunnelTestResult Test(CancellationToken cancel)
    {
        SshTunnelState state = Model.State;
        if (state != SshTunnelState.Up)
        {
            return Result(false, null, $"The tunnel is {state}." + (Model.LastError is { } error ? " Last error: " + error : string.Empty));
        }

        TimeSpan? roundTrip = null;
        KeepAliveProbe? probe = _probe;
        if (probe is not null)
        {
            roundTrip = probe.ProbeAsync(_options.ConnectTimeout, cancel).GetAwaiter().GetResult();
            if (roundTrip is null)
            {
                return Result(false, null, "The bastion did not answer a keep-alive probe within the connect timeout.");
            }
        }

        long failuresBefore = Interlocked.Read(ref _forwardFailures);
        long openedBefore = probe?.ChannelsOpened ?? 0;
        OpenForward? forward = OpenForwardToRemote();
        if (forward is null)
        {
            return Result(false, roundTrip, Model.LastError ?? "The tunnel could not open a forward.");
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.ConnectAsync(IPAddress.Loopback, forward.Port, cancel).AsTask().GetAwaiter().GetResult();
            return Observe(socket);
        }
        catch (SocketException e)
        {
            return Result(false, roundTrip, "The tunnel's forwarder did not accept the connection: " + e.Message);
        }
        finally
        {
            socket.Dispose();
            forward.Close();
        }

        SshTunnelTestResult Observe(Socket socket)
        {
            // SSH.NET closes the connection as soon as the bastion refuses the channel; a forward that opened stays
            // open (the remote service waits for its client to speak first, or sends a greeting).
            TimeSpan window = TimeSpan.FromMilliseconds(Math.Max(2000, (roundTrip?.TotalMilliseconds ?? 0) * 4));
            var deadline = DateTime.UtcNow + window;
            while (DateTime.UtcNow < deadline && !cancel.IsCancellationRequested)
            {
                if (probe is not null && probe.ChannelsOpened > openedBefore && !socket.Poll(0, SelectMode.SelectRead))
                {
                    // The bastion confirmed a channel and ours is still open.
                    break;
                }

                if (socket.Poll(20_000, SelectMode.SelectRead))
                {
                    if (socket.Available > 0)
                    {
                        break;
                    }

                    // Peer closed: the channel was refused or the remote end hung up at once.
                    SpinWait.SpinUntil(() => Interlocked.Read(ref _forwardFailures) > failuresBefore, 500);
                    string reason = Interlocked.Read(ref _forwardFailures) > failuresBefore && Volatile.Read(ref _lastForwardFailure) is { } failure
                        ? $"The bastion refused to forward to {_options.RemoteHost}:{_options.RemotePort}: {failure} (check its permitopen / AllowTcpForwarding settings)."
                        : $"The connection to {_options.RemoteHost}:{_options.RemotePort} was closed at once by the remote end.";
                    return Result(false, roundTrip, reason);
                }
            }

            return Result(true, roundTrip, null);
        }

        SshTunnelTestResult Result(bool forwarded, TimeSpan? rtt, string? reason) => new(
            Model.Id, Model.Name, Model.LocalPort, Model.RemoteHost, Model.RemotePort, Model.State, forwarded, rtt?.TotalMilliseconds, reason);
    }

    /// <summary>Stops the tunnel: closes the listener and every relayed connection, disconnects, clears env vars.</summary>
    public void Stop()
    {
        Shutdown(SshTunnelState.Stopped);
    }

    public void Dispose()
    {
        Shutdown(SshTunnelState.Stopped);
        _life.Dispose();
    }

    private static Socket Bind(int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Never reuse a port another process holds (SO_EXCLUSIVEADDRUSE on Windows; Unix refuses by default).
            if (OperatingSystem.IsWindows())
            {
                listener.ExclusiveAddressUse = true;
            }

            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            listener.Listen(512);
            return listener;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            listener.Dispose();
            throw new SecureConnectException(
                "LocalPortInUse",
                ErrorKind.ResourceExists,
                $"The local port 127.0.0.1:{port} is already in use ({e.SocketErrorCode}). Choose another -LocalPort, or -LocalPort 0 for a free one.",
                port,
                e);
        }
    }

    private void ConnectChain(Action<string> verbose, CancellationToken cancel)
    {
        var hops = new List<SshHop>(_options.JumpHops) { _options.Bastion };
        var clients = new List<SshClient>();
        KeepAliveProbe? probe = null;
        string connectHost = hops[0].HostName;
        int connectPort = hops[0].Port;
        try
        {
            for (int i = 0; i < hops.Count; i++)
            {
                bool last = i == hops.Count - 1;
                ConnectedHop hop = _connector.Connect(hops[i], connectHost, connectPort, _options.Policy, last ? _options.PinnedFingerprint : null, verbose, cancel);
                clients.Add(hop.Client);
                hop.Client.KeepAliveInterval = _options.KeepAliveInterval;
                hop.Client.ErrorOccurred += OnClientError;

                if (!last)
                {
                    // The next hop's SSH connection is the only connection through this forward.
                    var forward = new ForwardedPortLocal("127.0.0.1", 0, hops[i + 1].HostName, (uint)hops[i + 1].Port);
                    hop.Client.AddForwardedPort(forward);
                    forward.Exception += OnForwardException;
                    forward.Start();
                    connectHost = "127.0.0.1";
                    connectPort = (int)forward.BoundPort;
                }
                else
                {
                    Model.SetHostKey(hop.HostKeyFingerprint, hop.NewlyTrusted);
                    probe = new KeepAliveProbe(hop.Client);
                    probe.ChannelOpenFailed += OnChannelOpenFailed;
                    if (!probe.IsSupported)
                    {
                        verbose("The keep-alive probe is unavailable with this SSH.NET build; a dead bastion is detected from the connection state only.");
                    }
                }
            }
        }
        catch
        {
            probe?.Dispose();
            DisposeClients(clients);
            throw;
        }

        lock (_chainLock)
        {
            _clients = clients;
            _probe = probe;
        }
    }

    private async Task AcceptLoopAsync()
    {
        CancellationToken token = _life.Token;
        while (!token.IsCancellationRequested)
        {
            Socket inbound;
            try
            {
                inbound = await _listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }

            _ = Task.Run(() => RelayAsync(inbound));
        }
    }

    private async Task RelayAsync(Socket inbound)
    {
        CancellationToken token = _life.Token;
        Model.ConnectionOpened();
        _sockets.TryAdd(inbound, 0);
        Socket? outbound = null;
        OpenForward? forward = null;
        try
        {
            if (!await WaitUntilUpAsync(token).ConfigureAwait(false))
            {
                return;
            }

            forward = OpenForwardToRemote();
            if (forward is null)
            {
                return;
            }

            outbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            _sockets.TryAdd(outbound, 0);
            await outbound.ConnectAsync(IPAddress.Loopback, forward.Port, token).ConfigureAwait(false);
            inbound.NoDelay = true;
            Task upstream = PumpAsync(inbound, outbound, token);
            Task downstream = PumpAsync(outbound, inbound, token);
            await Task.WhenAll(upstream, downstream).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            Close(inbound);
            if (outbound is not null)
            {
                Close(outbound);
            }

            forward?.Close();
            Model.ConnectionClosed();
        }
    }

    /// <summary>
    /// A forwarded port of its own for one connection. SSH.NET's forwarded port processes a connection on the
    /// thread that accepted it and, when the next connection is already waiting, accepts that one first on the
    /// same thread and blocks there for its whole life, starving the earlier one. One forward per connection
    /// never has a second connection waiting.
    /// </summary>
    private OpenForward? OpenForwardToRemote()
    {
        SshClient? client;
        lock (_chainLock)
        {
            client = _clients.Count > 0 ? _clients[^1] : null;
        }

        if (client is null)
        {
            return null;
        }

        var port = new ForwardedPortLocal("127.0.0.1", 0, _options.RemoteHost, (uint)_options.RemotePort);
        try
        {
            lock (_forwardLock)
            {
                client.AddForwardedPort(port);
            }

            port.Exception += OnForwardException;
            port.Start();
            return new OpenForward(this, client, port);
        }
        catch (Exception e) when (e is SshException or ObjectDisposedException or InvalidOperationException or SocketException)
        {
            Model.SetLastError($"Could not open a forward to {_options.RemoteHost}:{_options.RemotePort}: {e.Message}");
            new OpenForward(this, client, port).Close();
            return null;
        }
    }

    /// <summary>A per-connection forwarded port, removed again when its connection ends.</summary>
    private sealed class OpenForward
    {
        private readonly TunnelRuntime _owner;
        private readonly SshClient _client;
        private readonly ForwardedPortLocal _port;

        public OpenForward(TunnelRuntime owner, SshClient client, ForwardedPortLocal port)
        {
            _owner = owner;
            _client = client;
            _port = port;
        }

        public int Port => (int)_port.BoundPort;

        public void Close()
        {
            // Stopping waits for the channel to close; never on the relay's own path.
            _ = Task.Run(() =>
            {
                _port.Exception -= _owner.OnForwardException;
                try
                {
                    if (_port.IsStarted)
                    {
                        _port.Stop();
                    }

                    lock (_owner._forwardLock)
                    {
                        _client.RemoveForwardedPort(_port);
                    }

                    _port.Dispose();
                }
#pragma warning disable CA1031 // Teardown races the tunnel's own teardown; SSH.NET may throw anything then.
                catch (Exception)
                {
                }
#pragma warning restore CA1031
            });
        }
    }

    private async Task PumpAsync(Socket from, Socket to, CancellationToken token)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(RelayBufferSize);
        try
        {
            while (true)
            {
                int read = await from.ReceiveAsync(buffer.AsMemory(0, RelayBufferSize), SocketFlags.None, token).ConfigureAwait(false);
                if (read == 0)
                {
                    // Half-close: the other side may still be sending its answer.
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                int sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One direction failed: end both, as a TCP connection would.
            Close(from);
            Close(to);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<bool> WaitUntilUpAsync(CancellationToken token)
    {
        var deadline = DateTime.UtcNow + _options.ConnectTimeout;
        while (true)
        {
            SshTunnelState state = Model.State;
            if (state == SshTunnelState.Up)
            {
                return true;
            }

            if (state is SshTunnelState.Stopped or SshTunnelState.Failed)
            {
                return false;
            }

            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            Task up = Volatile.Read(ref _up).Task;
            await Task.WhenAny(up, Task.Delay(left, token)).ConfigureAwait(false);
        }
    }

    private async Task SuperviseAsync()
    {
        CancellationToken token = _life.Token;
        TimeSpan interval = _options.KeepAliveInterval;
        while (!token.IsCancellationRequested)
        {
            try
            {
                // Probe every half interval with a reply deadline of two intervals: a dead peer is seen within
                // about two intervals; an error event from SSH.NET wakes the loop at once.
                await _wake.WaitAsync(TimeSpan.FromTicks(interval.Ticks / 2), token).ConfigureAwait(false);
                if (Model.State != SshTunnelState.Up)
                {
                    continue;
                }

                string? lost = await CheckAliveAsync(interval, token).ConfigureAwait(false);
                if (lost is not null)
                {
                    await RecoverAsync(lost, token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                // The supervisor must never die silently: record and go on.
                Model.SetLastError("Tunnel supervisor: " + e.Message);
                TunnelRegistry.Report($"SSH tunnel {Describe()}: {e.Message}");
            }
        }
    }

    private async Task<string?> CheckAliveAsync(TimeSpan interval, CancellationToken token)
    {
        List<SshClient> clients;
        KeepAliveProbe? probe;
        lock (_chainLock)
        {
            clients = _clients;
            probe = _probe;
        }

        foreach (SshClient client in clients)
        {
            if (!client.IsConnected)
            {
                return $"the SSH connection to {client.ConnectionInfo.Host}:{client.ConnectionInfo.Port} was closed";
            }
        }

        if (probe is { IsSupported: true })
        {
            TimeSpan? rtt = await probe.ProbeAsync(interval + interval, token).ConfigureAwait(false);
            if (rtt is null)
            {
                return $"the bastion did not answer keep-alive probes for {(interval + interval).TotalSeconds:0} s";
            }
        }

        return null;
    }

    private async Task RecoverAsync(string reason, CancellationToken token)
    {
        string message = $"SSH tunnel {Describe()} lost its connection: {reason}.";
        Model.SetLastError(message);
        TearDownChain();
        if (!_options.Reconnect)
        {
            TunnelRegistry.Report(message + " It does not reconnect (-NoReconnect); start it again with Start-SshTunnel.");
            Shutdown(SshTunnelState.Failed);
            return;
        }

        Volatile.Write(ref _up, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        Model.SetState(SshTunnelState.Reconnecting);
        TunnelRegistry.Report(message + " Reconnecting.");

        TimeSpan backoff = TimeSpan.FromSeconds(1);
        while (!token.IsCancellationRequested)
        {
            try
            {
                ConnectChain(_ => { }, token);
                Model.CountReconnect();
                Model.SetState(SshTunnelState.Up);
                Volatile.Read(ref _up).TrySetResult();
                TunnelRegistry.Report($"SSH tunnel {Describe()} reconnected (reconnect #{Model.Reconnects}).");
                return;
            }
            catch (SecureConnectException e) when (e.ErrorId is "HostKeyMismatch" or "HostKeyUnknown")
            {
                // A changed host key is never retried: it needs a person to decide.
                Model.SetLastError(e.Message);
                TunnelRegistry.Report($"SSH tunnel {Describe()} stopped reconnecting: {e.Message}");
                Shutdown(SshTunnelState.Failed);
                return;
            }
            catch (SecureConnectException e)
            {
                Model.SetLastError($"Reconnecting: {e.Message}");
            }

            await Task.Delay(backoff, token).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    private void OnClientError(object? sender, ExceptionEventArgs e)
    {
        // SSH.NET raises connection errors as events on its own threads: never lose them.
        Model.SetLastError(e.Exception.Message);
        _wake.Release();
    }

    private void OnForwardException(object? sender, ExceptionEventArgs e)
    {
        string message = e.Exception.Message;
        Model.SetLastError($"Forward to {_options.RemoteHost}:{_options.RemotePort} failed: {message}");
        TunnelRegistry.Report($"SSH tunnel {Describe()}: a forwarded connection failed: {message}");
    }

    private void OnChannelOpenFailed(string reason)
    {
        string message = $"the bastion refused to forward to {_options.RemoteHost}:{_options.RemotePort}: {reason}";
        Volatile.Write(ref _lastForwardFailure, reason);
        Interlocked.Increment(ref _forwardFailures);
        Model.SetLastError(message);
        TunnelRegistry.Report($"SSH tunnel {Describe()}: {message}.");
    }

    private void Shutdown(SshTunnelState finalState)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            // Already shut down (Failed): stopping it now only records that and forgets it.
            if (finalState == SshTunnelState.Stopped)
            {
                Model.SetState(SshTunnelState.Stopped);
                TunnelRegistry.Remove(Model.Id);
            }

            return;
        }

        Model.SetState(finalState);
        try
        {
            _life.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        // The port, the connections, the environment and the registry entry go at once...
        Close(_listener);
        foreach (Socket socket in _sockets.Keys)
        {
            Close(socket);
        }

        Volatile.Read(ref _up).TrySetResult();
        foreach (string variable in Model.EnvironmentVariables)
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        if (finalState == SshTunnelState.Stopped)
        {
            TunnelRegistry.Remove(Model.Id);
        }

        // ...while SSH.NET's forwarded ports may wait for their channels to close: give that a bounded time and
        // let it finish in the background.
        Task teardown = Task.Run(TearDownChain);
        teardown.Wait(TimeSpan.FromSeconds(2));
    }

    private void TearDownChain()
    {
        List<SshClient> clients;
        KeepAliveProbe? probe;
        lock (_chainLock)
        {
            clients = _clients;
            probe = _probe;
            _clients = new List<SshClient>();
            _probe = null;
        }

        if (probe is not null)
        {
            probe.ChannelOpenFailed -= OnChannelOpenFailed;
            probe.Dispose();
        }

        DisposeClients(clients);
    }

    private void DisposeClients(List<SshClient> clients)
    {
        // Innermost hop first: it runs through the outer hops' forwards.
        for (int i = clients.Count - 1; i >= 0; i--)
        {
            SshClient client = clients[i];
            client.ErrorOccurred -= OnClientError;
            List<ForwardedPort> ports;
            lock (_forwardLock)
            {
                // Per-connection forwards remove themselves from this list from other threads.
                ports = client.ForwardedPorts.ToList();
            }

            foreach (ForwardedPort port in ports)
            {
                port.Exception -= OnForwardException;
                try
                {
                    port.Stop();
                }
#pragma warning disable CA1031 // Teardown: a per-connection port may be stopping on its own thread (SSH.NET then throws anything, even NullReferenceException); the client is disposed regardless.
                catch (Exception)
                {
                }
            }

            try
            {
                client.Dispose();
            }
            catch (Exception)
            {
            }
#pragma warning restore CA1031
        }
    }

    private void Close(Socket socket)
    {
        _sockets.TryRemove(socket, out _);
        try
        {
            socket.Dispose();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private string Describe() => Model.Name is null ? $"#{Model.Id}" : $"#{Model.Id} '{Model.Name}'";
}
