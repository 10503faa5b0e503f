using System;
using System.Globalization;
using SecureConnect.Common;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>Parses -JumpHost values: <c>user@host[:port]</c>, <c>host</c>, <c>user@[ipv6]:port</c>.</summary>
internal static class JumpHostParser
{
    public static SshHop Parse(string value, string defaultUser)
    {
        string rest = value.Trim();
        string user = defaultUser;
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            user = rest[..at];
            rest = rest[(at + 1)..];
        }

        string host = rest;
        int port = 22;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw Invalid(value);
            }

            host = rest[1..close];
            string after = rest[(close + 1)..];
            if (after.Length > 0)
            {
                if (!after.StartsWith(':') || !TryPort(after[1..], out port))
                {
                    throw Invalid(value);
                }
            }
        }
        else
        {
            int colon = rest.LastIndexOf(':');
            if (colon >= 0)
            {
                if (rest.IndexOf(':') != colon || !TryPort(rest[(colon + 1)..], out port))
                {
                    throw Invalid(value);
                }

                host = rest[..colon];
            }
        }

        if (user.Length == 0 || host.Length == 0 || host.Contains(' ', StringComparison.Ordinal) || user.Contains(' ', StringComparison.Ordinal))
        {
            throw Invalid(value);
        }

        // A control character in the user or a host that is no host name ('../x', 'a/b') would reach ssh and
        // known_hosts as it is: refused here, where every -JumpHost, -SshBastion and -Bastion is read.
        if (InputText.IndexOfControl(value) >= 0 || Integrations.IntegrationEdits.HostNameProblem(host, "JumpHost") is not null)
        {
            throw Invalid(value);
        }

        return new SshHop(host, port, user);
    }

    private static bool TryPort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is > 0 and <= 65535;

    private static SecureConnectException Invalid(string value) => new(
        ErrorIds.InvalidJumpHost,
        ErrorKind.InvalidArgument,
        $"'{InputText.Visible(value)}' is not a jump host. Use user@host, user@host:port or user@[ipv6-address]:port.",
        value);
}
