using System;
using System.IO;
using System.Linq;
using System.Text;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Math;
using Renci.SshNet;
using Renci.SshNet.Security;
using SecureConnect.Ssh.Keys;
using Xunit;
using KeyAlgorithm = SecureConnect.Ssh.Keys.SshKeyAlgorithm;

namespace SecureConnect.Tests.Ssh;

public sealed class OpenSshPrivateKeyWriteTests
{
    private static readonly byte[] s_passphrase = Encoding.UTF8.GetBytes(SshTestKeys.Passphrase);

    public static TheoryData<string, bool> AllKinds() => new()
    {
        { "Ed25519", false },
        { "Ed25519", true },
        { "Rsa", false },
        { "Rsa", true },
        { "Ecdsa", false },
        { "Ecdsa", true },
    };

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void SshNet_ReadsTheFile_WithTheSamePublicKey(string algorithmName, bool encrypted)
    {
        KeyAlgorithm algorithm = Enum.Parse<KeyAlgorithm>(algorithmName);
        SshKeyPair key = GeneratedKeys.Get(algorithm);
        string text = OpenSshPrivateKeyFormat.Write(key, encrypted ? s_passphrase : null);

        using PrivateKeyFile file = LoadWithSshNet(text, encrypted ? SshTestKeys.Passphrase : null);

        Assert.Equal(key.KeyType, file.Key.ToString());
        Assert.Equal(key.Comment, file.Key.Comment);
        Assert.All(file.HostKeyAlgorithms, host => Assert.Equal(key.PublicKeyBlob, host.Data));
    }

