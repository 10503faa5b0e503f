using SecureConnect.Ssh.Tunnels;

namespace SecureConnect.Integrations;

/// <summary>
/// How code reaches a saved tunnel, as the hosted notebook's "How to use" shows it: the two environment variables
/// Start-SshTunnel -Integration sets, and a ready line for PowerShell and one for Python that use only them.
/// </summary>
internal static class TunnelUsage
{
    /// <summary>The <c>&lt;NAME&gt;_LOCAL_HOST</c> and <c>&lt;NAME&gt;_LOCAL_PORT</c> variables of the integration's tunnel.</summary>
    public static (string Host, string Port) Variables(string integrationName)
    {
        string[] names = EnvironmentNames.For(integrationName);
        return (names[0], names[1]);
    }

    /// <summary>An HTTP request with Invoke-RestMethod to the tunnel's local end.</summary>
    public static string PowerShell(string integrationName)
    {
        (string host, string port) = Variables(integrationName);
        return $"Invoke-RestMethod \"http://$($env:{host}):$($env:{port})/\"";
    }

    /// <summary>An HTTP request with requests to the tunnel's local end, imports included.</summary>
    public static string Python(string integrationName)
    {
        (string host, string port) = Variables(integrationName);
        return $"import os, requests; requests.get(f\"http://{{os.environ['{host}']}}:{{os.environ['{port}']}}/\")";
    }
}
