using System;
using System.Security.Cryptography;

namespace SecureConnect.Ssh.Keys;

/// <summary>SSH key fingerprints in the form OpenSSH prints them.</summary>
internal static class SshFingerprint
{
    /// <summary>
    /// Returns <c>SHA256:</c> followed by the unpadded base64 SHA-256 of the public key blob, exactly what
    /// <c>ssh-keygen -l -E sha256</c> and the sshd logs show.
    /// </summary>
    public static string Sha256(byte[] publicKeyBlob)
    {
        ArgumentNullException.ThrowIfNull(publicKeyBlob);
        byte[] hash = SHA256.HashData(publicKeyBlob);

        // OpenSSH strips the '=' padding so the fingerprint reads as a single token.
        return "SHA256:" + Convert.ToBase64String(hash).TrimEnd('=');
    }
}
