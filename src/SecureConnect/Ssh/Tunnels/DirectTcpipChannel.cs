using System;
using System.Buffers;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Renci.SshNet.Messages.Connection;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>
/// One direct-tcpip channel with its own flow control (RFC 4254 5.2). Data from the server is queued for this
/// connection only, and the window is replenished only for bytes the local client has taken: a client that stops
/// reading stops its own channel (at most <see cref="LocalWindowSize"/> bytes buffered) and nothing else. Data to the
/// server is sent only within the window the server granted.
/// </summary>
internal sealed class DirectTcpipChannel
{
    /// <summary>The window we grant: the most this channel ever buffers.</summary>
    public const uint LocalWindowSize = 2 * 1024 * 1024;

    /// <summary>The largest data packet we accept.</summary>
    public const uint LocalMaxPacket = 32 * 1024;

    private const int SendChunk = 32 * 1024;

    private readonly SshChannelMux _mux;
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Channel<ArraySegment<byte>> _inbound = Channel.CreateUnbounded<ArraySegment<byte>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly SemaphoreSlim _windowGranted = new(0, int.MaxValue);
    private readonly CancellationTokenSource _closed = new();
    private long _remoteWindow;
    private long _localWindowLeft = LocalWindowSize;
    private long _consumedNotGranted;
    private int _abandoned;
    private uint _remoteNumber;
    private uint _remoteMaxPacket;
    private int _closeSent;
    private int _remoteClosed;
    private string? _lostReason;

    public DirectTcpipChannel(SshChannelMux mux, uint localNumber, string host, int port)
    {
        _mux = mux;
        LocalNumber = localNumber;
        Destination = $"{host}:{port}";
    }

    public uint LocalNumber { get; }

    public string Destination { get; }

    /// <summary>Completes when the server confirmed the channel; faults with <see cref="ChannelOpenException"/> when it refused.</summary>
    public Task Opened => _opened.Task;

    /// <summary>Why the SSH connection under this channel ended, if it did.</summary>
    public string? LostReason => Volatile.Read(ref _lostReason);

