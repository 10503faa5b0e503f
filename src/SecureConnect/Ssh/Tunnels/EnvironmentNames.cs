using System;
using System.Text;
using SecureConnect.Common;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>The environment variables that expose a named tunnel's local end to every tool in the process.</summary>
internal static class EnvironmentNames
{
    /// <summary>The longest name accepted.</summary>
    public const int MaxNameLength = 128;

    /// <summary>
    /// <c>&lt;NAME&gt;_LOCAL_HOST</c> and <c>&lt;NAME&gt;_LOCAL_PORT</c>: the name upper-cased, every character other
    /// than A-Z and 0-9 turned into '_', runs of '_' kept as they are (so <c>My SSH tunnel</c> gives
    /// <c>MY_SSH_TUNNEL_LOCAL_HOST</c>, as the hosted notebook names an integration's variables).
    /// </summary>
    public static string[] For(string name)
    {
        string prefix = Prefix(name);
        return new[] { prefix + "_LOCAL_HOST", prefix + "_LOCAL_PORT" };
    }

    public static string Prefix(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (char c in name.ToUpperInvariant())
        {
            builder.Append(c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') ? c : '_');
        }

        return builder.ToString();
    }

    /// <summary>Names are free text: anything but empty, blank, over-long or holding control characters.</summary>
    public static void Validate(string name)
    {
        string? problem = name.Length == 0 || string.IsNullOrWhiteSpace(name) ? "is empty"
            : name.Length > MaxNameLength ? $"is longer than {MaxNameLength} characters"
            : name.AsSpan().IndexOfAnyInRange('\0', '\x1f') >= 0 || name.Contains('\x7f', StringComparison.Ordinal) ? "holds a control character"
            : null;
        if (problem is not null)
        {
            throw new SecureConnectException(
                ErrorIds.InvalidTunnelName,
                ErrorKind.InvalidArgument,
                $"The tunnel name {problem}. Use any text of 1 to {MaxNameLength} printable characters, e.g. -Name 'My SSH tunnel'.",
                name);
        }
    }
}
