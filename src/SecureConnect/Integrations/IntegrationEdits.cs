using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using SecureConnect.Common;
using SecureConnect.Ssh.Tunnels;

namespace SecureConnect.Integrations;

/// <summary>
/// The checked changes New- and Set-SecureIntegration make to a record: the SSH route (bastion, user, jump hosts, pin)
/// and the driver options. Each refuses bad input with its error id before anything is stored.
/// </summary>
internal static class IntegrationEdits
{
    private const int MaxHostNameLength = 253;

    private static readonly System.Buffers.SearchValues<char> s_hostNameCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._");

    /// <summary>
    /// Refuses a -HostName that is not a host name: a URL ('postgres://db'), a port in the name ('db:5432'), or
    /// characters no host name holds (a space, '/', '@', ...). The name is what the certificate is checked against
    /// (VerifyFull) and what the bastion connects to, so it is checked before anything is stored.
    /// </summary>
    public static void CheckHostName(string hostName, string parameter = "HostName", bool hasConnectionString = false)
    {
        string? problem = HostNameProblem(hostName, parameter, hasConnectionString);
        if (problem is not null)
        {
            throw new SecureConnectException(ErrorIds.InvalidHostName, ErrorKind.InvalidArgument, problem, hostName);
        }
    }

    /// <summary>InvalidName for an SSH user, database, login or secret name with a control character, before anything is stored.</summary>
    public static void CheckNames(string? sshUser, string? database, System.Management.Automation.PSCredential? credential, string? credentialSecret)
    {
        InputText.CheckName(sshUser, "SshUser");
        InputText.CheckName(database, "Database");
        InputText.CheckName(credential?.UserName, "Credential");
        InputText.CheckName(credentialSecret, "CredentialSecret");
    }

    /// <summary>Why <paramref name="hostName"/> is not a host name, with what to give instead; null when it is one.</summary>
    internal static string? HostNameProblem(string hostName, string parameter = "HostName", bool hasConnectionString = false)
    {
        string shown = $"-{parameter} '{InputText.Visible(hostName)}'";
        int scheme = hostName.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0)
        {
            string hint = Uri.TryCreate(hostName, UriKind.Absolute, out Uri? uri) && uri.Host.Length > 0
                ? $"give the host name only (-{parameter} {uri.Host.Trim('[', ']')}{(uri.IsDefaultPort || uri.Port <= 0 ? string.Empty : $" -Port {uri.Port}")})"
                : "give the host name only";
            string alternative = hasConnectionString ? ", or pass the whole connection string with -ConnectionString" : ", with the port in -Port and the database in -Database";
            return $"{shown} is a URL, not a host name: {hint}{alternative}.";
        }

        if (IPAddress.TryParse(hostName, out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetworkV6 && !hostName.Contains('[', StringComparison.Ordinal))
        {
            return null;
        }

        // host:port, and [v6]:port: the port has its own parameter.
        int colon = hostName.LastIndexOf(':');
        if (colon > 0 && colon < hostName.Length - 1 && hostName[(colon + 1)..].All(char.IsAsciiDigit) &&
            (hostName.IndexOf(':') == colon || (hostName.StartsWith('[') && hostName[colon - 1] == ']')))
        {
            string host = hostName[..colon].Trim('[', ']');
            string port = hostName[(colon + 1)..];
            return $"{shown} holds a port: give the host and the port apart, -{parameter} {host} -Port {int.Parse(port, NumberStyles.None, CultureInfo.InvariantCulture)}.";
        }

        if (hostName.StartsWith('[') && hostName.EndsWith(']') && IPAddress.TryParse(hostName[1..^1], out _))
        {
            return $"{shown}: give the IPv6 address without brackets (-{parameter} {hostName[1..^1]}).";
        }

        // An index, not FirstOrDefault: a NUL is default(char) and would pass as "nothing found".
        int badAt = hostName.AsSpan().IndexOfAnyExcept(s_hostNameCharacters);
        if (badAt >= 0)
        {
            char bad = hostName[badAt];
            string what = bad switch
            {
                ' ' => "a space",
                '@' => "'@' (a user goes in -Credential or -SshUser, not in the host name)",
                _ when char.IsControl(bad) => $"the control character U+{(int)bad:X4}",
                _ => $"'{bad}'",
            };
            return $"{shown} is not a host name: it holds {what}. Use a DNS name (letters, digits, '-', '.') or an IP address.";
        }

        if (hostName.Length > MaxHostNameLength || hostName.StartsWith('.') || hostName.Contains("..", StringComparison.Ordinal) || hostName.StartsWith('-'))
        {
            return $"{shown} is not a host name: use a DNS name of at most {MaxHostNameLength} characters, labels separated by single dots, or an IP address.";
        }

        return null;
    }

