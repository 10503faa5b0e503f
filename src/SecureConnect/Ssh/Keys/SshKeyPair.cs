using System;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math.EC.Multiplier;

namespace SecureConnect.Ssh.Keys;

/// <summary>
/// An SSH key pair held as BouncyCastle parameters, with the SSH public forms derived from it: the wire-format
/// public key blob, its fingerprint and the one-line public key for authorized_keys.
/// </summary>
internal sealed class SshKeyPair
{
    private readonly byte[] _publicKeyBlob;

    /// <summary>
    /// Wraps a private key. The public key is always derived from the private one, so the two cannot disagree.
    /// </summary>
    /// <param name="privateKey">
    /// An <see cref="Ed25519PrivateKeyParameters"/>, an <see cref="RsaPrivateCrtKeyParameters"/>, or an
    /// <see cref="ECPrivateKeyParameters"/> on P-256, P-384 or P-521.
    /// </param>
    /// <param name="comment">The key comment; may be empty, must not contain control characters.</param>
    /// <exception cref="SshKeyException">The key type cannot be used for SSH (KeyFormatUnsupported).</exception>
    public SshKeyPair(AsymmetricKeyParameter privateKey, string comment)
    {
        ArgumentNullException.ThrowIfNull(privateKey);
        ArgumentNullException.ThrowIfNull(comment);
        if (!privateKey.IsPrivate)
        {
            throw new ArgumentException("A private key is required.", nameof(privateKey));
        }

        // A line break in the comment would split PublicKeyLine, and with it an authorized_keys entry, in two.
        foreach (char c in comment)
        {
            if (char.IsControl(c))
            {
                throw new ArgumentException("The key comment must not contain control characters or line breaks.", nameof(comment));
            }
        }

        var blob = new SshWireWriter();
        switch (privateKey)
        {
            case Ed25519PrivateKeyParameters ed25519:
                Algorithm = SshKeyAlgorithm.Ed25519;
                KeyType = "ssh-ed25519";
                KeySize = 256;
                PrivateKey = ed25519;
                Ed25519PublicKeyParameters ed25519Public = ed25519.GeneratePublicKey();
                PublicKey = ed25519Public;
                blob.WriteString(KeyType);
                blob.WriteString(ed25519Public.GetEncoded());
                break;

            case RsaPrivateCrtKeyParameters rsa:
                Algorithm = SshKeyAlgorithm.Rsa;
                KeyType = "ssh-rsa";
                KeySize = rsa.Modulus.BitLength;
                PrivateKey = rsa;
                PublicKey = new RsaKeyParameters(false, rsa.Modulus, rsa.PublicExponent);
                blob.WriteString(KeyType);
                blob.WriteMpint(rsa.PublicExponent);
                blob.WriteMpint(rsa.Modulus);
                break;

            case RsaKeyParameters:
                // OpenSSH stores p, q and iqmp, so a key reduced to (n, d) cannot be written as an SSH key.
                throw Unsupported("an RSA private key without its prime factors");

            case ECPrivateKeyParameters ec:
                SshEcdsaCurve curve = SshEcdsaCurve.FromDomain(ec.Parameters)
                    ?? throw Unsupported("an ECDSA key on a curve other than NIST P-256, P-384 or P-521");
                if (ec.D.SignValue <= 0 || ec.D.CompareTo(curve.Parameters.N) >= 0)
                {
                    throw new ArgumentException("The ECDSA private value is out of range.", nameof(privateKey));
                }

                Algorithm = SshKeyAlgorithm.Ecdsa;
                KeyType = curve.KeyType;
                KeySize = curve.Bits;
                Curve = curve;

                // Re-create the key on the named curve so that keys read from explicit-parameter files
                // behave exactly like generated ones.
                var normalized = new ECPrivateKeyParameters("EC", ec.D, curve.Domain);
                PrivateKey = normalized;
                var ecPublic = new ECPublicKeyParameters(
                    "EC", new FixedPointCombMultiplier().Multiply(curve.Domain.G, ec.D).Normalize(), curve.Domain);
                PublicKey = ecPublic;
                blob.WriteString(KeyType);
                blob.WriteString(curve.Name);
                blob.WriteString(ecPublic.Q.Normalize().GetEncoded(compressed: false));
                break;

            case DsaPrivateKeyParameters:
                throw Unsupported("a DSA key (OpenSSH has disabled DSA)");

            default:
                throw Unsupported("a " + privateKey.GetType().Name.Replace("PrivateKeyParameters", string.Empty, StringComparison.Ordinal) + " key");
        }

        Comment = comment;
        _publicKeyBlob = blob.ToArray();
        Fingerprint = SshFingerprint.Sha256(_publicKeyBlob);
        string encoded = Convert.ToBase64String(_publicKeyBlob);
        PublicKeyLine = comment.Length == 0 ? KeyType + " " + encoded : KeyType + " " + encoded + " " + comment;
    }

    /// <summary>The private key.</summary>
    public AsymmetricKeyParameter PrivateKey { get; }

    /// <summary>The public key, derived from <see cref="PrivateKey"/>.</summary>
    public AsymmetricKeyParameter PublicKey { get; }

    /// <summary>The algorithm family.</summary>
    public SshKeyAlgorithm Algorithm { get; }

    /// <summary>The SSH key type: <c>ssh-ed25519</c>, <c>ssh-rsa</c> or <c>ecdsa-sha2-nistp256/384/521</c>.</summary>
    public string KeyType { get; }

    /// <summary>The key size in bits as <c>ssh-keygen -l</c> reports it.</summary>
    public int KeySize { get; }

    /// <summary>The ECDSA curve; null for other algorithms.</summary>
    public SshEcdsaCurve? Curve { get; }

    /// <summary>The public key in SSH wire format (a copy; callers may modify it).</summary>
    public byte[] PublicKeyBlob => (byte[])_publicKeyBlob.Clone();

    /// <summary>The key comment; empty when there is none.</summary>
    public string Comment { get; }

    /// <summary>The SHA-256 fingerprint as <c>ssh-keygen -l -E sha256</c> prints it.</summary>
    public string Fingerprint { get; }

    /// <summary>
    /// The public key as OpenSSH writes it to a .pub file: <c>type base64 comment</c>, or <c>type base64</c>
    /// without a comment; no trailing newline.
    /// </summary>
    public string PublicKeyLine { get; }

    /// <summary>Returns the same key with another comment (no control characters).</summary>
    public SshKeyPair WithComment(string comment) => new(PrivateKey, comment);

    /// <summary>Whether <paramref name="blob"/> is byte for byte this key's public key blob.</summary>
    internal bool PublicKeyBlobEquals(ReadOnlySpan<byte> blob) => blob.SequenceEqual(_publicKeyBlob);

    /// <inheritdoc/>
    public override string ToString() => KeyType + " " + Fingerprint;

    private static SshKeyException Unsupported(string what) => new(
        SshKeyException.KeyFormatUnsupported,
        "The key is " + what + ", which cannot be used. Use an Ed25519, RSA or ECDSA (nistp256, nistp384, nistp521) key.");
}
