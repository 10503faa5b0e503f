using System;
using System.IO;
using System.Security;
using System.Text;
using Renci.SshNet;
using SecureConnect.Common;
using SecureConnect.Ssh.Keys;
using SecureConnect.Workspace;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>
/// The private key a tunnel authenticates with: the workspace key unless -KeyPath names another. It is decrypted
/// once, in memory, with our own reader (so the passphrase never becomes a .NET string) and handed to SSH.NET as an
/// unencrypted in-memory key; reconnects reuse it without asking again.
/// </summary>
internal sealed class TunnelKey
{
    private TunnelKey(IPrivateKeySource source, string fingerprint, string path)
    {
        Source = source;
        Fingerprint = fingerprint;
        Path = path;
    }

    public IPrivateKeySource Source { get; }

    /// <summary>The fingerprint of the key offered, for error messages.</summary>
    public string Fingerprint { get; }

    public string Path { get; }

    public static TunnelKey Load(WorkspaceStore store, string? keyPath, SecureString? passphrase)
    {
        string path;
        if (keyPath is null)
        {
            path = new WorkspaceKeyService(store).Get().PrivateKeyPath;

            // Unlock-WorkspaceSshKey: the way an integration's tunnel, which has no -KeyPassphrase, gets the passphrase.
            passphrase ??= WorkspaceKeyUnlocks.For(path);
        }
        else
        {
            // Already a full path: the cmdlet resolved it against PowerShell's location, not the process's directory.
            path = keyPath;
            if (!File.Exists(path))
            {
                throw new SecureConnectException(ErrorIds.KeyFileNotFound, ErrorKind.ObjectNotFound, $"The key file '{path}' does not exist.", path);
            }

            if (SecureFile.IsUnprotected(path))
            {
                throw new SecureConnectException(
                    ErrorIds.KeyFileUnprotected,
                    ErrorKind.SecurityError,
                    $"The private key file '{path}' has mode {SecureFile.DescribeMode(path)}: group or others can read it. Run 'chmod 600 {path}' and try again.",
                    path);
            }
        }

        byte[]? secret = SecretConversion.ToUtf8(passphrase);
        try
        {
            SshKeyPair pair = OpenSshPrivateKeyFormat.Read(File.ReadAllText(path, Encoding.UTF8), secret);
            // The decrypted key goes to SSH.NET as bytes that are cleared at once, never as a string.
            byte[] plain = OpenSshPrivateKeyFormat.WriteBytes(pair, passphrase: null);
            try
            {
                using var stream = new MemoryStream(plain, writable: false);
                var source = new PrivateKeyFile(stream);
                return new TunnelKey(source, pair.Fingerprint, path);
            }
            finally
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
            }
        }
        catch (SshKeyException e)
        {
            SecureConnectException error = WorkspaceKeyService.FromKeyException(e, path);
            if (e.ErrorId == SshKeyException.KeyPassphraseRequired)
            {
                // Only Start-SshTunnel has -KeyPath and -KeyPassphrase; the workspace key is also used by queries, which have neither.
                string hint = keyPath is null
                    ? " It is the workspace key: unlock it once for this session with Unlock-WorkspaceSshKey -Passphrase <SecureString> (in a runbook, from Get-Secret), then run the command again."
                    : " Pass it with -KeyPassphrase.";
                error = new SecureConnectException(error.ErrorId, error.Kind, error.Message + hint, path, e);
            }

            throw error;
        }
        finally
        {
            SecretConversion.Clear(secret);
        }
    }
}
