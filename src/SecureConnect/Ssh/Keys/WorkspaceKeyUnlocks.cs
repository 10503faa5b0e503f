using System;
using System.Collections.Concurrent;
using System.Security;

namespace SecureConnect.Ssh.Keys;

/// <summary>
/// The passphrases of encrypted workspace keys unlocked in this session (Unlock-WorkspaceSshKey), by private key
/// file: kept in memory only, as read-only SecureString copies, never written anywhere, and gone with the process
/// (or at once with Lock-WorkspaceSshKey or Remove-Module). The tunnels that queries start for integrations, which
/// have no -KeyPassphrase, decrypt the workspace key with them.
/// </summary>
internal static class WorkspaceKeyUnlocks
{
    private static readonly ConcurrentDictionary<string, SecureString> s_passphrases = new(StringComparer.Ordinal);

    /// <summary>Remembers a copy of <paramref name="passphrase"/> for the key file; the caller keeps its own.</summary>
    public static void Remember(string privateKeyPath, SecureString passphrase)
    {
        SecureString copy = passphrase.Copy();
        copy.MakeReadOnly();
        s_passphrases.AddOrUpdate(privateKeyPath, copy, (_, old) =>
        {
            old.Dispose();
            return copy;
        });
    }

    /// <summary>The passphrase unlocked for the key file, or null.</summary>
    public static SecureString? For(string privateKeyPath) =>
        s_passphrases.TryGetValue(privateKeyPath, out SecureString? passphrase) ? passphrase : null;

    /// <summary>Forgets the key file's passphrase; true when there was one.</summary>
    public static bool Forget(string privateKeyPath)
    {
        if (s_passphrases.TryRemove(privateKeyPath, out SecureString? old))
        {
            old.Dispose();
            return true;
        }

        return false;
    }

    /// <summary>Forgets every passphrase (module removal).</summary>
    public static void Clear()
    {
        foreach (string path in s_passphrases.Keys)
        {
            Forget(path);
        }
    }
}
