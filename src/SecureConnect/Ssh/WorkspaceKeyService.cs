using System;
using System.Globalization;
using System.IO;
using System.Security;
using System.Text;
using System.Text.Json.Nodes;
using SecureConnect.Common;
using SecureConnect.Ssh.Keys;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Workspace;

namespace SecureConnect.Ssh;

/// <summary>
/// The workspace SSH key: one key pair per workspace, shared by every integration. Creates, imports, reads,
/// rotates and removes it, always under the workspace lock, never overwriting a key silently.
/// </summary>
internal sealed class WorkspaceKeyService
{
    private const string SettingsKey = "workspaceKey";
    private const int MaxKeyFileBytes = 64 * 1024;

    private readonly WorkspaceStore _store;

    public WorkspaceKeyService(WorkspaceStore store)
    {
        _store = store;
    }

    private WorkspacePaths Paths => _store.Paths;

    /// <summary>True when the workspace has a key.</summary>
    public bool Exists => File.Exists(Paths.PrivateKeyFile);

    /// <summary>Reads the workspace key; no passphrase is needed for that.</summary>
    /// <remarks>
    /// Read without the lock first. A rotation replaces the private half, then the public half, then the settings
    /// entry, each atomically: a read between them sees halves of two keys (or, from an older module, a missing half).
    /// Such a read is done again under the workspace lock, where no rotation runs, so every reader sees a whole pair.
    /// </remarks>
    public WorkspaceSshKey Get()
    {
        if (TryReadWholePair() is { } key)
        {
            return key;
        }

        // No half at all: there is no key, nothing to wait for (and reading creates no workspace folder).
        if (!File.Exists(Paths.PrivateKeyFile) && !File.Exists(Paths.PublicKeyFile))
        {
            throw NotFound();
        }

        return _store.WithLock(ReadPair);
    }

