using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Messages;
using Renci.SshNet.Messages.Connection;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>Why a direct-tcpip channel did not open.</summary>
internal sealed class ChannelOpenException : Exception
{
    public ChannelOpenException(string message, uint? reasonCode, Exception? inner = null)
        : base(message, inner)
    {
        ReasonCode = reasonCode;
    }

    /// <summary>The server's reason (1 administratively prohibited, 2 connect failed, ...); null when the SSH connection itself failed.</summary>
    public uint? ReasonCode { get; }

    /// <summary>True when the server answered with a refusal (the SSH connection is fine).</summary>
    public bool Refused => ReasonCode is not null;
}

/// <summary>
/// Our direct-tcpip channels on one connected SSH client: opens them, dispatches the session's channel messages to
/// them by channel number, serializes sends without holding a thread per waiting sender, and probes the server with
/// keep-alive requests that get a reply. Channel numbers start high so they never meet SSH.NET's own (which start at
/// 0 and which this module no longer creates).
/// </summary>
internal sealed class SshChannelMux : IDisposable
{
    private const uint FirstChannelNumber = 0x4000_0000;

    private readonly SshClient _client;
    private readonly Session _session;
    private readonly Action<Message> _send;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly ConcurrentDictionary<uint, DirectTcpipChannel> _channels = new();
    private readonly object _probeLock = new();
    private TaskCompletionSource<bool>? _probe;
    private long _nextChannel = FirstChannelNumber;
    private string? _lostReason;
    private int _disposed;

    public SshChannelMux(SshClient client)
    {
        _client = client;
        _session = SshNetInternals.SessionOf(client);
        _send = SshNetInternals.SenderOf(_session);
        _session.ChannelOpenConfirmationReceived += OnOpenConfirmation;
        _session.ChannelOpenFailureReceived += OnOpenFailure;
        _session.ChannelWindowAdjustReceived += OnWindowAdjust;
        _session.ChannelDataReceived += OnData;
        _session.ChannelExtendedDataReceived += OnExtendedData;
        _session.ChannelEofReceived += OnEof;
        _session.ChannelCloseReceived += OnClose;
        _session.ChannelRequestReceived += OnChannelRequest;
        _session.RequestSuccessReceived += OnReply;
        _session.RequestFailureReceived += OnReply;
        _session.Disconnected += OnDisconnected;
        _client.ErrorOccurred += OnError;
    }

    /// <summary>Raised once when the SSH connection ends, with the cause.</summary>
    public event Action<SshChannelMux, string>? Lost;

    /// <summary>The host and port this client connected to (for messages).</summary>
    public string Endpoint => $"{_client.ConnectionInfo.Host}:{_client.ConnectionInfo.Port}";

    /// <summary>True while the SSH connection is up.</summary>
    public bool IsConnected => Volatile.Read(ref _lostReason) is null && _client.IsConnected;

    /// <summary>Why the connection ended, once it has.</summary>
    public string? LostReason => Volatile.Read(ref _lostReason) ?? (_client.IsConnected ? null : $"the SSH connection to {Endpoint} was closed");

    /// <summary>Channels open now.</summary>
    public int OpenChannels => _channels.Count;

    /// <summary>Opens a direct-tcpip channel to <paramref name="host"/>:<paramref name="port"/>.</summary>
    /// <exception cref="ChannelOpenException">Refused by the server, timed out, or the connection is gone.</exception>
    public async Task<DirectTcpipChannel> OpenAsync(string host, int port, int originatorPort, TimeSpan timeout, CancellationToken cancel)
    {
        if (LostReason is { } lost)
        {
            throw new ChannelOpenException($"Could not open a forward to {host}:{port}: {lost}.", null);
        }

        uint number = (uint)Interlocked.Increment(ref _nextChannel);
        var channel = new DirectTcpipChannel(this, number, host, port);
        _channels[number] = channel;
        try
        {
            await SendAsync(
                new ChannelOpenMessage(number, DirectTcpipChannel.LocalWindowSize, DirectTcpipChannel.LocalMaxPacket, SshNetInternals.DirectTcpip(host, port, "127.0.0.1", originatorPort)),
                cancel).ConfigureAwait(false);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            limit.CancelAfter(timeout);
            await channel.Opened.WaitAsync(limit.Token).ConfigureAwait(false);
            return channel;
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            // Stays registered: a late confirmation is answered with a close, a late refusal removes it.
            channel.Abandon();
            string why = LostReason is { } reason ? reason : $"the bastion did not answer within {timeout.TotalSeconds:0} s";
            throw new ChannelOpenException($"Could not open a forward to {host}:{port}: {why}.", null);
        }
        catch (Exception e) when (e is SshException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            Forget(number);
            throw new ChannelOpenException($"Could not open a forward to {host}:{port}: {LostReason ?? e.Message}.", null, e);
        }
        catch (OperationCanceledException)
        {
            channel.Abandon();
            throw;
        }
    }

