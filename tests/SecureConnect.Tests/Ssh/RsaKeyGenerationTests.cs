using System;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Digests;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using SecureConnect.Ssh.Keys;
using Xunit;
using KeyAlgorithm = SecureConnect.Ssh.Keys.SshKeyAlgorithm;
using Number = System.Numerics.BigInteger;

namespace SecureConnect.Tests.Ssh;

/// <summary>
/// The RSA keys the platform generates, checked through the file the module writes: its fields are read back
/// independently of the reader under test and checked with System.Numerics arithmetic, not BouncyCastle's.
/// </summary>
public sealed class RsaKeyGenerationTests
{
    private static readonly byte[] s_passphrase = Encoding.UTF8.GetBytes(SshTestKeys.Passphrase);

    [Fact]
    public void File_HoldsAConsistentKey_InOpenSshFieldOrder()
    {
        RsaFields file = RsaFields.Parse(OpenSshPrivateKeyFormat.Write(GeneratedKeys.Get(KeyAlgorithm.Rsa), null));

        Assert.Equal(new Number(65537), file.E);
        Assert.Equal(4096, (int)file.N.GetBitLength());
        Assert.Equal(file.N, file.P * file.Q);
        Number lambda = Lcm(file.P - 1, file.Q - 1);
        Assert.Equal(Number.One, file.D * file.E % lambda);
        Assert.True(file.D < file.N);

        // OpenSSH's iqmp is q^-1 mod p (sshkey.c, ssh_rsa_complete_crt_parameters): a swapped p and q or
        // p^-1 mod q here would still load in some readers but make OpenSSH's CRT signatures wrong.
        Assert.Equal(Number.One, file.Iqmp * file.Q % file.P);
        Assert.True(file.Iqmp < file.P);
    }

    [Fact]
    public void File_WritesEachIntegerAsAMinimalMpint()
    {
        // .NET exports D, P, Q and the CRT values padded with leading zeros to a fixed length; ssh-keygen writes
        // the shortest two's complement form, a leading zero only when the high bit is set.
        RsaFields file = RsaFields.Parse(OpenSshPrivateKeyFormat.Write(GeneratedKeys.Get(KeyAlgorithm.Rsa), null));

        Assert.Equal(513, file.RawN.Length);
        Assert.Equal(0, file.RawN[0]);
        Assert.All(
            new[] { file.RawN, file.RawE, file.RawD, file.RawIqmp, file.RawP, file.RawQ },
            raw => Assert.True(raw[0] != 0 ? raw[0] < 0x80 : raw[1] >= 0x80, "not a minimal positive mpint"));
    }

    [Fact]
    public void Generate_HoldsThePlatformsCrtValues()
    {
        var key = Assert.IsType<RsaPrivateCrtKeyParameters>(GeneratedKeys.Get(KeyAlgorithm.Rsa).PrivateKey);
        Number p = ToNumber(key.P), q = ToNumber(key.Q), d = ToNumber(key.Exponent);

        Assert.Equal(d % (p - 1), ToNumber(key.DP));
        Assert.Equal(d % (q - 1), ToNumber(key.DQ));
        Assert.Equal(Number.One, ToNumber(key.QInv) * q % p);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void File_RoundTripsThroughTheReader_AndTheReadKeySignsForThePublicKeyInTheFile(bool encrypted)
    {
        SshKeyPair key = GeneratedKeys.Get(KeyAlgorithm.Rsa);
        byte[]? passphrase = encrypted ? s_passphrase : null;
        string text = OpenSshPrivateKeyFormat.Write(key, passphrase);

        SshKeyPair read = OpenSshPrivateKeyFormat.Read(text, passphrase);

        Assert.Equal(key.Fingerprint, read.Fingerprint);
        Assert.Equal(key.PublicKeyLine, read.PublicKeyLine);
        var written = (RsaPrivateCrtKeyParameters)key.PrivateKey;
        var loaded = Assert.IsType<RsaPrivateCrtKeyParameters>(read.PrivateKey);
        Assert.Equal(written.Exponent, loaded.Exponent);
        Assert.Equal(written.P, loaded.P);
        Assert.Equal(written.Q, loaded.Q);
        Assert.Equal(written.QInv, loaded.QInv);

        // rsa-sha2-512 is PKCS#1 v1.5 over SHA-512: sign with the key read from the file, verify with the
        // platform's RSA and nothing but the public blob stored in the same file.
        byte[] message = Encoding.ASCII.GetBytes("SecureConnect RSA signature check");
        var signer = new RsaDigestSigner(new Sha512Digest());
        signer.Init(true, loaded);
        signer.BlockUpdate(message, 0, message.Length);
        byte[] signature = signer.GenerateSignature();

        var blob = new SshWireReader(OpenSshContainer.Parse(text).PublicBlob);
        Assert.Equal("ssh-rsa", blob.ReadUtf8String());
        byte[] e = blob.ReadPositiveMpint().ToByteArrayUnsigned();
        byte[] n = blob.ReadPositiveMpint().ToByteArrayUnsigned();
        using var verifier = RSA.Create();
        verifier.ImportParameters(new RSAParameters { Modulus = n, Exponent = e });
        Assert.True(verifier.VerifyData(message, signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1));

        message[0] ^= 1;
        Assert.False(verifier.VerifyData(message, signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void Generate_TwiceGivesDifferentModuli()
    {
        SshKeyPair first = SshKeyGenerator.Generate(KeyAlgorithm.Rsa, "a");

        Assert.NotEqual(GeneratedKeys.Get(KeyAlgorithm.Rsa).Fingerprint, first.Fingerprint);
    }

    private static Number Lcm(Number a, Number b) => a / Number.GreatestCommonDivisor(a, b) * b;

    private static Number ToNumber(Org.BouncyCastle.Math.BigInteger value) =>
        new(value.ToByteArrayUnsigned(), isUnsigned: true, isBigEndian: true);

    /// <summary>The RSA fields of an unencrypted file's private section, in the order OpenSSH writes them.</summary>
    private sealed record RsaFields(byte[] RawN, byte[] RawE, byte[] RawD, byte[] RawIqmp, byte[] RawP, byte[] RawQ)
    {
        public Number N => Signed(RawN);
        public Number E => Signed(RawE);
        public Number D => Signed(RawD);
        public Number Iqmp => Signed(RawIqmp);
        public Number P => Signed(RawP);
        public Number Q => Signed(RawQ);

        public static RsaFields Parse(string text)
        {
            OpenSshContainer container = OpenSshContainer.Parse(text);
            Assert.Equal("none", container.Cipher);
            var section = new SshWireReader(container.PrivateSection);
            Assert.Equal(section.ReadUInt32(), section.ReadUInt32());
            Assert.Equal("ssh-rsa", section.ReadUtf8String());
            return new RsaFields(
                section.ReadString(), section.ReadString(), section.ReadString(),
                section.ReadString(), section.ReadString(), section.ReadString());
        }

        // An mpint is big-endian two's complement.
        private static Number Signed(byte[] raw) => new(raw, isUnsigned: false, isBigEndian: true);
    }
}