    private WorkspaceSshKey? TryReadWholePair()
    {
        string publicLine;
        string privateText;
        try
        {
            publicLine = File.ReadAllText(Paths.PublicKeyFile).Trim();
            privateText = File.ReadAllText(Paths.PrivateKeyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A half is missing (none yet, removed, mid-change) or is no file: the read under the lock says which.
            return null;
        }

        (string? fingerprint, DateTimeOffset? created) = ReadSettingsEntry();
        if (!HalvesMatch(publicLine, privateText, fingerprint))
        {
            return null;
        }

        return Describe(publicLine, privateText, created);
    }

    /// <summary>
    /// False when the halves (or the settings entry) belong to different keys. A half that does not parse counts as
    /// matching: <see cref="Describe"/> reports it as WorkspaceKeyCorrupt.
    /// </summary>
    private static bool HalvesMatch(string publicLine, string privateText, string? settingsFingerprint)
    {
        string[] parts = publicLine.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        byte[] publicBlob;
        byte[]? privateBlob;
        try
        {
            if (parts.Length < 2)
            {
                return true;
            }

            publicBlob = Convert.FromBase64String(parts[1]);
            privateBlob = OpenSshPrivateKeyFormat.PublicBlob(privateText);
        }
        catch (Exception e) when (e is FormatException or SshKeyException)
        {
            return true;
        }

        if (privateBlob is not null && !privateBlob.AsSpan().SequenceEqual(publicBlob))
        {
            return false;
        }

        return settingsFingerprint is null || settingsFingerprint == SshFingerprint.Sha256(publicBlob);
    }

    /// <summary>Reads the pair as it is; call while holding the lock (or where nothing can change it).</summary>
    private WorkspaceSshKey ReadPair()
    {
        if (!File.Exists(Paths.PrivateKeyFile) || !File.Exists(Paths.PublicKeyFile))
        {
            throw NotFound();
        }

        string publicLine = File.ReadAllText(Paths.PublicKeyFile).Trim();
        string privateText = File.ReadAllText(Paths.PrivateKeyFile);
        return Describe(publicLine, privateText, ReadSettingsEntry().Created);
    }

    private WorkspaceSshKey Describe(string publicLine, string privateText, DateTimeOffset? created)
    {
        bool encrypted;
        try
        {
            encrypted = OpenSshPrivateKeyFormat.IsEncrypted(privateText);
        }
        catch (SshKeyException e)
        {
            throw new SecureConnectException(
                ErrorIds.WorkspaceKeyCorrupt,
                ErrorKind.InvalidData,
                $"The workspace private key '{Paths.PrivateKeyFile}' cannot be read ({e.Message}). Replace it with New-WorkspaceSshKey -Force or Import-WorkspaceSshKey -Force.",
                Paths.PrivateKeyFile,
                e);
        }

        (SshKeyAlgorithm algorithm, byte[] blob) = ParsePublicLine(publicLine);
        return new WorkspaceSshKey(
            algorithm,
            SshFingerprint.Sha256(blob),
            publicLine,
            Paths.PrivateKeyFile,
            Paths.PublicKeyFile,
            encrypted,
            created ?? new DateTimeOffset(File.GetLastWriteTimeUtc(Paths.PrivateKeyFile), TimeSpan.Zero));
    }

    /// <summary>Generates a new key pair and stores it; rotates the old one away when <paramref name="force"/>.</summary>
    public WorkspaceSshKey Create(SshKeyAlgorithm algorithm, string? comment, byte[]? passphrase, bool force, Action<string> verbose)
    {
        string effectiveComment = string.IsNullOrWhiteSpace(comment) ? DefaultComment() : comment!;
        ValidateComment(effectiveComment);

        // Generating RSA-4096 takes seconds: do it before taking the lock.
        SshKeyPair pair = SshKeyGenerator.Generate(ToInternal(algorithm), effectiveComment);
        return Store(pair, passphrase, force, "generated", verbose);
    }

    /// <summary>Adopts an existing OpenSSH or PEM private key as the workspace key.</summary>
    public WorkspaceSshKey Import(string path, byte[]? passphrase, bool force, Action<string> verbose)
    {
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new SecureConnectException(
                ErrorIds.KeyFileNotFound,
                ErrorKind.ObjectNotFound,
                $"The key file '{fullPath}' does not exist.",
                fullPath);
        }

        if (new FileInfo(fullPath).Length > MaxKeyFileBytes)
        {
            throw new SecureConnectException(
                ErrorIds.KeyFileCorrupt,
                ErrorKind.InvalidData,
                $"The file '{fullPath}' is larger than {MaxKeyFileBytes / 1024} KiB and is not a private key.",
                fullPath);
        }

        string text = File.ReadAllText(fullPath, Encoding.UTF8);

        // A public key (an id_ed25519.pub given for id_ed25519) is said first: its mode (usually 0644) and anything
        // else about it would be the wrong complaint.
        ThrowIfPublicKey(text, fullPath);
        if (SecureFile.IsUnprotected(fullPath))
        {
            string mode = SecureFile.DescribeMode(fullPath);
            throw new SecureConnectException(
                ErrorIds.KeyFileUnprotected,
                ErrorKind.SecurityError,
                $"The private key file '{fullPath}' has mode {mode}: group or others can read it, so it may be known to others (OpenSSH refuses such an UNPROTECTED PRIVATE KEY FILE too). " +
                $"Run 'chmod 600 {fullPath}', consider the key compromised if others could read it, and import again.",
                fullPath);
        }

        SshKeyPair pair;
        bool wasEncrypted;
        try
        {
            wasEncrypted = OpenSshPrivateKeyFormat.IsEncrypted(text);
            pair = OpenSshPrivateKeyFormat.Read(text, passphrase);
        }
        catch (SshKeyException e)
        {
            throw FromKeyException(e, fullPath);
        }

        if (string.IsNullOrEmpty(pair.Comment))
        {
            pair = pair.WithComment(DefaultComment());
        }

        // The key is stored re-encoded in OpenSSH format, protected the way it came: an encrypted key stays
        // encrypted with the same passphrase.
        byte[]? storePassphrase = wasEncrypted || passphrase is { Length: > 0 } ? passphrase : null;
        return Store(pair, storePassphrase, force, "imported from " + fullPath, verbose);
    }

