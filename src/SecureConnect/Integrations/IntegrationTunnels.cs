using System;
using System.Collections.Generic;
using System.Linq;
using SecureConnect.Common;
using SecureConnect.Ssh.Tunnels;

namespace SecureConnect.Integrations;

/// <summary>One integration asked for by Start-SshTunnel -Integration: the record to start, or why there is none.</summary>
internal sealed record IntegrationSelection(IntegrationRecord? Record, SecureConnectException? Error);

/// <summary>
/// The tunnel of an integration: the route its record names (one definition, used by the queries' automatic tunnel
/// and by Start-SshTunnel -Integration), the rules a saved SSH Tunnel integration keeps, and which integrations a
/// list of names with wildcards starts.
/// </summary>
internal static class IntegrationTunnels
{
    /// <summary>How an integration's tunnel is supervised.</summary>
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);

    /// <summary>How long an integration's tunnel may take to connect.</summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The New-/Set-SecureIntegration parameters a saved tunnel has no use for: SecureConnect does not speak the
    /// protocol the tunnel carries, so there is no SSL mode, CA, revocation list, database, login or driver option.
    /// </summary>
    public static readonly IReadOnlyList<string> NotApplicableParameters = new[]
    {
        "SslMode", "Credential", "CredentialSecret", "CaCertificatePath", "CrlPath", "Database", "Option",
    };

    /// <summary>
    /// The tunnel an integration's record describes (a query's automatic tunnel), labelled with the integration's name
    /// so Get-SshTunnel shows which integration uses it (unnamed when another tunnel holds that name); null when it
    /// connects directly. Start-SshTunnel -Integration makes the name a real one (a taken name is an error there).
    /// </summary>
    public static TunnelSpec? For(IntegrationRecord record)
    {
        if (record.SshBastion is null)
        {
            return null;
        }

        string user = record.SshUser!;
        return new TunnelSpec(
            Bastion: new SshHop(record.SshBastion, record.SshBastionPort, user),
            JumpHops: record.SshJumpHost.Select(j => JumpHostParser.Parse(j, user)).ToList(),
            RemoteHost: record.HostName,
            RemotePort: record.Port,
            LocalPort: 0,
            Name: record.Name,
            Policy: HostKeyPolicy.Strict,
            PinnedFingerprint: record.SshHostKeyFingerprint,
            KeepAliveInterval: KeepAlive,
            ConnectTimeout: ConnectTimeout,
            Reconnect: true,
            NameIsLabel: true);
    }

    /// <summary>The named tunnel Start-SshTunnel -Integration starts: SshBastionRequired when the integration connects directly.</summary>
    public static TunnelSpec Named(IntegrationRecord record) =>
        For(record) is { } spec
            ? spec with { NameIsLabel = false }
            : throw new SecureConnectException(
                ErrorIds.SshBastionRequired,
                ErrorKind.InvalidArgument,
                $"The integration '{record.Name}' connects to {record.HostName}:{record.Port} directly (it has no -SshBastion), so there is no tunnel to start. " +
                $"Add a bastion with Set-SecureIntegration -Name '{record.Name}' -SshBastion <host> -SshUser <user>, or connect directly.",
                record.Name);

    /// <summary>Refuses, for a saved tunnel, the parameters that do not apply to one (all of them in one message).</summary>
    public static void CheckParameters(IntegrationType type, string name, IEnumerable<string> given)
    {
        if (type != IntegrationType.SshTunnel)
        {
            return;
        }

        var refused = NotApplicableParameters.Where(p => given.Contains(p, StringComparer.OrdinalIgnoreCase)).ToList();
        if (refused.Count > 0)
        {
            string list = string.Join(", ", refused.Select(p => "-" + p));
            throw new SecureConnectException(
                ErrorIds.ParameterNotApplicable,
                ErrorKind.InvalidArgument,
                $"{list} {(refused.Count == 1 ? "does" : "do")} not apply to the SshTunnel integration '{name}': a saved tunnel carries any TCP protocol and SecureConnect does not speak it, " +
                "so it has no SSL mode, CA, revocation list, database, login or driver option. Leave " + (refused.Count == 1 ? "it" : "them") + " out; the client that uses the tunnel sets its own.",
                name);
        }
    }

    /// <summary>Refuses Set-SslPolicy on a saved tunnel: it has no SSL mode, and Get-SslPolicy does not list it.</summary>
    public static void CheckSslMode(IntegrationRecord record)
    {
        if (record.Type == IntegrationType.SshTunnel)
        {
            throw new SecureConnectException(
                ErrorIds.ParameterNotApplicable,
                ErrorKind.InvalidArgument,
                $"An SSL mode does not apply to the SshTunnel integration '{record.Name}': SecureConnect does not speak the protocol its tunnel carries, so it enforces no SSL policy on it " +
                "(Get-SslPolicy does not list it). The client that uses the tunnel chooses its own TLS settings.",
                record.Name);
        }
    }

    /// <summary>
    /// Checks a saved tunnel as it would be stored: a port (there is no default one) and a bastion. Other types pass.
    /// Run on the whole record after every change, so New- and Set-SecureIntegration keep the same rules.
    /// </summary>
    public static void Check(IntegrationRecord record)
    {
        if (record.Type != IntegrationType.SshTunnel)
        {
            return;
        }

        if (record.Port is < 1 or > 65535)
        {
            throw new SecureConnectException(
                ErrorIds.PortRequired,
                ErrorKind.InvalidArgument,
                $"The SshTunnel integration '{record.Name}' needs -Port: the port of the service on {record.HostName} (a tunnel carries any protocol, so there is no default port).",
                record.Name);
        }

        if (record.SshBastion is null)
        {
            throw new SecureConnectException(
                ErrorIds.SshBastionRequired,
                ErrorKind.InvalidArgument,
                $"The SshTunnel integration '{record.Name}' needs -SshBastion and -SshUser: the SSH bastion that reaches {record.HostName}:{record.Port}.",
                record.Name);
        }
    }

    /// <summary>
    /// Refuses a saved tunnel whose name would set the same environment variables as another saved tunnel's name
    /// ('My tunnel' and 'my-tunnel'), which Start-SshTunnel -Integration * would start together.
    /// </summary>
    public static void CheckVariables(IntegrationRecord record, IEnumerable<IntegrationRecord> others)
    {
        if (record.Type != IntegrationType.SshTunnel)
        {
            return;
        }

        string prefix = EnvironmentNames.Prefix(record.Name);
        IntegrationRecord? clash = others.FirstOrDefault(o =>
            o.Type == IntegrationType.SshTunnel &&
            !string.Equals(o.Name, record.Name, StringComparison.OrdinalIgnoreCase) &&
            string.Equals(EnvironmentNames.Prefix(o.Name), prefix, StringComparison.Ordinal));
        if (clash is not null)
        {
            string[] variables = EnvironmentNames.For(record.Name);
            throw new SecureConnectException(
                ErrorIds.TunnelNameConflict,
                ErrorKind.ResourceExists,
                $"The name '{record.Name}' would set {variables[0]} and {variables[1]}, which the SshTunnel integration '{clash.Name}' already sets. " +
                "Choose a name that differs in letters or digits, not only in spaces or punctuation.",
                record.Name);
        }
    }

    /// <summary>
    /// The integrations that Start-SshTunnel -Integration starts, in order and each once. A pattern with wildcards
    /// selects saved tunnels (SshTunnel integrations) only, and matching none is no error; a name without wildcards
    /// selects that integration whatever its type (a database's tunnel is useful to psql), and is IntegrationNotFound
    /// when there is none. <paramref name="wildcard"/> gives the matcher of a pattern with wildcards, null for a plain
    /// name (the cmdlet passes PowerShell's WildcardPattern).
    /// </summary>
    public static IEnumerable<IntegrationSelection> Select(IReadOnlyList<IntegrationRecord> all, IEnumerable<string> names, Func<string, Predicate<string>?> wildcard)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string name in names)
        {
            if (wildcard(name) is { } matches)
            {
                foreach (IntegrationRecord record in all.Where(r => r.Type == IntegrationType.SshTunnel && matches(r.Name)))
                {
                    if (seen.Add(record.Name))
                    {
                        yield return new IntegrationSelection(record, null);
                    }
                }

                continue;
            }

            IntegrationRecord? found = all.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));
            if (found is null)
            {
                yield return new IntegrationSelection(null, IntegrationStore.NotFound(name));
            }
            else if (seen.Add(found.Name))
            {
                yield return new IntegrationSelection(found, null);
            }
        }
    }
}
