using System;
using System.Buffers.Binary;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using SecureConnect.Ssh.Keys;
using Xunit;

namespace SecureConnect.Tests.Ssh;

public sealed class BcryptPbkdfTests
{
    private static readonly byte[] s_password = Encoding.UTF8.GetBytes("password");
    private static readonly byte[] s_salt = Encoding.UTF8.GetBytes("salt-salt-salt-!");

    // Compatibility with OpenSSH's bcrypt_pbkdf is proven by the known-answer tests below, which open keys the
    // real ssh-keygen encrypted using only this class, a container parser of their own and .NET's AES; the
    // other tests cover the wrapper. (OpenSshPrivateKeyReadTests open such keys through the project's reader.)

    // TEST KEYS ONLY, made for this test and used nowhere else. Written by OpenSSH_9.2p1 (Debian 12) with
    //   ssh-keygen -t ed25519 -a 4  -N 'correct horse battery staple' -C kat-bcrypt-rounds4  -f k4
    //   ssh-keygen -t ed25519 -a 16 -N 'Grüße, bcrypt!'               -C kat-bcrypt-rounds16 -f k16
    // (the second passphrase as UTF-8 bytes); the public lines are the .pub files ssh-keygen wrote beside them,
    // and "ssh-keygen -y -P <passphrase> -f" printed the same lines from the private files.
    private const string Rounds4Passphrase = "correct horse battery staple";
    private const string Rounds4PrivateKey = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABDH1a3cxH
        jJmycqpWAjfsYJAAAABAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIPL64QDJiCfIGhwY
        v5tvjK7iH0mitkgL34THOuYScbpcAAAAoBJt0edx9nAAbVB0/Ywn6g8QRLl05d3NpmLgy2
        5jekbGo3AmefXzD+0+kfTNpTAybCiqv1OqsINo4ocR2+Z4mVxeIsASFa8N16tgLG7wQ4UH
        iJcq4ErFvxcqxGMo/Nv/GVyTloFtpOkYRReC/38HKmn9WbBr+UzkfurVVKiSEkn0pnsahz
        OT6a8CkxUu7dF52D4MKjfPgqcPlt1eug5f2ps=
        -----END OPENSSH PRIVATE KEY-----
        """;
    private const string Rounds4PublicLine = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPL64QDJiCfIGhwYv5tvjK7iH0mitkgL34THOuYScbpc kat-bcrypt-rounds4";

    private const string Rounds16Passphrase = "Grüße, bcrypt!";
    private const string Rounds16PrivateKey = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAGYmNyeXB0AAAAGAAAABBQt9Jwc6
        gsUaGUAkvSfwzCAAAAEAAAAAEAAAAzAAAAC3NzaC1lZDI1NTE5AAAAIEpAuAyw5jHMeJjz
        80eM8MO1ZOIparboEceGllr45u76AAAAoOAYOjUPQs6EEpnNdQ8phc2xZ6W59uvMGiW8/a
        4BIPdSTnHtkou58cUzKBR/4NuT5HdIL7joX94wEVZbuR2Jj8EJ0h0k6fnmZmPtSom/1nWo
        eyql+OsLf9+qOKpckawmoXmnuVXTuHBa8UO8E/PhQJGtudV9qbv2o3N2lUTF4/LHpE6NFr
        W1R0/T9E3/Co/yTvPajk5SNPuIU6hX9/a6exw=
        -----END OPENSSH PRIVATE KEY-----
        """;
    private const string Rounds16PublicLine = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEpAuAyw5jHMeJjz80eM8MO1ZOIparboEceGllr45u76 kat-bcrypt-rounds16";

    public static TheoryData<string, string, string, int> SshKeygenKeys() => new()
    {
        // private key file, passphrase, .pub line, rounds (ssh-keygen -a)
        { Rounds4PrivateKey, Rounds4Passphrase, Rounds4PublicLine, 4 },
        { Rounds16PrivateKey, Rounds16Passphrase, Rounds16PublicLine, 16 },
    };

    [Theory]
    [MemberData(nameof(SshKeygenKeys))]
    public void Derive_OpensKeysThatSshKeygenEncrypted(string privateKey, string passphrase, string publicLine, int rounds)
    {
        KeyFile file = KeyFile.Parse(privateKey);
        Assert.Equal("aes256-ctr", file.Cipher);
        Assert.Equal("bcrypt", file.Kdf);
        Assert.Equal(rounds, file.Rounds);
        Assert.Equal(16, file.Salt.Length);
        Assert.Equal(1u, file.KeyCount);
        string[] pub = publicLine.Split(' ');
        Assert.Equal(Convert.FromBase64String(pub[1]), file.PublicBlob);

        byte[] section = DecryptAes256Ctr(BcryptPbkdf.Derive(Encoding.UTF8.GetBytes(passphrase), file.Salt, file.Rounds, 48), file.Encrypted);

        // OpenSSH's PROTOCOL.key: check ints, then per key its type and fields, comment, padding 1, 2, 3, ...
        var reader = new Reader(section);
        uint check1 = reader.UInt32();
        uint check2 = reader.UInt32();
        Assert.Equal(check1, check2);
        int innerBlobStart = reader.Offset;
        Assert.Equal("ssh-ed25519", Encoding.ASCII.GetString(reader.String()));
        byte[] publicKey = reader.String();
        Assert.Equal(file.PublicBlob, section[innerBlobStart..reader.Offset]);
        byte[] seedAndPublic = reader.String();
        Assert.Equal(64, seedAndPublic.Length);
        Assert.Equal(publicKey, seedAndPublic[32..]);
        Assert.Equal(pub[2], Encoding.UTF8.GetString(reader.String()));
        byte[] padding = section[reader.Offset..];
        Assert.Equal(Enumerable.Range(1, padding.Length).Select(i => (byte)i), padding);
    }