    /// <summary>
    /// Unlocks an encrypted workspace key for this session: checks the passphrase by decrypting the key, then keeps a
    /// copy of it in memory (never on disk) for the tunnels that integrations start. An unencrypted key needs nothing.
    /// </summary>
    public WorkspaceSshKey Unlock(SecureString passphrase, Action<string> verbose)
    {
        WorkspaceSshKey key = Get();
        if (!key.Encrypted)
        {
            verbose($"The workspace key {key.Fingerprint} is not encrypted; there is nothing to unlock.");
            return key;
        }

        byte[]? secret = SecretConversion.ToUtf8(passphrase);
        try
        {
            OpenSshPrivateKeyFormat.Read(File.ReadAllText(key.PrivateKeyPath, Encoding.UTF8), secret);
        }
        catch (SshKeyException e)
        {
            throw FromKeyException(e, key.PrivateKeyPath);
        }
        finally
        {
            SecretConversion.Clear(secret);
        }

        WorkspaceKeyUnlocks.Remember(key.PrivateKeyPath, passphrase);
        verbose($"Unlocked the workspace key {key.Fingerprint} for this session (in memory only).");
        return key;
    }

    /// <summary>Forgets this session's passphrase of the workspace key; true when it was unlocked.</summary>
    public bool Lock() => WorkspaceKeyUnlocks.Forget(Paths.PrivateKeyFile);

    private static void ThrowIfPublicKey(string text, string path)
    {
        try
        {
            OpenSshPrivateKeyFormat.IsEncrypted(text);
        }
        catch (SshKeyException e) when (e.ErrorId == ErrorIds.KeyIsPublicKey)
        {
            throw FromKeyException(e, path);
        }
        catch (SshKeyException)
        {
            // Any other problem is reported after the file's permissions, as before.
        }
    }

    /// <summary>Deletes the workspace key pair.</summary>
    public WorkspaceSshKey Remove(Action<string> verbose)
    {
        return _store.WithLock(() =>
        {
            WorkspaceSshKey key = Get();
            SecureFile.TryDelete(Paths.PrivateKeyFile);
            SecureFile.TryDelete(Paths.PublicKeyFile);
            WorkspaceKeyUnlocks.Forget(Paths.PrivateKeyFile);
            if (File.Exists(Paths.PrivateKeyFile))
            {
                throw new SecureConnectException(
                    ErrorIds.WorkspaceKeyNotRemoved,
                    ErrorKind.WriteError,
                    $"Could not delete '{Paths.PrivateKeyFile}'. Check the file's permissions.",
                    Paths.PrivateKeyFile);
            }

            JsonObject settings = _store.ReadSettings();
            settings.Remove(SettingsKey);
            _store.WriteSettings(settings);
            verbose($"Deleted the workspace key {key.Fingerprint} ({Paths.PrivateKeyFile}).");
            return key;
        });
    }

    internal static SecureConnectException FromKeyException(SshKeyException e, string path)
    {
        ErrorKind kind = e.ErrorId switch
        {
            ErrorIds.KeyPassphraseIncorrect => ErrorKind.AuthenticationError,
            ErrorIds.KeyPassphraseRequired => ErrorKind.InvalidArgument,
            ErrorIds.KeyIsPublicKey => ErrorKind.InvalidArgument,
            ErrorIds.KeyFormatUnsupported => ErrorKind.InvalidData,
            _ => ErrorKind.InvalidData,
        };
        return new SecureConnectException(e.ErrorId, kind, $"'{path}': {e.Message}", path, e);
    }