    [Theory]
    [InlineData("Ed25519")]
    [InlineData("Rsa")]
    [InlineData("Ecdsa")]
    public void WriteBytes_IsTheSameFileAsBytes_ThatSshNetReads(string algorithmName)
    {
        // The tunnel hands SSH.NET the decrypted key as bytes it clears, never as a string.
        SshKeyPair key = GeneratedKeys.Get(Enum.Parse<KeyAlgorithm>(algorithmName));
        byte[] bytes = OpenSshPrivateKeyFormat.WriteBytes(key, null);
        string text = Encoding.ASCII.GetString(bytes);
        Assert.StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----\n", text, StringComparison.Ordinal);
        Assert.EndsWith("-----END OPENSSH PRIVATE KEY-----\n", text, StringComparison.Ordinal);
        Assert.All(text.Split('\n').Skip(1).SkipLast(2), line => Assert.InRange(line.Length, 1, 70));
        SshKeyPair back = OpenSshPrivateKeyFormat.Read(text, null);
        Assert.Equal(key.PublicKeyBlob, back.PublicKeyBlob);
        using PrivateKeyFile file = LoadWithSshNet(text, null);
        Assert.All(file.HostKeyAlgorithms, host => Assert.Equal(key.PublicKeyBlob, host.Data));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void SshNet_SignsWithTheKey_AndTheSignatureVerifiesAgainstOurPublicKey(string algorithmName, bool encrypted)
    {
        KeyAlgorithm algorithm = Enum.Parse<KeyAlgorithm>(algorithmName);
        // Proves SSH.NET decoded the private half to the very key we hold, not just the public blob.
        SshKeyPair key = GeneratedKeys.Get(algorithm);
        string text = OpenSshPrivateKeyFormat.Write(key, encrypted ? s_passphrase : null);
        using PrivateKeyFile file = LoadWithSshNet(text, encrypted ? SshTestKeys.Passphrase : null);
        byte[] message = Encoding.ASCII.GetBytes("SecureConnect signature check");

        HostAlgorithm host = file.HostKeyAlgorithms.First(h => h.Name != "ssh-rsa");
        var signature = new SshWireReader(host.Sign(message));
        string signatureType = Encoding.ASCII.GetString(signature.ReadString());
        byte[] signatureBlob = signature.ReadString();

        ISigner verifier = signatureType switch
        {
            "ssh-ed25519" => new Ed25519Signer(),
            "rsa-sha2-512" => new RsaDigestSigner(new Org.BouncyCastle.Crypto.Digests.Sha512Digest()),
            "rsa-sha2-256" => new RsaDigestSigner(new Org.BouncyCastle.Crypto.Digests.Sha256Digest()),
            "ecdsa-sha2-nistp256" => new DsaDigestSigner(new ECDsaSigner(), new Org.BouncyCastle.Crypto.Digests.Sha256Digest(), SshEcdsaEncoding.Instance),
            _ => throw new InvalidOperationException("unexpected signature type " + signatureType),
        };
        verifier.Init(false, key.PublicKey);
        verifier.BlockUpdate(message, 0, message.Length);

        Assert.True(verifier.VerifySignature(signatureBlob));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Read_OfWrittenFile_GivesBackTheSameKey(string algorithmName, bool encrypted)
    {
        KeyAlgorithm algorithm = Enum.Parse<KeyAlgorithm>(algorithmName);
        SshKeyPair key = GeneratedKeys.Get(algorithm);
        string text = OpenSshPrivateKeyFormat.Write(key, encrypted ? s_passphrase : null);

        SshKeyPair read = OpenSshPrivateKeyFormat.Read(text, encrypted ? s_passphrase : null);

        Assert.Equal(key.Algorithm, read.Algorithm);
        Assert.Equal(key.PublicKeyLine, read.PublicKeyLine);
        Assert.Equal(key.Fingerprint, read.Fingerprint);
        Assert.Equal(key.Comment, read.Comment);
        Assert.Equal(
            Org.BouncyCastle.Pkcs.PrivateKeyInfoFactory.CreatePrivateKeyInfo(key.PrivateKey).GetEncoded(),
            Org.BouncyCastle.Pkcs.PrivateKeyInfoFactory.CreatePrivateKeyInfo(read.PrivateKey).GetEncoded());
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void IsEncrypted_TellsWhetherAPassphraseWasUsed(string algorithmName, bool encrypted)
    {
        KeyAlgorithm algorithm = Enum.Parse<KeyAlgorithm>(algorithmName);
        string text = OpenSshPrivateKeyFormat.Write(GeneratedKeys.Get(algorithm), encrypted ? s_passphrase : null);

        Assert.Equal(encrypted, OpenSshPrivateKeyFormat.IsEncrypted(text));
    }

    [Theory]
    [InlineData("Ed25519")]
    [InlineData("Rsa")]
    [InlineData("Ecdsa")]
    public void Read_WithWrongPassphrase_IsPassphraseIncorrect(string algorithmName)
    {
        KeyAlgorithm algorithm = Enum.Parse<KeyAlgorithm>(algorithmName);
        string text = OpenSshPrivateKeyFormat.Write(GeneratedKeys.Get(algorithm), s_passphrase);

        var error = Assert.Throws<SshKeyException>(() => OpenSshPrivateKeyFormat.Read(text, Encoding.UTF8.GetBytes("wrong horse")));

        Assert.Equal(SshKeyException.KeyPassphraseIncorrect, error.ErrorId);
        Assert.DoesNotContain("horse", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Ed25519")]
    [InlineData("Rsa")]
    [InlineData("Ecdsa")]
    public void Read_WithoutPassphrase_IsPassphraseRequired(string algorithmName)
    {
        KeyAlgorithm algorithm = Enum.Parse<KeyAlgorithm>(algorithmName);
        string text = OpenSshPrivateKeyFormat.Write(GeneratedKeys.Get(algorithm), s_passphrase);

        Assert.Equal(SshKeyException.KeyPassphraseRequired, Assert.Throws<SshKeyException>(() => OpenSshPrivateKeyFormat.Read(text, null)).ErrorId);
        Assert.Equal(SshKeyException.KeyPassphraseRequired, Assert.Throws<SshKeyException>(() => OpenSshPrivateKeyFormat.Read(text, Array.Empty<byte>())).ErrorId);
    }

    [Fact]
    public void Write_Unencrypted_HasSshKeygenContainerFields()
    {
        SshKeyPair key = SshFingerprintTests.FixedSeedKey();

        var container = OpenSshContainer.Parse(OpenSshPrivateKeyFormat.Write(key, null));

        Assert.Equal(OpenSshContainer.Magic, container.MagicBytes);
        Assert.Equal("none", container.Cipher);
        Assert.Equal("none", container.Kdf);
        Assert.Empty(container.KdfOptions);
        Assert.Equal(1u, container.KeyCount);
        Assert.Equal(key.PublicKeyBlob, container.PublicBlob);
        Assert.Equal(0, container.PrivateSection.Length % 8);
    }

    [Fact]
    public void Write_Unencrypted_Ed25519PrivateSectionIsLaidOutAsInSshKeyC()
    {
        SshKeyPair key = SshFingerprintTests.FixedSeedKey();
        byte[] publicKey = key.PublicKeyBlob[^32..];
        byte[] seed = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

        var section = new SshWireReader(OpenSshContainer.Parse(OpenSshPrivateKeyFormat.Write(key, null)).PrivateSection);

        Assert.Equal(section.ReadUInt32(), section.ReadUInt32());
        Assert.Equal("ssh-ed25519", Encoding.ASCII.GetString(section.ReadString()));
        Assert.Equal(publicKey, section.ReadString());
        Assert.Equal(seed.Concat(publicKey).ToArray(), section.ReadString());
        Assert.Equal("vector@secureconnect", Encoding.UTF8.GetString(section.ReadString()));
        byte[] padding = section.ReadRaw(section.Remaining);
        Assert.Equal(Enumerable.Range(1, padding.Length).Select(i => (byte)i).ToArray(), padding);
        Assert.InRange(padding.Length, 0, 7);
    }

    [Fact]
    public void Write_Encrypted_UsesAes256CtrAndBcryptWithSaltAndRounds()
    {
        var container = OpenSshContainer.Parse(OpenSshPrivateKeyFormat.Write(SshFingerprintTests.FixedSeedKey(), s_passphrase, rounds: 20));

        Assert.Equal("aes256-ctr", container.Cipher);
        Assert.Equal("bcrypt", container.Kdf);
        var options = new SshWireReader(container.KdfOptions);
        Assert.Equal(16, options.ReadString().Length);
        Assert.Equal(20u, options.ReadUInt32());
        Assert.Equal(0, options.Remaining);
        Assert.Equal(0, container.PrivateSection.Length % 16);
    }

    [Fact]
    public void Write_Encrypted_DefaultsTo16Rounds()
    {
        var container = OpenSshContainer.Parse(OpenSshPrivateKeyFormat.Write(SshFingerprintTests.FixedSeedKey(), s_passphrase));
        var options = new SshWireReader(container.KdfOptions);
        options.ReadString();

        Assert.Equal(16u, options.ReadUInt32());
    }

    [Fact]
    public void Write_Encrypted_UsesFreshSaltEachTime()
    {
        SshKeyPair key = SshFingerprintTests.FixedSeedKey();

        byte[] first = OpenSshContainer.Parse(OpenSshPrivateKeyFormat.Write(key, s_passphrase)).KdfOptions;
        byte[] second = OpenSshContainer.Parse(OpenSshPrivateKeyFormat.Write(key, s_passphrase)).KdfOptions;

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Write_WithEmptyPassphrase_WritesAnUnencryptedFile()
    {
        string text = OpenSshPrivateKeyFormat.Write(SshFingerprintTests.FixedSeedKey(), Array.Empty<byte>());

        Assert.Equal("none", OpenSshContainer.Parse(text).Cipher);
    }

    [Fact]
    public void Write_WithZeroRounds_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OpenSshPrivateKeyFormat.Write(SshFingerprintTests.FixedSeedKey(), s_passphrase, rounds: 0));
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Write_ArmorsLikeSshKeygen(string algorithmName, bool encrypted)
    {
        KeyAlgorithm algorithm = Enum.Parse<KeyAlgorithm>(algorithmName);
        string text = OpenSshPrivateKeyFormat.Write(GeneratedKeys.Get(algorithm), encrypted ? s_passphrase : null);
        string[] lines = text.Split('\n');

        Assert.DoesNotContain('\r', text);
        Assert.EndsWith("-----END OPENSSH PRIVATE KEY-----\n", text, StringComparison.Ordinal);
        Assert.Equal("-----BEGIN OPENSSH PRIVATE KEY-----", lines[0]);
        Assert.Equal(string.Empty, lines[^1]);
        string[] body = lines[1..^2];
        Assert.All(body[..^1], line => Assert.Equal(70, line.Length));
        Assert.InRange(body[^1].Length, 1, 70);
    }

    [Theory]
    [InlineData(nameof(SshTestKeys.Rsa2048))]
    [InlineData(nameof(SshTestKeys.Ecdsa384))]
    [InlineData(nameof(SshTestKeys.Ecdsa521))]
    public void Write_OfAnSshKeygenKey_ReproducesSshKeygensFileExceptTheRandomCheckInts(string name)
    {
        string original = (string)typeof(SshTestKeys).GetField(name)!.GetValue(null)!;

        string rewritten = OpenSshPrivateKeyFormat.Write(OpenSshPrivateKeyFormat.Read(original, null), null);

        byte[] expected = OpenSshContainer.Decode(original);
        byte[] actual = OpenSshContainer.Decode(rewritten);
        Assert.Equal(expected.Length, actual.Length);
        int checkIntsAt = expected.Length - OpenSshContainer.Parse(original).PrivateSection.Length;
        Array.Clear(expected, checkIntsAt, 8);
        Array.Clear(actual, checkIntsAt, 8);
        Assert.Equal(expected, actual);
        Assert.Equal(original.Split('\n').Select(l => l.Length), rewritten.TrimEnd('\n').Split('\n').Select(l => l.Length));
    }

    private static PrivateKeyFile LoadWithSshNet(string text, string? passphrase)
    {
        var stream = new MemoryStream(Encoding.ASCII.GetBytes(text));
        return passphrase is null ? new PrivateKeyFile(stream) : new PrivateKeyFile(stream, passphrase);
    }

    /// <summary>RFC 5656 ECDSA signature blob: mpint r, mpint s.</summary>
    private sealed class SshEcdsaEncoding : IDsaEncoding
    {
        public static readonly SshEcdsaEncoding Instance = new();

        public BigInteger[] Decode(BigInteger n, byte[] encoding)
        {
            var reader = new SshWireReader(encoding);
            return new[] { reader.ReadPositiveMpint(), reader.ReadPositiveMpint() };
        }

        public byte[] Encode(BigInteger n, BigInteger r, BigInteger s) => throw new NotSupportedException();

        public int Encode(BigInteger n, BigInteger r, BigInteger s, Span<byte> output) => throw new NotSupportedException();

        public int GetMaxEncodingSize(BigInteger n) => throw new NotSupportedException();
    }
}
