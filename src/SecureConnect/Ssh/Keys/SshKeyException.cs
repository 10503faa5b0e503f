using System;
using SecureConnect.Common;

namespace SecureConnect.Ssh.Keys;

/// <summary>
/// A key the caller supplied (key file text, passphrase, authorized_keys options) cannot be used. It derives
/// from <see cref="ArgumentException"/> because every cause is bad input, never an internal fault; the cmdlets
/// turn <see cref="ErrorId"/> into the PowerShell error record's id.
/// </summary>
internal sealed class SshKeyException : ArgumentException
{
    /// <summary>The input is a public key where a private key was expected.</summary>
    public const string KeyIsPublicKey = ErrorIds.KeyIsPublicKey;

    /// <summary>The input is a key format, key type, cipher or KDF this module does not read.</summary>
    public const string KeyFormatUnsupported = ErrorIds.KeyFormatUnsupported;

    /// <summary>The input looks like a supported key but is damaged, truncated or inconsistent.</summary>
    public const string KeyFileCorrupt = ErrorIds.KeyFileCorrupt;

    /// <summary>The key is encrypted and no passphrase was given.</summary>
    public const string KeyPassphraseRequired = ErrorIds.KeyPassphraseRequired;

    /// <summary>The passphrase does not decrypt the key.</summary>
    public const string KeyPassphraseIncorrect = ErrorIds.KeyPassphraseIncorrect;

    /// <summary>A permitopen entry is not a valid <c>host:port</c>.</summary>
    public const string InvalidPermitOpen = ErrorIds.InvalidPermitOpen;

    /// <summary>A from entry is not a valid OpenSSH host or address pattern.</summary>
    public const string InvalidFromPattern = ErrorIds.InvalidFromPattern;

    /// <summary>Creates the exception. The message must never contain a passphrase or key material.</summary>
    public SshKeyException(string errorId, string message, string? paramName = null, Exception? innerException = null)
        : base(message, paramName, innerException)
    {
        ErrorId = errorId;
    }

    /// <summary>One of the constants of this class; stable, used as the PowerShell error id.</summary>
    public string ErrorId { get; }
}