    private WorkspaceSshKey Store(SshKeyPair pair, byte[]? passphrase, bool force, string origin, Action<string> verbose)
    {
        string privateText = OpenSshPrivateKeyFormat.Write(pair, passphrase is { Length: > 0 } ? passphrase : null);
        string publicText = pair.PublicKeyLine + "\n";

        return _store.WithLock(() =>
        {
            if (!force)
            {
                ThrowIfExists();
            }

            // Read the settings before touching any file: a corrupt workspace.json stops the command with
            // nothing half-written.
            JsonObject settings = _store.ReadSettings();
            string? retired = File.Exists(Paths.PrivateKeyFile) || File.Exists(Paths.PublicKeyFile) ? Retire(verbose) : null;
            try
            {
                WritePair(privateText, publicText);

                // A passphrase unlocked for the old key is no use for the new one.
                WorkspaceKeyUnlocks.Forget(Paths.PrivateKeyFile);
            }
            catch (SecureConnectException) when (retired is not null)
            {
                // The new pair could not be written: the previous key goes back where it was, never lost.
                Restore(retired);
                throw;
            }

            DateTimeOffset created = DateTimeOffset.UtcNow;
            settings[SettingsKey] = new JsonObject
            {
                ["algorithm"] = FromInternal(pair.Algorithm).ToString(),
                ["fingerprint"] = pair.Fingerprint,
                ["encrypted"] = passphrase is { Length: > 0 },
                ["created"] = created.ToString("o", CultureInfo.InvariantCulture),
                ["origin"] = origin,
            };
            _store.WriteSettings(settings);
            verbose($"Stored the workspace key {pair.Fingerprint} ({origin}) at '{Paths.PrivateKeyFile}'.");

            return new WorkspaceSshKey(
                FromInternal(pair.Algorithm),
                pair.Fingerprint,
                pair.PublicKeyLine,
                Paths.PrivateKeyFile,
                Paths.PublicKeyFile,
                passphrase is { Length: > 0 },
                created);
        });
    }

    /// <summary>Writes both halves, or neither: a half that could not be written takes the other with it.</summary>
    private void WritePair(string privateText, string publicText)
    {
        string writing = Paths.PrivateKeyFile;
        try
        {
            SecureFile.WriteAtomic(Paths.PrivateKeyFile, Encoding.UTF8.GetBytes(privateText));
            writing = Paths.PublicKeyFile;
            SecureFile.WriteAtomic(Paths.PublicKeyFile, Encoding.UTF8.GetBytes(publicText));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (writing == Paths.PublicKeyFile && File.Exists(Paths.PrivateKeyFile))
            {
                SecureFile.TryDelete(Paths.PrivateKeyFile);
            }

            throw _store.NotWritable(writing, "write the workspace key file", e);
        }
    }

    private void Restore(string retired)
    {
        foreach (string file in Directory.GetFiles(retired))
        {
            // The retired copy goes back over whatever half the failed rotation left, in one rename.
            string back = Path.Combine(Paths.KeysDirectory, Path.GetFileName(file));
            if (!Directory.Exists(back))
            {
                File.Move(file, back, overwrite: true);
            }
        }

        SecureFile.TryDeleteDirectory(retired);
    }

    /// <summary>
    /// Copies the current pair to keys/retired/&lt;timestamp&gt;/ and leaves it in place: the new pair then replaces
    /// each half atomically, so a reader (a tunnel opening the key file) never finds a half missing.
    /// </summary>
    private string Retire(Action<string> verbose)
    {
        string stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);
        string target = Path.Combine(Paths.RetiredKeysDirectory, stamp);

        // Two rotations within one millisecond (one after the other, under the lock) each keep their own folder.
        for (int n = 2; Directory.Exists(target); n++)
        {
            target = Path.Combine(Paths.RetiredKeysDirectory, stamp + "-" + n.ToString(CultureInfo.InvariantCulture));
        }

        SecureFile.EnsureDirectory(Paths.RetiredKeysDirectory);
        SecureFile.EnsureDirectory(target);
        string described = TryDescribeExisting();
        foreach (string file in new[] { Paths.PrivateKeyFile, Paths.PublicKeyFile })
        {
            if (File.Exists(file))
            {
                SecureFile.WriteAtomic(Path.Combine(target, Path.GetFileName(file)), File.ReadAllBytes(file));
            }
        }