    /// <summary>
    /// Relays between <paramref name="socket"/> and the channel until both sides are done or either fails, then
    /// closes both. Never throws for an ordinary end of either side.
    /// </summary>
    public async Task RelayAsync(Socket socket, CancellationToken cancel)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, _closed.Token);
        CancellationToken token = linked.Token;
        Task toClient = ToClientAsync(socket, token);
        Task toServer = ToServerAsync(socket, token);
        try
        {
            Task first = await Task.WhenAny(toClient, toServer).ConfigureAwait(false);
            if (first.IsFaulted || first.IsCanceled)
            {
                // One direction failed: end both, as a TCP connection would.
                linked.Cancel();
            }

            await Task.WhenAll(toClient, toServer).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or Renci.SshNet.Common.SshException or InvalidOperationException)
        {
        }
        finally
        {
            socket.Dispose();
            await CloseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the channel without relaying (a probe, or a connection given up on).</summary>
    public Task CloseAsync()
    {
        if (Interlocked.Exchange(ref _closeSent, 1) != 0)
        {
            return Task.CompletedTask;
        }

        if (Volatile.Read(ref _remoteClosed) != 0 || LostReason is not null)
        {
            _mux.Forget(LocalNumber);
        }

        if (LostReason is not null || _remoteMaxPacket == 0)
        {
            // Never confirmed (refused, or still pending: a late confirmation is closed then), or the connection is gone.
            return Task.CompletedTask;
        }

        return SendQuietlyAsync(new ChannelCloseMessage(_remoteNumber));
    }

    internal void OnOpenConfirmed(uint remoteNumber, uint window, uint maxPacket)
    {
        _remoteNumber = remoteNumber;
        _remoteMaxPacket = Math.Max(1, maxPacket);
        Interlocked.Add(ref _remoteWindow, window);
        if (!_opened.TrySetResult() || Volatile.Read(ref _abandoned) != 0)
        {
            // Confirmed after the opener gave up waiting: close it, so the server does not keep it open.
            _ = CloseAsync();
        }
    }

    internal void OnOpenFailed(uint reasonCode, string? description)
    {
        string reason = reasonCode switch
        {
            1 => "administratively prohibited",
            2 => "connect failed",
            3 => "unknown channel type",
            4 => "resource shortage",
            _ => "reason " + reasonCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        string detail = string.IsNullOrWhiteSpace(description) || description.Trim().Equals(reason, StringComparison.OrdinalIgnoreCase) ? string.Empty : $" ({description.Trim()})";
        _opened.TrySetException(new ChannelOpenException(reason + detail, reasonCode));
        _closed.Cancel();
    }

    /// <summary>The opener stopped waiting: a late confirmation is answered with a close.</summary>
    internal void Abandon()
    {
        Volatile.Write(ref _abandoned, 1);
        _opened.TrySetException(new ChannelOpenException($"Gave up opening a forward to {Destination}.", null));
    }

    internal void OnWindowAdjust(uint bytes)
    {
        Interlocked.Add(ref _remoteWindow, bytes);
        _windowGranted.Release();
    }

    internal void OnData(byte[] data, int offset, int size)
    {
        // Called on the session's receive thread: never block here. The window bounds what can arrive.
        if (Interlocked.Add(ref _localWindowLeft, -size) < 0)
        {
            // The server sent more than the window allows (RFC 4254 5.2): end this channel only.
            OnClose();
            return;
        }

        // Copied: the message's buffer is SSH.NET's, and may be reused once this handler returns.
        byte[] copy = GC.AllocateUninitializedArray<byte>(size);
        Buffer.BlockCopy(data, offset, copy, 0, size);
        _inbound.Writer.TryWrite(new ArraySegment<byte>(copy));
    }

    internal void OnExtendedData(int size)
    {
        // direct-tcpip has no extended data; it is dropped, and its bytes are granted again so the window stays right.
        Interlocked.Add(ref _localWindowLeft, -size);
        _ = ReturnWindow(size);
    }

    internal void OnEof() => _inbound.Writer.TryComplete();

    internal void OnClose()
    {
        Volatile.Write(ref _remoteClosed, 1);
        _inbound.Writer.TryComplete();
        _windowGranted.Release();
        if (Volatile.Read(ref _closeSent) != 0)
        {
            _mux.Forget(LocalNumber);
        }
        else
        {
            // The server closed first: the relay answers with our close once it has delivered what arrived.
        }
    }

    internal void OnConnectionLost(string reason)
    {
        Volatile.Write(ref _lostReason, reason);
        _opened.TrySetException(new ChannelOpenException($"Could not open a forward to {Destination}: {reason}.", null));
        _inbound.Writer.TryComplete();
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _windowGranted.Release();
    }

    internal void RefuseRequest() => _mux.SendInBackground(new ChannelFailureMessage(_remoteNumber));

    private async Task ToClientAsync(Socket socket, CancellationToken token)
    {
        ChannelReader<ArraySegment<byte>> reader = _inbound.Reader;
        while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
        {
            while (reader.TryRead(out ArraySegment<byte> segment))
            {
                int sent = 0;
                while (sent < segment.Count)
                {
                    sent += await socket.SendAsync(segment.AsMemory(sent), SocketFlags.None, token).ConfigureAwait(false);
                }

                await ReturnWindow(segment.Count).ConfigureAwait(false);
            }
        }

        if (Volatile.Read(ref _remoteClosed) != 0 || LostReason is not null)
        {
            // Everything the server sent is delivered; nothing more can come either way.
            _closed.Cancel();
            return;
        }

        // EOF from the server: the client may still be sending.
        socket.Shutdown(SocketShutdown.Send);
    }

    private Task ReturnWindow(int size)
    {
        // Replenish only what the client took, in batches of half the window (as OpenSSH does), never per packet.
        long pending = Interlocked.Add(ref _consumedNotGranted, size);
        if (pending < LocalWindowSize / 2)
        {
            return Task.CompletedTask;
        }

        long grant = Interlocked.Exchange(ref _consumedNotGranted, 0);
        if (grant <= 0)
        {
            return Task.CompletedTask;
        }

        // Counted before it is sent, so data the server sends on the strength of it always fits.
        Interlocked.Add(ref _localWindowLeft, grant);
        return SendQuietlyAsync(new ChannelWindowAdjustMessage(_remoteNumber, (uint)grant));
    }

    private async Task ToServerAsync(Socket socket, CancellationToken token)
    {
        while (true)
        {
            // Wait for data without holding a buffer: idle connections cost no memory.
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token).ConfigureAwait(false);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(SendChunk);
            try
            {
                int read = await socket.ReceiveAsync(buffer.AsMemory(0, SendChunk), SocketFlags.None, token).ConfigureAwait(false);
                if (read == 0)
                {
                    await _mux.SendAsync(new ChannelEofMessage(_remoteNumber), token).ConfigureAwait(false);
                    return;
                }

                int offset = 0;
                while (offset < read)
                {
                    int chunk = await TakeWindowAsync(read - offset, token).ConfigureAwait(false);
                    await _mux.SendAsync(new ChannelDataMessage(_remoteNumber, buffer, offset, chunk), token).ConfigureAwait(false);
                    offset += chunk;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async Task<int> TakeWindowAsync(int wanted, CancellationToken token)
    {
        int limit = (int)Math.Min(wanted, _remoteMaxPacket);
        while (true)
        {
            long window = Volatile.Read(ref _remoteWindow);
            if (window > 0)
            {
                int take = (int)Math.Min(window, limit);
                if (Interlocked.CompareExchange(ref _remoteWindow, window - take, window) == window)
                {
                    return take;
                }

                continue;
            }

            if (Volatile.Read(ref _remoteClosed) != 0)
            {
                throw new OperationCanceledException("The server closed the channel.");
            }

            await _windowGranted.WaitAsync(token).ConfigureAwait(false);
        }
    }

    private async Task SendQuietlyAsync(Renci.SshNet.Messages.Message message)
    {
        try
        {
            await _mux.SendAsync(message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Renci.SshNet.Common.SshException or ObjectDisposedException or InvalidOperationException or SocketException)
        {
            // The connection is gone: nothing to close or adjust any more.
        }
    }
}
