using System;
using System.Net;
using SecureConnect.Common;
using SecureConnect.Integrations;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>
/// Reads Start-SshTunnel's -Bastion as -SshBastion and -JumpHost are read: host, user@host, host:port, user@host:port,
/// user@[ipv6]:port (or a bare IPv6 address), together with -User and -BastionPort when those are given too.
/// </summary>
internal static class BastionText
{
    /// <summary>True when the text (host, user@host, host:port, [ipv6]:port...) writes a port of its own.</summary>
    public static bool NamesPort(string bastion)
    {
        string text = bastion.Trim();
        int at = text.LastIndexOf('@');
        string hostPart = at >= 0 ? text[(at + 1)..] : text;
        return !IsBareIpv6(text) && (hostPart.StartsWith('[') ? hostPart.Contains("]:", StringComparison.Ordinal) : hostPart.Contains(':', StringComparison.Ordinal));
    }

    private static bool IsBareIpv6(string text) =>
        !text.Contains('@', StringComparison.Ordinal) && !text.StartsWith('[') && text.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(text, out _);

    /// <param name="bastion">The -Bastion text.</param>
    /// <param name="user">-User, when it was given.</param>
    /// <param name="port">-BastionPort, when it was given.</param>
    public static SshHop Parse(string bastion, string? user, int? port)
    {
        InputText.CheckName(user, "User");
        string text = bastion.Trim();
        int at = text.LastIndexOf('@');
        bool bareIpv6 = IsBareIpv6(text);
        bool hasPort = NamesPort(text);

        SshHop parsed;
        if (bareIpv6)
        {
            parsed = new SshHop(text, 22, user ?? string.Empty);
        }
        else
        {
            try
            {
                // A placeholder user when none is written: JumpHostParser wants one; the real one is chosen below.
                parsed = JumpHostParser.Parse(text, user ?? "-");
            }
            catch (SecureConnectException e) when (e.ErrorId == ErrorIds.InvalidJumpHost)
            {
                throw new SecureConnectException(
                    ErrorIds.InvalidHostName,
                    ErrorKind.InvalidArgument,
                    $"-Bastion '{bastion}' is not a bastion: use host, user@host, host:port, user@host:port or user@[ipv6-address]:port.",
                    bastion,
                    e);
            }

            if (IntegrationEdits.HostNameProblem(parsed.HostName, "Bastion") is { } problem)
            {
                throw new SecureConnectException(ErrorIds.InvalidHostName, ErrorKind.InvalidArgument, problem, bastion);
            }
        }

        if (at >= 0 && user is not null && !string.Equals(user, parsed.User, StringComparison.Ordinal))
        {
            throw new SecureConnectException(
                ErrorIds.ParameterConflict,
                ErrorKind.InvalidArgument,
                $"-Bastion '{bastion}' logs in as '{parsed.User}' but -User says '{user}': give the user once, in -Bastion user@host or in -User.",
                bastion);
        }

        if (hasPort && port is { } given && given != parsed.Port)
        {
            throw new SecureConnectException(
                ErrorIds.ParameterConflict,
                ErrorKind.InvalidArgument,
                $"-Bastion '{bastion}' names port {parsed.Port} but -BastionPort says {given}: give the port once, in -Bastion host:port or in -BastionPort.",
                bastion);
        }

        string login = at >= 0 ? parsed.User : user ?? string.Empty;
        if (login.Length == 0)
        {
            throw new SecureConnectException(
                ErrorIds.SshUserRequired,
                ErrorKind.InvalidArgument,
                $"Say which user logs in to the bastion {parsed.HostName}: -Bastion user@{(bareIpv6 ? "[" + parsed.HostName + "]" : parsed.HostName)}, or -User.",
                bastion);
        }

        return new SshHop(parsed.HostName, hasPort ? parsed.Port : port ?? 22, login);
    }
}
