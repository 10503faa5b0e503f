using System;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace SecureConnect.Ssh.Keys;

/// <summary>
/// Generates new SSH key pairs: RSA with the platform's RSA (OpenSSL on Linux, CNG on Windows, Security.framework
/// on macOS), Ed25519 and ECDSA with BouncyCastle.
/// </summary>
internal static class SshKeyGenerator
{
    /// <summary>RSA modulus size: what ssh-keygen users pick for long-lived keys; 3072 is its default.</summary>
    public const int RsaKeySize = 4096;

    private const int RsaPublicExponent = 65537;

    /// <summary>
    /// Generates a key: Ed25519, RSA 4096 with e = 65537, or ECDSA on P-256.
    /// </summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="comment">The key comment, e.g. <c>user@host</c>; may be empty; no control characters.</param>
    public static SshKeyPair Generate(SshKeyAlgorithm algorithm, string comment)
    {
        ArgumentNullException.ThrowIfNull(comment);

        AsymmetricKeyParameter privateKey;
        switch (algorithm)
        {
            case SshKeyAlgorithm.Ed25519:
                var ed25519 = new Ed25519KeyPairGenerator();
                ed25519.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
                privateKey = ed25519.GenerateKeyPair().Private;
                break;

            case SshKeyAlgorithm.Rsa:
                privateKey = GenerateRsa();
                break;

            case SshKeyAlgorithm.Ecdsa:
                var ec = new ECKeyPairGenerator("EC");
                ec.Init(new ECKeyGenerationParameters(SshEcdsaCurve.NistP256.Domain, new SecureRandom()));
                privateKey = ec.GenerateKeyPair().Private;
                break;

            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown SSH key algorithm.");
        }

        return new SshKeyPair(privateKey, comment);
    }

    /// <summary>
    /// An RSA key from the platform's generator (on Linux the OpenSSL that ssh-keygen itself calls): several times
    /// faster than BouncyCastle's prime search, with the same e and size.
    /// </summary>
    private static RsaPrivateCrtKeyParameters GenerateRsa()
    {
        using var rsa = RSA.Create(RsaKeySize);
        RSAParameters parameters = rsa.ExportParameters(includePrivateParameters: true);
        try
        {
            var key = new RsaPrivateCrtKeyParameters(
                Unsigned(parameters.Modulus),
                Unsigned(parameters.Exponent),
                Unsigned(parameters.D),
                Unsigned(parameters.P),
                Unsigned(parameters.Q),
                Unsigned(parameters.DP),
                Unsigned(parameters.DQ),
                Unsigned(parameters.InverseQ)); // q^-1 mod p: OpenSSH's iqmp

            // Every platform uses 65537 today; a key with another e would not be the key the cmdlet documents.
            if (key.Modulus.BitLength != RsaKeySize || !key.PublicExponent.Equals(BigInteger.ValueOf(RsaPublicExponent)))
            {
                throw new InvalidOperationException(
                    $"The platform generated an RSA key of {key.Modulus.BitLength} bits with e = {key.PublicExponent}, not {RsaKeySize} bits with e = {RsaPublicExponent}.");
            }

            return key;
        }
        finally
        {
            // The BigIntegers hold their own copies; the exported arrays must not linger on the heap.
            CryptographicOperations.ZeroMemory(parameters.D);
            CryptographicOperations.ZeroMemory(parameters.P);
            CryptographicOperations.ZeroMemory(parameters.Q);
            CryptographicOperations.ZeroMemory(parameters.DP);
            CryptographicOperations.ZeroMemory(parameters.DQ);
            CryptographicOperations.ZeroMemory(parameters.InverseQ);
        }
    }

    // .NET exports big-endian unsigned magnitudes (the private parts padded with leading zeros to a fixed length).
    private static BigInteger Unsigned(byte[]? bytes) =>
        new(1, bytes ?? throw new InvalidOperationException("The platform exported an RSA key without all its CRT parameters."));
}
