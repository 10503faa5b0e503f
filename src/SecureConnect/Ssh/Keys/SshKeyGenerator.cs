using System;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace SecureConnect.Ssh.Keys;

/// <summary>Generates new SSH key pairs with BouncyCastle.</summary>
internal static class SshKeyGenerator
{
    /// <summary>RSA modulus size: what ssh-keygen users pick for long-lived keys; 3072 is its default.</summary>
    public const int RsaKeySize = 4096;

    // Miller-Rabin certainty for the RSA primes (error probability 2^-certainty); BouncyCastle raises the
    // number of rounds further for large primes on its own.
    private const int RsaPrimeCertainty = 128;

    private static readonly BigInteger s_rsaPublicExponent = BigInteger.ValueOf(65537);

    /// <summary>
    /// Generates a key: Ed25519, RSA 4096 with e = 65537, or ECDSA on P-256.
    /// </summary>
    /// <param name="algorithm">The algorithm.</param>
    /// <param name="comment">The key comment, e.g. <c>user@host</c>; may be empty; no control characters.</param>
    public static SshKeyPair Generate(SshKeyAlgorithm algorithm, string comment)
    {
        ArgumentNullException.ThrowIfNull(comment);
        var random = new SecureRandom();

        AsymmetricCipherKeyPair pair;
        switch (algorithm)
        {
            case SshKeyAlgorithm.Ed25519:
                var ed25519 = new Ed25519KeyPairGenerator();
                ed25519.Init(new Ed25519KeyGenerationParameters(random));
                pair = ed25519.GenerateKeyPair();
                break;

            case SshKeyAlgorithm.Rsa:
                var rsa = new RsaKeyPairGenerator();
                rsa.Init(new RsaKeyGenerationParameters(s_rsaPublicExponent, random, RsaKeySize, RsaPrimeCertainty));
                pair = rsa.GenerateKeyPair();
                break;

            case SshKeyAlgorithm.Ecdsa:
                var ec = new ECKeyPairGenerator("EC");
                ec.Init(new ECKeyGenerationParameters(SshEcdsaCurve.NistP256.Domain, random));
                pair = ec.GenerateKeyPair();
                break;

            default:
                throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "Unknown SSH key algorithm.");
        }

        return new SshKeyPair(pair.Private, comment);
    }
}
