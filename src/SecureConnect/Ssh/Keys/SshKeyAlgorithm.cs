namespace SecureConnect.Ssh.Keys;

/// <summary>The key algorithms the SSH key layer generates and writes.</summary>
internal enum SshKeyAlgorithm
{
    /// <summary>Ed25519, the default.</summary>
    Ed25519,

    /// <summary>RSA; generated with 4096 bits and e = 65537.</summary>
    Rsa,

    /// <summary>ECDSA on a NIST curve; generated on P-256, read on P-256, P-384 and P-521.</summary>
    Ecdsa,
}
