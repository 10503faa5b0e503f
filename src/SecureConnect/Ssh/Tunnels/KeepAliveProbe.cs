using System;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Messages;
using Renci.SshNet.Messages.Connection;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>
/// A liveness probe that gets a reply, as OpenSSH's ServerAliveInterval does: a global request
/// "keepalive@openssh.com" with want-reply set, which every SSH server answers (with a failure, for a request it
/// does not know). SSH.NET's own keep-alive sends SSH_MSG_IGNORE, which expects no reply and so cannot see a dead
/// peer. SSH.NET has no public API to send a global request; this reaches its session through reflection
/// (version pinned in Directory.Packages.props) and reports <see cref="IsSupported"/> false if that ever fails, so
/// the supervisor falls back to the connection state alone.
/// </summary>
internal sealed class KeepAliveProbe : IDisposable
{
    private static readonly PropertyInfo? s_sessionProperty =
        typeof(BaseClient).GetProperty("Session", BindingFlags.NonPublic | BindingFlags.Instance);

    private static readonly MethodInfo? s_sendMessage =
        typeof(Session).GetMethod("SendMessage", BindingFlags.NonPublic | BindingFlags.Instance, new[] { typeof(Message) });

    private static readonly ConstructorInfo? s_globalRequest =
        typeof(GlobalRequestMessage).GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance, new[] { typeof(byte[]), typeof(bool) });

    private static readonly byte[] s_requestName = Encoding.ASCII.GetBytes("keepalive@openssh.com");

    private readonly Session? _session;
    private readonly object _sync = new();
    private TaskCompletionSource<bool>? _pending;
    private long _channelsOpened;

    public KeepAliveProbe(BaseClient client)
    {
        _session = s_sendMessage is not null && s_globalRequest is not null
            ? s_sessionProperty?.GetValue(client) as Session
            : null;
        if (_session is not null)
        {
            // Replies are only dispatched for registered message types.
            _session.RegisterMessage("SSH_MSG_REQUEST_SUCCESS");
            _session.RegisterMessage("SSH_MSG_REQUEST_FAILURE");
            _session.RequestSuccessReceived += OnReply;
            _session.RequestFailureReceived += OnReply;
            _session.ChannelOpenFailureReceived += OnChannelOpenFailure;
            _session.ChannelOpenConfirmationReceived += OnChannelOpenConfirmation;
        }
    }

    /// <summary>
    /// Raised when the server refuses to open a channel (for a tunnel: the bastion refused a forward, e.g. because
    /// of permitopen). SSH.NET's forwarded port closes the client socket silently in that case.
    /// </summary>
    public event Action<string>? ChannelOpenFailed;

    /// <summary>How many channels the server has agreed to open on this connection.</summary>
    public long ChannelsOpened => Interlocked.Read(ref _channelsOpened);

    /// <summary>False when SSH.NET's internals could not be reached.</summary>
    public bool IsSupported => _session is not null;

    /// <summary>
    /// Sends one probe and waits for its reply. Returns the round trip, or null when no reply came within
    /// <paramref name="timeout"/> or the send failed.
    /// </summary>
    public async Task<TimeSpan?> ProbeAsync(TimeSpan timeout, CancellationToken cancel)
    {
        if (_session is null)
        {
            return null;
        }

        var reply = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_sync)
        {
            // One probe at a time: a reply carries no id, so it answers the oldest outstanding request.
            if (_pending is not null && !_pending.Task.IsCompleted)
            {
                reply = _pending;
            }
            else
            {
                _pending = reply;
            }
        }

        var stopwatch = Stopwatch.StartNew();
        try
        {
            object message = s_globalRequest!.Invoke(new object[] { s_requestName, true });
            s_sendMessage!.Invoke(_session, new[] { message });
        }
        catch (TargetInvocationException e) when (e.InnerException is SshException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            return null;
        }

        Task finished = await Task.WhenAny(reply.Task, Task.Delay(timeout, cancel)).ConfigureAwait(false);
        return finished == reply.Task ? stopwatch.Elapsed : null;
    }

    public void Dispose()
    {
        if (_session is not null)
        {
            _session.RequestSuccessReceived -= OnReply;
            _session.RequestFailureReceived -= OnReply;
            _session.ChannelOpenFailureReceived -= OnChannelOpenFailure;
            _session.ChannelOpenConfirmationReceived -= OnChannelOpenConfirmation;
        }
    }

    private void OnChannelOpenConfirmation(object? sender, MessageEventArgs<ChannelOpenConfirmationMessage> e)
    {
        Interlocked.Increment(ref _channelsOpened);
    }

    private void OnChannelOpenFailure(object? sender, MessageEventArgs<ChannelOpenFailureMessage> e)
    {
        string reason = e.Message.ReasonCode switch
        {
            1 => "administratively prohibited",
            2 => "connect failed",
            3 => "unknown channel type",
            4 => "resource shortage",
            _ => "reason " + e.Message.ReasonCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        string description = string.IsNullOrWhiteSpace(e.Message.Description) ? string.Empty : $" ({e.Message.Description.Trim()})";
        ChannelOpenFailed?.Invoke(reason + description);
    }

    private void OnReply<T>(object? sender, MessageEventArgs<T> e)
        where T : Message
    {
        TaskCompletionSource<bool>? pending;
        lock (_sync)
        {
            pending = _pending;
            _pending = null;
        }

        pending?.TrySetResult(true);
    }
}