    [Theory]
    [MemberData(nameof(SshKeygenKeys))]
    public void Derive_WithAWrongPassphrase_DoesNotOpenKeysThatSshKeygenEncrypted(string privateKey, string passphrase, string publicLine, int rounds)
    {
        _ = publicLine;
        KeyFile file = KeyFile.Parse(privateKey);

        foreach (string wrong in new[] { passphrase + "!", passphrase[..^1], passphrase.ToUpperInvariant() })
        {
            byte[] section = DecryptAes256Ctr(BcryptPbkdf.Derive(Encoding.UTF8.GetBytes(wrong), file.Salt, rounds, 48), file.Encrypted);
            var reader = new Reader(section);
            Assert.NotEqual(reader.UInt32(), reader.UInt32());
        }
    }

    [Fact]
    public void Derive_IsDeterministic()
    {
        Assert.Equal(BcryptPbkdf.Derive(s_password, s_salt, 4, 48), BcryptPbkdf.Derive(s_password, s_salt, 4, 48));
    }

    [Fact]
    public void Derive_DependsOnPasswordSaltAndRounds()
    {
        byte[] baseline = BcryptPbkdf.Derive(s_password, s_salt, 4, 48);

        Assert.NotEqual(baseline, BcryptPbkdf.Derive(Encoding.UTF8.GetBytes("passwore"), s_salt, 4, 48));
        Assert.NotEqual(baseline, BcryptPbkdf.Derive(s_password, Encoding.UTF8.GetBytes("salt-salt-salt-?"), 4, 48));
        Assert.NotEqual(baseline, BcryptPbkdf.Derive(s_password, s_salt, 5, 48));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(40)]
    [InlineData(48)]
    [InlineData(1024)]
    public void Derive_ReturnsTheRequestedLength(int length)
    {
        byte[] output = BcryptPbkdf.Derive(s_password, s_salt, 1, length);

        Assert.Equal(length, output.Length);
        Assert.Contains(output, b => b != 0);
    }

    [Fact]
    public void Derive_RejectsBadArguments()
    {
        Assert.Throws<ArgumentException>(() => BcryptPbkdf.Derive(Array.Empty<byte>(), s_salt, 16, 48));
        Assert.Throws<ArgumentException>(() => BcryptPbkdf.Derive(s_password, Array.Empty<byte>(), 16, 48));
        Assert.Throws<ArgumentOutOfRangeException>(() => BcryptPbkdf.Derive(s_password, s_salt, 0, 48));
        Assert.Throws<ArgumentOutOfRangeException>(() => BcryptPbkdf.Derive(s_password, s_salt, 16, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => BcryptPbkdf.Derive(s_password, s_salt, 16, 1025));
    }

    /// <summary>AES-256-CTR as OpenSSH uses it: the 48 derived bytes are the key (32) and the initial counter (16).</summary>
    private static byte[] DecryptAes256Ctr(byte[] keyAndIv, byte[] data)
    {
        using Aes aes = Aes.Create();
        aes.Key = keyAndIv[..32];
        byte[] counter = keyAndIv[32..48];
        var output = new byte[data.Length];
        for (int offset = 0; offset < data.Length; offset += 16)
        {
            byte[] keyStream = aes.EncryptEcb(counter, PaddingMode.None);
            for (int i = 0; i < 16 && offset + i < data.Length; i++)
            {
                output[offset + i] = (byte)(data[offset + i] ^ keyStream[i]);
            }

            // The counter is one 128-bit big-endian number.
            for (int i = 15; i >= 0 && ++counter[i] == 0; i--)
            {
            }
        }

        return output;
    }

    /// <summary>The clear parts of an "openssh-key-v1" file, read here without the project's reader.</summary>
    private sealed record KeyFile(string Cipher, string Kdf, byte[] Salt, int Rounds, uint KeyCount, byte[] PublicBlob, byte[] Encrypted)
    {
        public static KeyFile Parse(string text)
        {
            string base64 = string.Concat(text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith("-----", StringComparison.Ordinal)));
            byte[] data = Convert.FromBase64String(base64);
            byte[] magic = Encoding.ASCII.GetBytes("openssh-key-v1\0");
            Assert.Equal(magic, data[..magic.Length]);

            var reader = new Reader(data) { Offset = magic.Length };
            string cipher = Encoding.ASCII.GetString(reader.String());
            string kdf = Encoding.ASCII.GetString(reader.String());
            var options = new Reader(reader.String());
            byte[] salt = options.String();
            int rounds = checked((int)options.UInt32());
            Assert.Equal(options.Length, options.Offset);
            uint keyCount = reader.UInt32();
            byte[] publicBlob = reader.String();
            byte[] encrypted = reader.String();
            Assert.Equal(data.Length, reader.Offset);
            return new KeyFile(cipher, kdf, salt, rounds, keyCount, publicBlob, encrypted);
        }
    }

    /// <summary>SSH wire encoding (RFC 4251): uint32 big-endian, string = uint32 length + bytes.</summary>
    private sealed class Reader(byte[] data)
    {
        public int Offset { get; set; }

        public int Length => data.Length;

        public uint UInt32()
        {
            uint value = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(Offset, 4));
            Offset += 4;
            return value;
        }

        public byte[] String()
        {
            int length = checked((int)UInt32());
            byte[] value = data.AsSpan(Offset, length).ToArray();
            Offset += length;
            return value;
        }
    }
}