        verbose($"Retired the previous workspace key{described} to '{target}'. Remove its public key from the bastions' authorized_keys once the new key is installed.");
        return target;
    }

    private string TryDescribeExisting()
    {
        try
        {
            return " " + Get().Fingerprint;
        }
        catch (Exception e) when (e is SecureConnectException or IOException or SshKeyException)
        {
            return string.Empty;
        }
    }

    /// <summary>The fingerprint and creation time workspace.json records for the key (each null when absent or unreadable).</summary>
    private (string? Fingerprint, DateTimeOffset? Created) ReadSettingsEntry()
    {
        JsonNode? entry = _store.ReadSettings()[SettingsKey];
        string? fingerprint = null;
        DateTimeOffset? created = null;
        try
        {
            fingerprint = entry?["fingerprint"]?.GetValue<string>();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
        }

        try
        {
            string? text = entry?["created"]?.GetValue<string>();
            created = text is null ? null : DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
        }

        return (fingerprint, created);
    }

    private (SshKeyAlgorithm Algorithm, byte[] Blob) ParsePublicLine(string line)
    {
        string[] parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        try
        {
            if (parts.Length >= 2)
            {
                byte[] blob = Convert.FromBase64String(parts[1]);
                SshKeyAlgorithm? algorithm = parts[0] switch
                {
                    "ssh-ed25519" => SshKeyAlgorithm.Ed25519,
                    "ssh-rsa" => SshKeyAlgorithm.Rsa,
                    _ when parts[0].StartsWith("ecdsa-sha2-", StringComparison.Ordinal) => SshKeyAlgorithm.Ecdsa,
                    _ => null,
                };
                // The blob must hold a key of the type the line names, or the fingerprint is of nothing.
                if (algorithm is not null && KnownHostEntry.TryValidateKey(parts[0], blob, out _))
                {
                    return (algorithm.Value, blob);
                }
            }
        }
        catch (FormatException)
        {
        }

        throw new SecureConnectException(
            ErrorIds.WorkspaceKeyCorrupt,
            ErrorKind.InvalidData,
            $"The workspace public key '{Paths.PublicKeyFile}' is not a valid OpenSSH public key line. Replace the key with New-WorkspaceSshKey -Force or Import-WorkspaceSshKey -Force.",
            Paths.PublicKeyFile);
    }

    /// <summary>Fails with WorkspaceKeyExists when there is a key (checked again under the lock when storing).</summary>
    public void ThrowIfExists()
    {
        if (File.Exists(Paths.PrivateKeyFile) || File.Exists(Paths.PublicKeyFile))
        {
            throw KeyExists();
        }
    }

    private SecureConnectException KeyExists() => new(
        ErrorIds.WorkspaceKeyExists,
        ErrorKind.ResourceExists,
        $"The workspace already has a key{TryDescribeExisting()} at '{Paths.PrivateKeyFile}'. It is used by every integration of the workspace; " +
        "use Get-WorkspaceSshKey to see it, or add -Force to rotate it (the old pair is kept under keys/retired/).",
        Paths.PrivateKeyFile);

    private SecureConnectException NotFound() => new(
        ErrorIds.WorkspaceKeyNotFound,
        ErrorKind.ObjectNotFound,
        $"The workspace '{Paths.Root}' has no SSH key. Run New-WorkspaceSshKey to create one (or Import-WorkspaceSshKey -Path <file> to adopt an existing key).",
        Paths.PrivateKeyFile);

    private static void ValidateComment(string comment)
    {
        foreach (char c in comment)
        {
            if (char.IsControl(c))
            {
                throw new SecureConnectException(
                    ErrorIds.InvalidKeyComment,
                    ErrorKind.InvalidArgument,
                    "The key comment must be one line without control characters.",
                    comment);
            }
        }
    }

    private static string DefaultComment() =>
        "secureconnect@" + Environment.MachineName.ToLowerInvariant();

    private static Keys.SshKeyAlgorithm ToInternal(SshKeyAlgorithm algorithm) => algorithm switch
    {
        SshKeyAlgorithm.Rsa => Keys.SshKeyAlgorithm.Rsa,
        SshKeyAlgorithm.Ecdsa => Keys.SshKeyAlgorithm.Ecdsa,
        _ => Keys.SshKeyAlgorithm.Ed25519,
    };

    private static SshKeyAlgorithm FromInternal(Keys.SshKeyAlgorithm algorithm) => algorithm switch
    {
        Keys.SshKeyAlgorithm.Rsa => SshKeyAlgorithm.Rsa,
        Keys.SshKeyAlgorithm.Ecdsa => SshKeyAlgorithm.Ecdsa,
        _ => SshKeyAlgorithm.Ed25519,
    };
}
