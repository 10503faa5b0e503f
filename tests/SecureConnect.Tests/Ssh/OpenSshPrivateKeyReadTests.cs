using System;
using System.Text;
using SecureConnect.Ssh.Keys;
using Xunit;
using KeyAlgorithm = SecureConnect.Ssh.Keys.SshKeyAlgorithm;

namespace SecureConnect.Tests.Ssh;

public sealed class OpenSshPrivateKeyReadTests
{
    private static readonly byte[] s_passphrase = Encoding.UTF8.GetBytes(SshTestKeys.Passphrase);

    public static TheoryData<string, bool, string, string, string> SshKeygenFiles() => new()
    {
        // name, encrypted, key type, fingerprint (ssh-keygen -l), comment
        { nameof(SshTestKeys.Ed25519Encrypted), true, "ssh-ed25519", SshTestKeys.Ed25519EncryptedFingerprint, "test-ed25519-enc" },
        { nameof(SshTestKeys.Rsa2048), false, "ssh-rsa", SshTestKeys.Rsa2048Fingerprint, "test-rsa2048" },
        { nameof(SshTestKeys.Ecdsa256Encrypted), true, "ecdsa-sha2-nistp256", SshTestKeys.Ecdsa256EncryptedFingerprint, "test-ecdsa-enc" },
        { nameof(SshTestKeys.Ecdsa384), false, "ecdsa-sha2-nistp384", SshTestKeys.Ecdsa384Fingerprint, "test-ecdsa384" },
        { nameof(SshTestKeys.Ecdsa521), false, "ecdsa-sha2-nistp521", SshTestKeys.Ecdsa521Fingerprint, "test-ecdsa521" },
        { nameof(SshTestKeys.RsaPem), false, "ssh-rsa", SshTestKeys.RsaPemFingerprint, "" },
        { nameof(SshTestKeys.RsaPemEncrypted), true, "ssh-rsa", SshTestKeys.RsaPemEncryptedFingerprint, "" },
        { nameof(SshTestKeys.RsaPkcs8), false, "ssh-rsa", SshTestKeys.RsaPkcs8Fingerprint, "" },
        { nameof(SshTestKeys.EcPem), false, "ecdsa-sha2-nistp256", SshTestKeys.EcPemFingerprint, "" },
        { nameof(SshTestKeys.EcPemEncrypted), true, "ecdsa-sha2-nistp256", SshTestKeys.EcPemFingerprint, "" },
        { nameof(SshTestKeys.EcPkcs8Encrypted), true, "ecdsa-sha2-nistp256", SshTestKeys.EcPkcs8EncryptedFingerprint, "" },
        { nameof(SshTestKeys.Ed25519Pkcs8), false, "ssh-ed25519", SshTestKeys.Ed25519Pkcs8Fingerprint, "" },
        { nameof(SshTestKeys.Ed25519CipherAes128Ctr), true, "ssh-ed25519", SshTestKeys.Ed25519CipherAes128CtrFingerprint, "cipher-aes128-ctr" },
        { nameof(SshTestKeys.Ed25519CipherAes192Ctr), true, "ssh-ed25519", SshTestKeys.Ed25519CipherAes192CtrFingerprint, "cipher-aes192-ctr" },
        { nameof(SshTestKeys.Ed25519CipherAes128Cbc), true, "ssh-ed25519", SshTestKeys.Ed25519CipherAes128CbcFingerprint, "cipher-aes128-cbc" },
        { nameof(SshTestKeys.Ed25519CipherAes192Cbc), true, "ssh-ed25519", SshTestKeys.Ed25519CipherAes192CbcFingerprint, "cipher-aes192-cbc" },
        { nameof(SshTestKeys.Ed25519CipherAes256Cbc), true, "ssh-ed25519", SshTestKeys.Ed25519CipherAes256CbcFingerprint, "cipher-aes256-cbc" },
    };

    [Theory]
    [MemberData(nameof(SshKeygenFiles))]
    public void Read_SshKeygenAndOpenSslFiles_GivesTheirFingerprintAndComment(
        string name, bool encrypted, string keyType, string fingerprint, string comment)
    {
        SshKeyPair key = OpenSshPrivateKeyFormat.Read(TestKey(name), encrypted ? s_passphrase : null);

        Assert.Equal(keyType, key.KeyType);
        Assert.Equal(fingerprint, key.Fingerprint);
        Assert.Equal(comment, key.Comment);
    }

