using System;
using Newtonsoft.Json;
using Newtonsoft.Json.Converters;

namespace SecureConnect;

/// <summary>The algorithms a workspace SSH key can use.</summary>
[JsonConverter(typeof(StringEnumConverter))]
public enum SshKeyAlgorithm
{
    /// <summary>Ed25519 (the default): short keys, fast, accepted by OpenSSH 6.5 and later.</summary>
    Ed25519,

    /// <summary>RSA, 4096 bits, signed with rsa-sha2-256/512 for OpenSSH 8.8 and later.</summary>
    Rsa,

    /// <summary>ECDSA on the NIST P-256 curve.</summary>
    Ecdsa,
}

/// <summary>
/// The workspace SSH key pair: one key for every integration of a workspace. Its public key goes into the
/// bastion's authorized_keys; its private key stays in the workspace's keys folder.
/// </summary>
public sealed class WorkspaceSshKey
{
    /// <summary>Creates the object; used by the module.</summary>
    public WorkspaceSshKey(
        SshKeyAlgorithm algorithm,
        string fingerprint,
        string publicKey,
        string privateKeyPath,
        string publicKeyPath,
        bool encrypted,
        DateTimeOffset created)
    {
        Algorithm = algorithm;
        Fingerprint = fingerprint;
        PublicKey = publicKey;
        PrivateKeyPath = privateKeyPath;
        PublicKeyPath = publicKeyPath;
        Encrypted = encrypted;
        Created = created;
    }

    /// <summary>The key algorithm.</summary>
    public SshKeyAlgorithm Algorithm { get; }

    /// <summary>The SHA-256 fingerprint exactly as <c>ssh-keygen -l -E sha256</c> prints it.</summary>
    public string Fingerprint { get; }

    /// <summary>The public key as one authorized_keys line: type, base64 blob, comment.</summary>
    public string PublicKey { get; }

    /// <summary>Path of the private key file (OpenSSH format, mode 0600).</summary>
    public string PrivateKeyPath { get; }

    /// <summary>Path of the public key file.</summary>
    public string PublicKeyPath { get; }

    /// <summary>True when the private key file is encrypted with a passphrase.</summary>
    public bool Encrypted { get; }

    /// <summary>When the key was created or imported.</summary>
    public DateTimeOffset Created { get; }

    /// <inheritdoc/>
    public override string ToString() => PublicKey;
}
