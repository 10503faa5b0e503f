using System.Text;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>The environment variables that expose a named tunnel's local end to every tool in the process.</summary>
internal static class EnvironmentNames
{
    /// <summary>
    /// <c>&lt;NAME&gt;_LOCAL_HOST</c> and <c>&lt;NAME&gt;_LOCAL_PORT</c>: the name upper-cased, every character other
    /// than A-Z and 0-9 turned into '_' (so <c>my_ssh_tunnel</c> gives <c>MY_SSH_TUNNEL_LOCAL_HOST</c>).
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
}