    [Theory]
    [MemberData(nameof(SshKeygenFiles))]
    public void IsEncrypted_SshKeygenAndOpenSslFiles(string name, bool encrypted, string keyType, string fingerprint, string comment)
    {
        _ = (keyType, fingerprint, comment);

        Assert.Equal(encrypted, OpenSshPrivateKeyFormat.IsEncrypted(TestKey(name)));
    }

    [Theory]
    [MemberData(nameof(SshKeygenFiles))]
    public void Read_EncryptedFilesWithoutPassphrase_IsPassphraseRequired(
        string name, bool encrypted, string keyType, string fingerprint, string comment)
    {
        _ = (keyType, fingerprint, comment);
        if (!encrypted)
        {
            // An unencrypted key needs no passphrase and ignores one that is given.
            Assert.Equal(fingerprint, OpenSshPrivateKeyFormat.Read(TestKey(name), null).Fingerprint);
            Assert.Equal(fingerprint, OpenSshPrivateKeyFormat.Read(TestKey(name), s_passphrase).Fingerprint);
            return;
        }

        AssertError(SshKeyException.KeyPassphraseRequired, () => OpenSshPrivateKeyFormat.Read(TestKey(name), null));
    }

    [Theory]
    [InlineData(nameof(SshTestKeys.Ed25519Encrypted))]
    [InlineData(nameof(SshTestKeys.Ecdsa256Encrypted))]
    [InlineData(nameof(SshTestKeys.Ed25519CipherAes128Cbc))]
    [InlineData(nameof(SshTestKeys.RsaPemEncrypted))]
    [InlineData(nameof(SshTestKeys.EcPemEncrypted))]
    [InlineData(nameof(SshTestKeys.EcPkcs8Encrypted))]
    public void Read_WithWrongPassphrase_IsPassphraseIncorrect(string name)
    {
        SshKeyException error = AssertError(
            SshKeyException.KeyPassphraseIncorrect,
            () => OpenSshPrivateKeyFormat.Read(TestKey(name), Encoding.UTF8.GetBytes("battery staple")));

        Assert.DoesNotContain("battery", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_SshKeygenEd25519_HasThePublicLineOfItsPubFile()
    {
        SshKeyPair key = OpenSshPrivateKeyFormat.Read(SshTestKeys.Ed25519Encrypted, s_passphrase);

        Assert.Equal(SshTestKeys.Ed25519EncryptedPublicLine, key.PublicKeyLine);
        Assert.Equal(KeyAlgorithm.Ed25519, key.Algorithm);
    }

    [Fact]
    public void Read_SshKeygenRsaAndEcdsa_HaveThePublicLinesOfTheirPubFiles()
    {
        Assert.Equal(SshTestKeys.Rsa2048PublicLine, OpenSshPrivateKeyFormat.Read(SshTestKeys.Rsa2048, null).PublicKeyLine);
        Assert.Equal(SshTestKeys.Ecdsa256EncryptedPublicLine, OpenSshPrivateKeyFormat.Read(SshTestKeys.Ecdsa256Encrypted, s_passphrase).PublicKeyLine);
    }

    [Fact]
    public void Read_WithCrLfLineEndingsAndSurroundingBlankLines_Works()
    {
        string text = "\r\n\r\n" + SshTestKeys.Rsa2048.Replace("\n", "\r\n", StringComparison.Ordinal) + "\r\n\r\n";

        Assert.Equal(SshTestKeys.Rsa2048Fingerprint, OpenSshPrivateKeyFormat.Read(text, null).Fingerprint);
    }

    [Theory]
    [InlineData(nameof(SshTestKeys.Ed25519CipherAes256Gcm), "aes256-gcm@openssh.com")]
    [InlineData(nameof(SshTestKeys.Ed25519CipherChacha20Poly1305), "chacha20-poly1305@openssh.com")]
    [InlineData(nameof(SshTestKeys.Ed25519Cipher3desCbc), "3des-cbc")]
    public void Read_UnsupportedCipher_IsFormatUnsupportedNamingTheCipher(string name, string cipher)
    {
        SshKeyException withPassphrase = AssertError(
            SshKeyException.KeyFormatUnsupported, () => OpenSshPrivateKeyFormat.Read(TestKey(name), s_passphrase));
        SshKeyException withoutPassphrase = AssertError(
            SshKeyException.KeyFormatUnsupported, () => OpenSshPrivateKeyFormat.Read(TestKey(name), null));
        SshKeyException probing = AssertError(
            SshKeyException.KeyFormatUnsupported, () => OpenSshPrivateKeyFormat.IsEncrypted(TestKey(name)));

        Assert.Contains("'" + cipher + "'", withPassphrase.Message, StringComparison.Ordinal);
        Assert.Contains("'" + cipher + "'", withoutPassphrase.Message, StringComparison.Ordinal);
        Assert.Contains("'" + cipher + "'", probing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DsaKey_IsFormatUnsupported()
    {
        SshKeyException error = AssertError(SshKeyException.KeyFormatUnsupported, () => OpenSshPrivateKeyFormat.Read(SshTestKeys.Dsa, null));

        Assert.Contains("ssh-dss", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_DsaPem_IsFormatUnsupported()
    {
        AssertError(
            SshKeyException.KeyFormatUnsupported,
            () => OpenSshPrivateKeyFormat.Read("-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n", null));
    }

    [Fact]
    public void Read_EcKeyOnSecp256k1_IsFormatUnsupported()
    {
        AssertError(SshKeyException.KeyFormatUnsupported, () => OpenSshPrivateKeyFormat.Read(SshTestKeys.Secp256k1Pem, null));
    }

    [Theory]
    [InlineData("sk-ssh-ed25519@openssh.com")]
    [InlineData("sk-ecdsa-sha2-nistp256@openssh.com")]
    [InlineData("ssh-ed25519-cert-v01@openssh.com")]
    [InlineData("ecdsa-sha2-nistp224")]
    public void Read_UnsupportedKeyTypeInOpenSshContainer_IsFormatUnsupportedNamingTheType(string keyType)
    {
        var blob = new SshWireWriter();
        blob.WriteString(keyType);
        blob.WriteString(new byte[32]);
        var container = new OpenSshContainer
        {
            PublicBlob = blob.ToArray(),
            PrivateSection = OpenSshContainer.PrivateSectionOf(7, 7, w => w.WriteString(keyType), "c"),
        };

        SshKeyException error = AssertError(SshKeyException.KeyFormatUnsupported, () => OpenSshPrivateKeyFormat.Read(container.ToText(), null));

        Assert.Contains(keyType, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(SshTestKeys.Ed25519EncryptedPublicLine))]
    [InlineData(nameof(SshTestKeys.Rsa2048PublicLine))]
    [InlineData(nameof(SshTestKeys.Ecdsa256EncryptedPublicLine))]
    [InlineData(nameof(SshTestKeys.Rfc4716PublicKey))]
    [InlineData(nameof(SshTestKeys.PemPublicKey))]
    [InlineData(nameof(SshTestKeys.PemRsaPublicKey))]
    public void Read_PublicKey_IsKeyIsPublicKey(string name)
    {
        AssertError(SshKeyException.KeyIsPublicKey, () => OpenSshPrivateKeyFormat.Read(TestKey(name), null));
        AssertError(SshKeyException.KeyIsPublicKey, () => OpenSshPrivateKeyFormat.IsEncrypted(TestKey(name)));
    }

    [Fact]
    public void Read_AuthorizedKeysLineWithOptions_IsKeyIsPublicKey()
    {
        string line = "restrict,from=\"10.0.0.0/8\" " + SshTestKeys.Ed25519EncryptedPublicLine + "\n";

        AssertError(SshKeyException.KeyIsPublicKey, () => OpenSshPrivateKeyFormat.Read(line, null));
    }

    [Fact]
    public void Read_PuttyKey_IsFormatUnsupported()
    {
        const string Ppk = "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: test\nPublic-Lines: 2\nAAAAC3NzaC1lZDI1NTE5AAAAIJpnU+Nsg+GKrFN42ug2qySDoV3emzom8KIz62w1KH27\n";

        SshKeyException error = AssertError(SshKeyException.KeyFormatUnsupported, () => OpenSshPrivateKeyFormat.Read(Ppk, null));

        Assert.Contains("puttygen", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("this is not a key")]
    [InlineData("\u0000\u0001\u0002binary")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")]
    [InlineData("-----BEGIN FOO PRIVATE KEY-----\nAAAA\n-----END FOO PRIVATE KEY-----\n")]
    public void Read_Garbage_IsFormatUnsupported(string text)
    {
        AssertError(SshKeyException.KeyFormatUnsupported, () => OpenSshPrivateKeyFormat.Read(text, null));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \n\t ")]
    public void Read_Empty_IsFileCorrupt(string text)
    {
        AssertError(SshKeyException.KeyFileCorrupt, () => OpenSshPrivateKeyFormat.Read(text, null));
    }

    [Fact]
    public void Read_BadBase64_IsFileCorrupt()
    {
        string text = SshTestKeys.Rsa2048.Replace("b3BlbnNzaC1r", "b3Blb!!zaC1r", StringComparison.Ordinal);

        AssertError(SshKeyException.KeyFileCorrupt, () => OpenSshPrivateKeyFormat.Read(text, null));
    }

    [Fact]
    public void Read_MissingEndLine_IsFileCorrupt()
    {
        string text = SshTestKeys.Rsa2048[..SshTestKeys.Rsa2048.IndexOf("-----END", StringComparison.Ordinal)];

        AssertError(SshKeyException.KeyFileCorrupt, () => OpenSshPrivateKeyFormat.Read(text, null));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(200)]
    [InlineData(1000)]
    public void Read_TruncatedContents_IsFileCorrupt(int bytesKept)
    {
        byte[] data = OpenSshContainer.Decode(SshTestKeys.Rsa2048);

        string text = OpenSshContainer.Armor(data[..bytesKept]);

        AssertError(SshKeyException.KeyFileCorrupt, () => OpenSshPrivateKeyFormat.Read(text, null));
    }

    [Fact]
    public void Read_WrongMagic_IsFileCorrupt()
    {
        var container = OpenSshContainer.Parse(SshTestKeys.Rsa2048);
        container.MagicBytes = Encoding.ASCII.GetBytes("openssh-key-v2\0");

        AssertError(SshKeyException.KeyFileCorrupt, () => OpenSshPrivateKeyFormat.Read(container.ToText(), null));
    }

    [Fact]
    public void Read_PublicKeyOfAnotherKey_IsFileCorrupt()
    {
        var container = OpenSshContainer.Parse(OpenSshPrivateKeyFormat.Write(SshFingerprintTests.FixedSeedKey(), null));
        container.PublicBlob = Convert.FromBase64String(SshTestKeys.Ed25519EncryptedPublicLine.Split(' ')[1]);

        AssertError(SshKeyException.KeyFileCorrupt, () => OpenSshPrivateKeyFormat.Read(container.ToText(), null));
    }

    [Fact]
    public void Read_PrivateKeyTypeDifferentFromPublicKeyType_IsFileCorrupt()
    {
        var container = OpenSshContainer.Parse(SshTestKeys.Rsa2048);
        container.PublicBlob = SshFingerprintTests.FixedSeedKey().PublicKeyBlob;

        AssertError(SshKeyException.KeyFileCorrupt, () => OpenSshPrivateKeyFormat.Read(container.ToText(), null));
    }

    [Fact]
    public void Read_Ed25519WhosePrivateHalfHoldsAnotherPublicKey_IsFileCorrupt()
    {
        SshKeyPair key = SshFingerprintTests.FixedSeedKey();
        byte[] publicKey = key.PublicKeyBlob[^32..];
        byte[] otherPublic = (byte[])publicKey.Clone();
        otherPublic[0] ^= 1;
        byte[] seedAndOther = new byte[64];
        otherPublic.CopyTo(seedAndOther, 32);
        var container = new OpenSshContainer
        {
            PublicBlob = key.PublicKeyBlob,
            PrivateSection = OpenSshContainer.PrivateSectionOf(
                5,
                5,
                w =>
                {
                    w.WriteString("ssh-ed25519");
                    w.WriteString(otherPublic);
                    w.WriteString(seedAndOther);
                },
                "c"),
        };

        AssertError(SshKeyException.KeyFileCorrupt, () => OpenSshPrivateKeyFormat.Read(container.ToText(), null));
    }

    [Fact]
    public void Read_UnencryptedWithDifferentCheckInts_IsFileCorrupt()
    {
        var container = OpenSshContainer.Parse(SshTestKeys.Rsa2048);
        container.PrivateSection[0] ^= 0xFF;

        AssertError(SshKeyException.KeyFileCorrupt, () => OpenSshPrivateKeyFormat.Read(container.ToText(), null));
    }

    [Fact]
    public void Read_BadPadding_IsFileCorrupt()
    {
        var container = OpenSshContainer.Parse(SshTestKeys.Rsa2048);
        container.PrivateSection[^1] ^= 0x40;

        AssertError(SshKeyException.KeyFileCorrupt, () => OpenSshPrivateKeyFormat.Read(container.ToText(), null));
    }

    [Fact]
    public void Read_RsaWithWrongPrime_IsFileCorrupt()
    {
        // Rebuild the RSA private section with q + 2: the numbers no longer multiply to n.
        var rsa = (Org.BouncyCastle.Crypto.Parameters.RsaPrivateCrtKeyParameters)OpenSshPrivateKeyFormat.Read(SshTestKeys.Rsa2048, null).PrivateKey;
        var container = OpenSshContainer.Parse(SshTestKeys.Rsa2048);
        container.PrivateSection = OpenSshContainer.PrivateSectionOf(
            9,
            9,
            w =>
            {
                w.WriteString("ssh-rsa");
                w.WriteMpint(rsa.Modulus);
                w.WriteMpint(rsa.PublicExponent);
                w.WriteMpint(rsa.Exponent);
                w.WriteMpint(rsa.QInv);
                w.WriteMpint(rsa.P);
                w.WriteMpint(rsa.Q.Add(Org.BouncyCastle.Math.BigInteger.Two));
            },
            "c");

        AssertError(SshKeyException.KeyFileCorrupt, () => OpenSshPrivateKeyFormat.Read(container.ToText(), null));
    }

    [Fact]
    public void Read_UnknownKdf_IsFormatUnsupported()
    {
        var container = OpenSshContainer.Parse(SshTestKeys.Ed25519Encrypted);
        container.Kdf = "scrypt";

        SshKeyException error = AssertError(SshKeyException.KeyFormatUnsupported, () => OpenSshPrivateKeyFormat.Read(container.ToText(), s_passphrase));

        Assert.Contains("'scrypt'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TwoKeys_IsFormatUnsupported()
    {
        var container = OpenSshContainer.Parse(SshTestKeys.Rsa2048);
        container.KeyCount = 2;

        AssertError(SshKeyException.KeyFormatUnsupported, () => OpenSshPrivateKeyFormat.Read(container.ToText(), null));
    }

    [Fact]
    public void Read_DamagedUnencryptedPem_IsFileCorrupt()
    {
        const string Text = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n";

        AssertError(SshKeyException.KeyFileCorrupt, () => OpenSshPrivateKeyFormat.Read(Text, null));
    }

    [Fact]
    public void Read_PemWithUnsupportedLegacyCipher_IsFormatUnsupported()
    {
        string text = SshTestKeys.RsaPemEncrypted.Replace("AES-128-CBC", "BF-CBC", StringComparison.Ordinal);

        SshKeyException error = AssertError(SshKeyException.KeyFormatUnsupported, () => OpenSshPrivateKeyFormat.Read(text, s_passphrase));

        Assert.Contains("BF-CBC", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NullText_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => OpenSshPrivateKeyFormat.Read(null!, null));
    }

    private static string TestKey(string name) => (string)typeof(SshTestKeys).GetField(name)!.GetValue(null)!;

    private static SshKeyException AssertError(string errorId, Func<object> action)
    {
        SshKeyException error = Assert.Throws<SshKeyException>(() => action());
        Assert.Equal(errorId, error.ErrorId);
        Assert.DoesNotContain(SshTestKeys.Passphrase, error.Message, StringComparison.Ordinal);
        return error;
    }
}
