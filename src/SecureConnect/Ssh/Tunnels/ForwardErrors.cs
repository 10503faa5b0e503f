using SecureConnect.Common;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>The error for a channel the bastion would not open: what it refused, why, and what would allow it.</summary>
internal static class ForwardErrors
{
    public static SecureConnectException For(TunnelSpec spec, ChannelOpenException e)
    {
        string target = $"{spec.RemoteHost}:{spec.RemotePort}";
        if (e.ReasonCode == 2)
        {
            return new SecureConnectException(
                ErrorIds.RemoteUnreachable,
                ErrorKind.ConnectionError,
                $"The bastion {spec.Bastion} could not connect to {target} ({e.Message}). Check that the service runs there and that the bastion can reach it.",
                target,
                e);
        }

        if (e.Refused)
        {
            return new SecureConnectException(
                ErrorIds.ForwardRefused,
                ErrorKind.PermissionDenied,
                $"The bastion {spec.Bastion} refused to forward to {target} ({e.Message}). If the authorized_keys line of this key restricts destinations, add permitopen=\"{target}\" to it " +
                $"(ConvertTo-AuthorizedKey -PermitOpen '{target}'); otherwise allow it with PermitOpen or AllowTcpForwarding in the bastion's sshd_config.",
                target,
                e);
        }

        return new SecureConnectException(ErrorIds.BastionUnreachable, ErrorKind.ConnectionError, e.Message, spec.Bastion.ToString(), e);
    }
}