    /// <summary>
    /// The warning for an integration whose effective SSL mode is below the workspace minimum (its queries are refused
    /// with SslPolicyViolation until it is raised); null when it is not below, or has no SSL mode (a saved tunnel).
    /// </summary>
    public static string? BelowMinimumWarning(IntegrationRecord record, SslPolicyLevels levels)
    {
        if (record.Type == IntegrationType.SshTunnel || levels.Minimum is not { } minimum)
        {
            return null;
        }

        (SslMode mode, SslModeSource source) = IntegrationStore.Effective(record, levels);
        if (mode >= minimum)
        {
            return null;
        }

        string from = source switch
        {
            SslModeSource.Integration => "its own -SslMode",
            SslModeSource.Default => "the workspace default",
            _ => "no SSL mode was set",
        };
        return $"The integration '{record.Name}' uses SSL mode {mode} ({from}), below the workspace minimum {minimum}: its queries are refused (SslPolicyViolation) " +
            $"until it is raised. Raise it with: Set-SslPolicy -Integration {CommandText.Argument(record.Name)} -Mode {minimum}";
    }

    /// <summary>Sets or clears the SecretManagement secret the credential is read from (null and false = unchanged).</summary>
    public static void ApplyCredentialSecret(IntegrationRecord record, string? secret, bool clear)
    {
        if (clear && secret is not null)
        {
            throw new SecureConnectException(
                ErrorIds.ParameterConflict,
                ErrorKind.InvalidArgument,
                $"-CredentialSecret and -NoCredentialSecret contradict each other for '{record.Name}': give one of them.",
                record.Name);
        }

        if (clear)
        {
            record.CredentialSecret = null;
        }
        else if (secret is not null)
        {
            record.CredentialSecret = secret;
        }
    }

    /// <summary>Sets the SSH route from the parameters given (null = unchanged); a bastion needs a user.</summary>
    public static void ApplySsh(IntegrationRecord record, string? bastion, string? user, string[]? jumpHosts, string? fingerprint, int? bastionPort = null)
    {
        if (bastion is not null)
        {
            SshHop hop = JumpHostParser.Parse(bastion, user ?? record.SshUser ?? "user");
            bool written = Ssh.Tunnels.BastionText.NamesPort(bastion);
            if (written && bastionPort is { } given && given != hop.Port)
            {
                throw new SecureConnectException(
                    ErrorIds.ParameterConflict,
                    ErrorKind.InvalidArgument,
                    $"-SshBastion '{bastion}' names port {hop.Port} but -SshBastionPort says {given}: give the port once, in -SshBastion host:port or in -SshBastionPort.",
                    record.Name);
            }

            record.SshBastion = hop.HostName;
            record.SshBastionPort = written ? hop.Port : bastionPort ?? hop.Port;
            if (bastion.Contains('@', StringComparison.Ordinal))
            {
                record.SshUser = hop.User;
            }
        }

        if (user is not null)
        {
            record.SshUser = user;
        }

        if (jumpHosts is not null)
        {
            foreach (string jump in jumpHosts)
            {
                JumpHostParser.Parse(jump, record.SshUser ?? "user");
            }

            record.SshJumpHost = jumpHosts;
        }

        if (fingerprint is not null)
        {
            record.SshHostKeyFingerprint = fingerprint.StartsWith("SHA256:", StringComparison.Ordinal) ? fingerprint : "SHA256:" + fingerprint;
        }

        // An integration without a bastion shows SshBastionPort 22, so a piped copy of one binds 22 here: only another
        // port without a bastion is a contradiction.
        if (bastion is null && bastionPort is { } orphan && orphan != record.SshBastionPort)
        {
            throw new SecureConnectException(
                ErrorIds.ParameterConflict,
                ErrorKind.InvalidArgument,
                $"-SshBastionPort {orphan} was given without -SshBastion: name the bastion too (-SshBastion host:{orphan}).",
                record.Name);
        }

        if (record.SshBastion is not null && string.IsNullOrEmpty(record.SshUser))
        {
            throw new SecureConnectException(
                ErrorIds.SshUserRequired,
                ErrorKind.InvalidArgument,
                $"The integration '{record.Name}' has an SSH bastion but no -SshUser: say which user logs in to {record.SshBastion}.",
                record.Name);
        }
    }

    /// <summary>Replaces the driver options (null = unchanged): never a secret, never one the engine does not pass on.</summary>
    public static void ApplyOptions(IntegrationRecord record, Hashtable? options)
    {
        if (options is null)
        {
            return;
        }

        record.Options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in options)
        {
            string key = IntegrationStore.FormatOption(entry.Key);
            if (key.Contains("password", StringComparison.OrdinalIgnoreCase) || key.Equals("pwd", StringComparison.OrdinalIgnoreCase))
            {
                throw new SecureConnectException(
                    ErrorIds.InvalidOption,
                    ErrorKind.InvalidArgument,
                    $"-Option '{key}' looks like a secret; options are stored in workspace.json in clear. Pass passwords with -Credential or -CredentialSecret.",
                    key);
            }

            record.Options[key] = IntegrationStore.FormatOption(entry.Value);
        }

        // Refuse options that touch TLS, the endpoint or credentials now rather than at the first query.
        Sql.Engines.For(record.Type).CheckOptions(options);
    }
}