    /// <summary>
    /// Sends one keep-alive request and waits for the reply. Returns the round trip, or null when no reply came
    /// within <paramref name="timeout"/> or the connection is gone.
    /// </summary>
    public async Task<TimeSpan?> ProbeAsync(TimeSpan timeout, CancellationToken cancel)
    {
        TaskCompletionSource<bool> reply;
        bool send;
        lock (_probeLock)
        {
            // A reply carries no id: one probe at a time, and a second caller shares the outstanding one.
            send = _probe is null || _probe.Task.IsCompleted;
            if (send)
            {
                _probe = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            reply = _probe!;
        }

        var stopwatch = Stopwatch.StartNew();
        if (send)
        {
            try
            {
                await SendAsync(SshNetInternals.KeepAliveRequest(), cancel).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SshException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                return null;
            }
        }

        try
        {
            await reply.Task.WaitAsync(timeout, cancel).ConfigureAwait(false);
            return stopwatch.Elapsed;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Sends a message; senders wait asynchronously for their turn, so no thread blocks per waiting sender.</summary>
    internal async ValueTask SendAsync(Message message, CancellationToken cancel)
    {
        await _sendGate.WaitAsync(cancel).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                throw new ObjectDisposedException(nameof(SshChannelMux));
            }

            _send(message);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>Sends without waiting, for replies that must not block the session's receive thread.</summary>
    internal void SendInBackground(Message message)
    {
        _ = Task.Run(async () =>
        {
            try
            {
                await SendAsync(message, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SshException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
            {
                // The connection is going away; its loss is reported by the Lost event.
            }
        });
    }

    internal void Forget(uint number) => _channels.TryRemove(number, out _);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _session.ChannelOpenConfirmationReceived -= OnOpenConfirmation;
        _session.ChannelOpenFailureReceived -= OnOpenFailure;
        _session.ChannelWindowAdjustReceived -= OnWindowAdjust;
        _session.ChannelDataReceived -= OnData;
        _session.ChannelExtendedDataReceived -= OnExtendedData;
        _session.ChannelEofReceived -= OnEof;
        _session.ChannelCloseReceived -= OnClose;
        _session.ChannelRequestReceived -= OnChannelRequest;
        _session.RequestSuccessReceived -= OnReply;
        _session.RequestFailureReceived -= OnReply;
        _session.Disconnected -= OnDisconnected;
        _client.ErrorOccurred -= OnError;
        MarkLost("the tunnel was stopped");
    }

    private void MarkLost(string reason)
    {
        if (Interlocked.CompareExchange(ref _lostReason, reason, null) is not null)
        {
            return;
        }

        foreach (DirectTcpipChannel channel in _channels.Values)
        {
            channel.OnConnectionLost(reason);
        }

        _channels.Clear();
        lock (_probeLock)
        {
            _probe?.TrySetResult(false);
        }

        if (Volatile.Read(ref _disposed) == 0)
        {
            Lost?.Invoke(this, reason);
        }
    }

    private DirectTcpipChannel? Find(uint number) => _channels.TryGetValue(number, out DirectTcpipChannel? channel) ? channel : null;

    private void OnOpenConfirmation(object? sender, MessageEventArgs<ChannelOpenConfirmationMessage> e) =>
        Find(e.Message.LocalChannelNumber)?.OnOpenConfirmed(e.Message.RemoteChannelNumber, e.Message.InitialWindowSize, e.Message.MaximumPacketSize);

    private void OnOpenFailure(object? sender, MessageEventArgs<ChannelOpenFailureMessage> e)
    {
        if (Find(e.Message.LocalChannelNumber) is { } channel)
        {
            Forget(e.Message.LocalChannelNumber);
            channel.OnOpenFailed(e.Message.ReasonCode, e.Message.Description);
        }
    }

    private void OnWindowAdjust(object? sender, MessageEventArgs<ChannelWindowAdjustMessage> e) =>
        Find(e.Message.LocalChannelNumber)?.OnWindowAdjust(e.Message.BytesToAdd);

    private void OnData(object? sender, MessageEventArgs<ChannelDataMessage> e) =>
        Find(e.Message.LocalChannelNumber)?.OnData(e.Message.Data, e.Message.Offset, e.Message.Size);

    private void OnExtendedData(object? sender, MessageEventArgs<ChannelExtendedDataMessage> e) =>
        Find(e.Message.LocalChannelNumber)?.OnExtendedData(e.Message.Data.Length);

    private void OnEof(object? sender, MessageEventArgs<ChannelEofMessage> e) =>
        Find(e.Message.LocalChannelNumber)?.OnEof();

    private void OnClose(object? sender, MessageEventArgs<ChannelCloseMessage> e) =>
        Find(e.Message.LocalChannelNumber)?.OnClose();

    private void OnChannelRequest(object? sender, MessageEventArgs<ChannelRequestMessage> e)
    {
        // direct-tcpip channels take no requests; answer those that want a reply, as RFC 4254 5.4 asks.
        if (Find(e.Message.LocalChannelNumber) is { } channel && e.Message.RequestData is { Length: > 0 } data && data[0] != 0)
        {
            channel.RefuseRequest();
        }
    }

    private void OnReply<T>(object? sender, MessageEventArgs<T> e)
        where T : Message
    {
        lock (_probeLock)
        {
            _probe?.TrySetResult(true);
        }
    }

    private void OnDisconnected(object? sender, EventArgs e) => MarkLost($"the bastion {Endpoint} closed the SSH connection");

    private void OnError(object? sender, ExceptionEventArgs e) => MarkLost($"the SSH connection to {Endpoint} failed: {e.Exception.Message}");
}
