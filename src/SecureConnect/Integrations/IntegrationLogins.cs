using System;
using System.Management.Automation;
using System.Net;
using System.Security;
using SecureConnect.Common;

namespace SecureConnect.Integrations;

/// <summary>How a vault is asked for a secret: the secret's name in, the secret (or why not) out.</summary>
internal delegate object? SecretReader(string secretName);

/// <summary>
/// The login an integration's connection uses, in order: the -Credential given now, the credential given to
/// New-/Set-SecureIntegration in this process, the SecretManagement secret it names, or its user name alone.
/// The vault is reached through a delegate (the cmdlet runs Get-Secret), so this is tested without PowerShell.
/// </summary>
internal static class IntegrationLogins
{
    public static NetworkCredential? Resolve(IntegrationRecord record, string workspaceRoot, PSCredential? explicitCredential, Func<SecretReader?> vault)
    {
        if (explicitCredential is not null)
        {
            return ToNetwork(explicitCredential);
        }

        if (SessionCredentials.Get(workspaceRoot, record.Name) is { } cached)
        {
            return ToNetwork(cached);
        }

        if (record.CredentialSecret is not null)
        {
            return ToNetwork(FromSecret(record, vault()));
        }

        return record.UserName is null ? null : new NetworkCredential(record.UserName, (string?)null);
    }

    public static NetworkCredential? ToNetwork(PSCredential? credential) =>
        credential is null || credential == PSCredential.Empty ? null : credential.GetNetworkCredential();

    private static PSCredential FromSecret(IntegrationRecord record, SecretReader? vault)
    {
        if (vault is null)
        {
            throw new SecureConnectException(
                ErrorIds.CredentialNotFound,
                ErrorKind.NotInstalled,
                $"The integration '{record.Name}' reads its credential from the secret '{record.CredentialSecret}', but Get-Secret (Microsoft.PowerShell.SecretManagement) is not available. Install that module, or pass -Credential.",
                record.Name);
        }

        object? secret;
        try
        {
            secret = vault(record.CredentialSecret!);
        }
        catch (RuntimeException e)
        {
            throw new SecureConnectException(
                ErrorIds.CredentialNotFound,
                ErrorKind.ObjectNotFound,
                $"Could not read the secret '{record.CredentialSecret}' for '{record.Name}': {e.Message}",
                record.Name,
                e);
        }

        return secret switch
        {
            PSCredential credential => credential,
            SecureString password when record.UserName is not null => new PSCredential(record.UserName, password),
            _ => throw new SecureConnectException(
                ErrorIds.CredentialNotFound,
                ErrorKind.InvalidData,
                $"The secret '{record.CredentialSecret}' for '{record.Name}' must be a PSCredential, or a SecureString when the integration has a user name.",
                record.Name),
        };
    }
}
