using System;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto.Parameters;
using SecureConnect.Ssh.Keys;
using Xunit;
using KeyAlgorithm = SecureConnect.Ssh.Keys.SshKeyAlgorithm;

namespace SecureConnect.Tests.Ssh;

public sealed class SshKeyGeneratorTests
{
    [Theory]
    [InlineData("Ed25519", "ssh-ed25519", 256)]
    [InlineData("Rsa", "ssh-rsa", 4096)]
    [InlineData("Ecdsa", "ecdsa-sha2-nistp256", 256)]
    public void Generate_ProducesTheRequestedKeyType(string algorithmName, string keyType, int bits)
    {
        KeyAlgorithm algorithm = Enum.Parse<KeyAlgorithm>(algorithmName);
        SshKeyPair key = GeneratedKeys.Get(algorithm);

        Assert.Equal(algorithm, key.Algorithm);
        Assert.Equal(keyType, key.KeyType);
        Assert.Equal(bits, key.KeySize);
        Assert.StartsWith(keyType + " ", key.PublicKeyLine, StringComparison.Ordinal);
        Assert.EndsWith(" test-" + algorithm.ToString().ToLowerInvariant() + "@secureconnect", key.PublicKeyLine, StringComparison.Ordinal);
        Assert.True(key.PrivateKey.IsPrivate);
        Assert.False(key.PublicKey.IsPrivate);
    }

    [Fact]
    public void Generate_Rsa_UsesExponent65537AndExactly4096Bits()
    {
        var rsa = Assert.IsType<RsaPrivateCrtKeyParameters>(GeneratedKeys.Get(KeyAlgorithm.Rsa).PrivateKey);

        Assert.Equal(65537, rsa.PublicExponent.IntValue);
        Assert.Equal(4096, rsa.Modulus.BitLength);
    }

    [Fact]
    public void Generate_Ecdsa_UsesP256()
    {
        var ec = Assert.IsType<ECPrivateKeyParameters>(GeneratedKeys.Get(KeyAlgorithm.Ecdsa).PrivateKey);

        Assert.Equal(SecObjectIdentifiers.SecP256r1, ec.PublicKeyParamSet);
    }

    [Fact]
    public void Generate_TwiceGivesDifferentKeys()
    {
        SshKeyPair first = SshKeyGenerator.Generate(KeyAlgorithm.Ed25519, "a");
        SshKeyPair second = SshKeyGenerator.Generate(KeyAlgorithm.Ed25519, "a");

        Assert.NotEqual(first.Fingerprint, second.Fingerprint);
    }

    [Fact]
    public void Generate_WithEmptyComment_HasTwoFieldPublicLine()
    {
        SshKeyPair key = SshKeyGenerator.Generate(KeyAlgorithm.Ecdsa, string.Empty);

        Assert.Equal(2, key.PublicKeyLine.Split(' ').Length);
        Assert.Equal(string.Empty, key.Comment);
    }

    [Theory]
    [InlineData("two\nlines")]
    [InlineData("carriage\rreturn")]
    [InlineData("nul\0")]
    public void Generate_CommentWithControlCharacter_Throws(string comment)
    {
        Assert.Throws<ArgumentException>(() => SshKeyGenerator.Generate(KeyAlgorithm.Ed25519, comment));
    }

    [Fact]
    public void Generate_UnknownAlgorithm_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SshKeyGenerator.Generate((KeyAlgorithm)42, "x"));
    }

    [Fact]
    public void WithComment_KeepsTheKeyAndChangesTheLine()
    {
        SshKeyPair key = SshFingerprintTests.FixedSeedKey();

        SshKeyPair renamed = key.WithComment("other@host");

        Assert.Equal(key.Fingerprint, renamed.Fingerprint);
        Assert.Equal("other@host", renamed.Comment);
        Assert.EndsWith(" other@host", renamed.PublicKeyLine, StringComparison.Ordinal);
    }

    [Fact]
    public void PublicKeyBlob_ReturnsACopy()
    {
        SshKeyPair key = SshFingerprintTests.FixedSeedKey();

        key.PublicKeyBlob[0] ^= 0xFF;

        Assert.Equal(SshFingerprint.Sha256(key.PublicKeyBlob), key.Fingerprint);
    }
}
