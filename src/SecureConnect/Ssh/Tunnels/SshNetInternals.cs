using System;
using System.Collections.Generic;
using System.Reflection;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Messages;
using Renci.SshNet.Messages.Connection;
using SecureConnect.Common;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>
/// The four non-public members of SSH.NET the tunnel needs, in one place. SSH.NET's public API forwards a port only
/// through its own forwarded-port classes, which relay every channel on the session's single receive thread (one
/// client that stops reading stalls every connection), replenish the channel window whether or not the data was
/// delivered, and add a loopback hop per connection. Channels of our own on SSH.NET's session give each connection
/// its own flow control, and need: the client's session, its SendMessage, the direct-tcpip channel-open payload and
/// the global request used as keep-alive. Everything else (messages received, the message types) is public.
/// </summary>
/// <remarks>
/// The SSH.NET version is pinned in Directory.Packages.props. <see cref="Missing"/> is checked by an xunit test, so
/// an upgrade that moves a member fails the build's tests; at run time <see cref="EnsureAvailable"/> turns a
/// missing member into the error <c>SshLibraryIncompatible</c> before any tunnel starts, never a silent fallback.
/// </remarks>
internal static class SshNetInternals
{
    private const string DirectTcpipInfoType = "Renci.SshNet.Messages.Connection.DirectTcpipChannelInfo";

    private static readonly byte[] s_keepAliveName = Encoding.ASCII.GetBytes("keepalive@openssh.com");

    private static readonly PropertyInfo? s_session =
        typeof(BaseClient).GetProperty("Session", BindingFlags.NonPublic | BindingFlags.Instance);

    private static readonly MethodInfo? s_sendMessage =
        typeof(Session).GetMethod("SendMessage", BindingFlags.NonPublic | BindingFlags.Instance, null, new[] { typeof(Message) }, null);

    private static readonly ConstructorInfo? s_directTcpip =
        typeof(Session).Assembly.GetType(DirectTcpipInfoType, throwOnError: false)?
            .GetConstructor(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance, null, new[] { typeof(string), typeof(uint), typeof(string), typeof(uint) }, null);

    private static readonly ConstructorInfo? s_globalRequest =
        typeof(GlobalRequestMessage).GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance, null, new[] { typeof(byte[]), typeof(bool) }, null);

    /// <summary>The members that no longer resolve in the loaded SSH.NET; empty when all do.</summary>
    public static IReadOnlyList<string> Missing()
    {
        var missing = new List<string>();
        if (s_session is null)
        {
            missing.Add("BaseClient.Session");
        }

        if (s_sendMessage is null)
        {
            missing.Add("Session.SendMessage(Message)");
        }

        if (s_directTcpip is null || !typeof(ChannelOpenInfo).IsAssignableFrom(s_directTcpip.DeclaringType))
        {
            missing.Add(DirectTcpipInfoType + "(string, uint, string, uint)");
        }

        if (s_globalRequest is null)
        {
            missing.Add("GlobalRequestMessage(byte[], bool)");
        }

        return missing;
    }

    /// <summary>Throws <c>SshLibraryIncompatible</c> when any member is missing.</summary>
    public static void EnsureAvailable()
    {
        IReadOnlyList<string> missing = Missing();
        if (missing.Count > 0)
        {
            throw new SecureConnectException(
                ErrorIds.SshLibraryIncompatible,
                ErrorKind.InvalidOperation,
                $"The loaded SSH.NET ({typeof(Session).Assembly.GetName().Version}) lacks what SecureConnect's tunnels are built on: {string.Join(", ", missing)}. " +
                "Reinstall SecureConnect so that it loads the SSH.NET version it was built with.",
                null);
        }
    }

    /// <summary>The connected client's session.</summary>
    public static Session SessionOf(BaseClient client)
    {
        EnsureAvailable();
        return s_session!.GetValue(client) as Session
            ?? throw new InvalidOperationException("The SSH client is not connected.");
    }

    /// <summary>A delegate that sends one message on <paramref name="session"/> (thread-safe; blocks while writing).</summary>
    public static Action<Message> SenderOf(Session session)
    {
        EnsureAvailable();
        return (Action<Message>)Delegate.CreateDelegate(typeof(Action<Message>), session, s_sendMessage!);
    }

    /// <summary>The payload of a direct-tcpip channel open (RFC 4254 7.2).</summary>
    public static ChannelOpenInfo DirectTcpip(string host, int port, string originatorAddress, int originatorPort)
    {
        EnsureAvailable();
        return (ChannelOpenInfo)s_directTcpip!.Invoke(new object[] { host, (uint)port, originatorAddress, (uint)originatorPort });
    }

    /// <summary>A "keepalive@openssh.com" global request with want-reply: every server answers it (failure when unknown).</summary>
    public static Message KeepAliveRequest()
    {
        EnsureAvailable();
        return (Message)s_globalRequest!.Invoke(new object[] { s_keepAliveName, true });
    }
}
