using System;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Common;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>A listening socket on 127.0.0.1 that hands each accepted connection to a handler, off the accept loop.</summary>
internal sealed class LoopbackListener : IDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();

    private LoopbackListener(Socket socket)
    {
        _socket = socket;
        Port = ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    /// <summary>Binds 127.0.0.1:<paramref name="port"/> (0: a free port). A port in use is <c>LocalPortInUse</c>.</summary>
    public static LoopbackListener Bind(int port, int backlog = 512)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Never share a port another process holds (SO_EXCLUSIVEADDRUSE on Windows; Unix refuses by default).
            if (OperatingSystem.IsWindows())
            {
                socket.ExclusiveAddressUse = true;
            }

            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            socket.Listen(backlog);
            return new LoopbackListener(socket);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            socket.Dispose();
            throw new SecureConnectException(
                ErrorIds.LocalPortInUse,
                ErrorKind.ResourceExists,
                $"The local port 127.0.0.1:{port} is already in use ({e.SocketErrorCode}). Choose another -LocalPort, or -LocalPort 0 for a free one.",
                port,
                e);
        }
    }

    /// <summary>
    /// Accepts connections until stopped (or, with <paramref name="once"/>, one connection, after which the port
    /// closes so nobody else can use it) and runs <paramref name="handle"/> for each on the thread pool.
    /// </summary>
    public Task RunAsync(Func<Socket, Task> handle, bool once = false)
    {
        return Task.Run(async () =>
        {
            CancellationToken token = _stop.Token;
            while (!token.IsCancellationRequested)
            {
                Socket inbound;
                try
                {
                    inbound = await _socket.AcceptAsync(token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
                {
                    return;
                }
                catch (SocketException)
                {
                    continue;
                }

                inbound.NoDelay = true;
                _ = Task.Run(() => handle(inbound));
                if (once)
                {
                    Dispose();
                    return;
                }
            }
        });
    }

    public void Dispose()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Dispose();
    }
}
