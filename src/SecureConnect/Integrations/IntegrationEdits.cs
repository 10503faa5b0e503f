using System;
using System.Collections;
using System.Collections.Generic;
using SecureConnect.Common;
using SecureConnect.Ssh.Tunnels;

namespace SecureConnect.Integrations;

/// <summary>
/// The checked changes New- and Set-SecureIntegration make to a record: the SSH route (bastion, user, jump hosts, pin)
/// and the driver options. Each refuses bad input with its error id before anything is stored.
/// </summary>
internal static class IntegrationEdits
{
    /// <summary>Sets the SSH route from the parameters given (null = unchanged); a bastion needs a user.</summary>
    public static void ApplySsh(IntegrationRecord record, string? bastion, string? user, string[]? jumpHosts, string? fingerprint)
    {
        if (bastion is not null)
        {
            SshHop hop = JumpHostParser.Parse(bastion, user ?? record.SshUser ?? "user");
            record.SshBastion = hop.HostName;
            record.SshBastionPort = hop.Port;
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
