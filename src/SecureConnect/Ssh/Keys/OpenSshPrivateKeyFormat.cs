using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Security;

namespace SecureConnect.Ssh.Keys;

/// <summary>
/// Reads and writes SSH private key files. Writes the OpenSSH format ("openssh-key-v1", OpenSSH's PROTOCOL.key)
/// byte for byte the way ssh-keygen does; reads that format and the PEM formats OpenSSL and older ssh-keygen
/// versions produce (PKCS#1 RSA, SEC 1 EC, PKCS#8, encrypted PKCS#8).
/// </summary>
internal static class OpenSshPrivateKeyFormat
{
    /// <summary>bcrypt_pbkdf rounds ssh-keygen uses when <c>-a</c> is not given.</summary>
    public const int DefaultKdfRounds = 16;

    /// <summary>The most bcrypt_pbkdf rounds a key file may ask for (ssh-keygen -a; already tens of seconds to derive).</summary>
    public const int MaxKdfRounds = 1000;

    private const string OpenSshLabel = "OPENSSH PRIVATE KEY";
    private const string NoCipher = "none";
    private const string NoKdf = "none";
    private const string BcryptKdf = "bcrypt";

    // ssh-keygen's salt size and base64 line width (sshkey.c: SALT_LEN, sshbuf_dtob64 with wrapping).
    private const int SaltLength = 16;
    private const int Base64LineLength = 70;

    private static readonly byte[] s_magic = Encoding.ASCII.GetBytes("openssh-key-v1\0");

    private static readonly CipherSpec s_none = new(NoCipher, 0, 0, 8, Ctr: false);
    private static readonly CipherSpec s_aes256Ctr = new("aes256-ctr", 32, 16, 16, Ctr: true);

    private static readonly Dictionary<string, CipherSpec> s_readableCiphers = new(StringComparer.Ordinal)
    {
        [NoCipher] = s_none,
        ["aes128-ctr"] = new("aes128-ctr", 16, 16, 16, Ctr: true),
        ["aes192-ctr"] = new("aes192-ctr", 24, 16, 16, Ctr: true),
        ["aes256-ctr"] = s_aes256Ctr,
        ["aes128-cbc"] = new("aes128-cbc", 16, 16, 16, Ctr: false),
        ["aes192-cbc"] = new("aes192-cbc", 24, 16, 16, Ctr: false),
        ["aes256-cbc"] = new("aes256-cbc", 32, 16, 16, Ctr: false),
    };

    // The legacy OpenSSL "Proc-Type: 4,ENCRYPTED" ciphers BouncyCastle decrypts and ssh-keygen/OpenSSL write.
    private static readonly HashSet<string> s_readablePemCiphers = new(StringComparer.OrdinalIgnoreCase)
    {
        "AES-128-CBC", "AES-192-CBC", "AES-256-CBC", "DES-EDE3-CBC", "DES-CBC",
    };

    private static readonly HashSet<string> s_pemPrivateKeyLabels = new(StringComparer.Ordinal)
    {
        "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY",
    };

    private static readonly Regex s_pemBegin = new(
        "-----BEGIN ([A-Z0-9 ]{1,64})-----", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    // A public key line, alone or as authorized_keys/known_hosts entry: "<type> AAAA...".
    private static readonly Regex s_publicKeyLine = new(
        @"(^|\s)(ssh-|ecdsa-sha2-|sk-)[A-Za-z0-9@.\-]{1,64}\s+AAAA[A-Za-z0-9+/]",
        RegexOptions.CultureInvariant | RegexOptions.Multiline,
        TimeSpan.FromSeconds(1));

    /// <summary>
    /// Writes <paramref name="key"/> as an OpenSSH private key file: armored, base64 wrapped at 70 characters,
    /// ending with a newline. With a passphrase the key is encrypted as ssh-keygen does it: aes256-ctr with key
    /// and IV from bcrypt_pbkdf over a 16-byte random salt.
    /// </summary>
    /// <param name="key">The key pair; its comment is stored in the file.</param>
    /// <param name="passphrase">
    /// The passphrase bytes (ssh-keygen uses them as typed, i.e. UTF-8). Null or empty writes an unencrypted
    /// file, as <c>ssh-keygen -N ""</c> does.
    /// </param>
    /// <param name="rounds">bcrypt_pbkdf rounds (ssh-keygen <c>-a</c>); ignored without a passphrase.</param>
    public static string Write(SshKeyPair key, byte[]? passphrase, int rounds = DefaultKdfRounds)
    {
        byte[] text = WriteCore(key, passphrase, rounds);
        try
        {
            return Encoding.ASCII.GetString(text);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(text);
        }
    }

    private static byte[] WriteCore(SshKeyPair key, byte[]? passphrase, int rounds)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);

        bool encrypt = passphrase is { Length: > 0 };
        CipherSpec cipher = encrypt ? s_aes256Ctr : s_none;

        var section = new SshWireWriter();

        // The two equal check ints are how a reader recognizes a wrong passphrase after decrypting.
        uint check = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
        section.WriteUInt32(check);
        section.WriteUInt32(check);
        section.WriteString(key.KeyType);
        WritePrivateFields(section, key);
        section.WriteString(key.Comment);
        for (byte pad = 1; section.Length % cipher.BlockSize != 0; pad++)
        {
            section.WriteRaw(new[] { pad });
        }

        byte[] privateSection = section.ToArray();
        var kdfOptions = new SshWireWriter();
        if (encrypt)
        {
            byte[] salt = RandomNumberGenerator.GetBytes(SaltLength);
            kdfOptions.WriteString(salt);
            kdfOptions.WriteUInt32((uint)rounds);
            byte[] plain = privateSection;
            privateSection = Crypt(cipher, forEncryption: true, passphrase!, salt, rounds, plain);
            CryptographicOperations.ZeroMemory(plain);
        }

        var file = new SshWireWriter();
        file.WriteRaw(s_magic);
        file.WriteString(cipher.Name);
        file.WriteString(encrypt ? BcryptKdf : NoKdf);
        file.WriteString(kdfOptions.ToArray());
        file.WriteUInt32(1);
        file.WriteString(key.PublicKeyBlob);
        file.WriteString(privateSection);
        CryptographicOperations.ZeroMemory(privateSection);

        byte[] wire = file.ToArray();
        try
        {
            return Armor(wire);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wire);
        }
    }

    /// <summary>
    /// As <see cref="Write"/>, as UTF-8 bytes that the caller clears after use: an unencrypted private key never
    /// becomes a .NET string (which cannot be cleared).
    /// </summary>
    public static byte[] WriteBytes(SshKeyPair key, byte[]? passphrase, int rounds = DefaultKdfRounds) => WriteCore(key, passphrase, rounds);

    /// <summary>The PEM armor (LF line ends, 70 characters a line, as ssh-keygen writes) around the file's bytes.</summary>
    private static byte[] Armor(byte[] wire)
    {
        byte[] begin = Encoding.ASCII.GetBytes("-----BEGIN " + OpenSshLabel + "-----\n");
        byte[] end = Encoding.ASCII.GetBytes("-----END " + OpenSshLabel + "-----\n");
        int base64Length = System.Buffers.Text.Base64.GetMaxEncodedToUtf8Length(wire.Length);
        byte[] base64 = new byte[base64Length];
        try
        {
            System.Buffers.Text.Base64.EncodeToUtf8(wire, base64, out _, out int written);
            int lines = (written + Base64LineLength - 1) / Base64LineLength;
            byte[] text = new byte[begin.Length + written + lines + end.Length];
            int at = 0;
            begin.CopyTo(text, at);
            at += begin.Length;
            for (int offset = 0; offset < written; offset += Base64LineLength)
            {
                int count = Math.Min(Base64LineLength, written - offset);
                Buffer.BlockCopy(base64, offset, text, at, count);
                at += count;
                text[at++] = (byte)'\n';
            }

            end.CopyTo(text, at);
            return text;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(base64);
        }
    }

    /// <summary>
    /// Reads a private key in OpenSSH format (unencrypted, or bcrypt with AES-CTR/CBC) or PEM format (PKCS#1 RSA,
    /// SEC 1 EC, PKCS#8, also encrypted). The comment comes from the OpenSSH file; PEM files have none.
    /// </summary>
    /// <param name="text">The whole key file.</param>
    /// <param name="passphrase">The passphrase bytes, or null; ignored for unencrypted keys.</param>
    /// <exception cref="SshKeyException">The key cannot be read; see <see cref="SshKeyException.ErrorId"/>.</exception>
    public static SshKeyPair Read(string text, byte[]? passphrase)
    {
        KeyText key = Classify(text);
        if (key.Label == OpenSshLabel)
        {
            return ReadOpenSsh(ParseOpenSsh(key), passphrase);
        }

        return ReadPem(key, passphrase);
    }

    /// <summary>
    /// Tells whether <see cref="Read"/> needs a passphrase for this key, without one.
    /// </summary>
    /// <exception cref="SshKeyException">
    /// The text is not a readable private key (public key, unsupported format or cipher, corrupt container).
    /// </exception>
    public static bool IsEncrypted(string text)
    {
        KeyText key = Classify(text);
        if (key.Label == OpenSshLabel)
        {
            return ParseOpenSsh(key).Cipher.Name != NoCipher;
        }

        return IsPemEncrypted(key);
    }

    /// <summary>
    /// The public key blob an OpenSSH private key file stores in clear (read without the passphrase); null for a PEM key.
    /// </summary>
    /// <exception cref="SshKeyException">The text is not a readable private key.</exception>
    public static byte[]? PublicBlob(string text)
    {
        KeyText key = Classify(text);
        return key.Label == OpenSshLabel ? ParseOpenSsh(key).PublicBlob : null;
    }

    private static KeyText Classify(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim().TrimStart('\uFEFF');
        if (trimmed.Length == 0)
        {
            throw new SshKeyException(
                SshKeyException.KeyFileCorrupt,
                "The key file is empty. Supply the contents of an OpenSSH or PEM private key file.");
        }

        if (trimmed.StartsWith("PuTTY-User-Key-File-", StringComparison.Ordinal))
        {
            throw new SshKeyException(
                SshKeyException.KeyFormatUnsupported,
                "The file is a PuTTY private key (.ppk), which SecureConnect does not read. Convert it to OpenSSH "
                    + "format first: 'puttygen key.ppk -O private-openssh -o key', or in PuTTYgen use "
                    + "Conversions > Export OpenSSH key.");
        }

        if (trimmed.Contains("---- BEGIN SSH2 PUBLIC KEY ----", StringComparison.Ordinal))
        {
            throw PublicKeyGiven("an RFC 4716 (SSH2) public key");
        }

        if (trimmed.Contains("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----", StringComparison.Ordinal))
        {
            throw new SshKeyException(
                SshKeyException.KeyFormatUnsupported,
                "The file is an ssh.com (SSH2) private key, which SecureConnect does not read. Convert it with "
                    + "'ssh-keygen -i -f <key file>' and save the output as an OpenSSH private key.");
        }

        string? publicLabel = null;
        string? otherLabel = null;
        for (Match begin = s_pemBegin.Match(trimmed); begin.Success; begin = begin.NextMatch())
        {
            string label = begin.Groups[1].Value;
            if (label == OpenSshLabel || s_pemPrivateKeyLabels.Contains(label))
            {
                string endMarker = "-----END " + label + "-----";
                int end = trimmed.IndexOf(endMarker, begin.Index + begin.Length, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw new SshKeyException(
                        SshKeyException.KeyFileCorrupt,
                        "The private key is truncated: its '" + endMarker + "' line is missing. Copy the whole key "
                            + "file again from its source.");
                }

                int bodyStart = begin.Index + begin.Length;
                return new KeyText(
                    label,
                    trimmed.Substring(begin.Index, end + endMarker.Length - begin.Index),
                    trimmed.Substring(bodyStart, end - bodyStart));
            }

            if (label.EndsWith("DSA PRIVATE KEY", StringComparison.Ordinal))
            {
                throw new SshKeyException(
                    SshKeyException.KeyFormatUnsupported,
                    "The file holds a DSA key, which OpenSSH no longer accepts and SecureConnect does not support. "
                        + "Generate an Ed25519 key instead (ssh-keygen -t ed25519).");
            }

            if (label.EndsWith("PUBLIC KEY", StringComparison.Ordinal))
            {
                publicLabel ??= label;
            }
            else
            {
                otherLabel ??= label;
            }
        }

        if (publicLabel is not null)
        {
            throw PublicKeyGiven("a PEM public key (" + publicLabel + ")");
        }

        if (otherLabel is not null)
        {
            throw new SshKeyException(
                SshKeyException.KeyFormatUnsupported,
                "The file holds a PEM block of type '" + otherLabel + "', which is not a private key SecureConnect "
                    + "reads. Supply an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----) or a PEM RSA, EC "
                    + "or PKCS#8 private key.");
        }

        if (s_publicKeyLine.IsMatch(trimmed))
        {
            throw PublicKeyGiven("an OpenSSH public key line");
        }

        throw new SshKeyException(
            SshKeyException.KeyFormatUnsupported,
            "The text is not a private key in a format SecureConnect reads. Supply an OpenSSH private key "
                + "(-----BEGIN OPENSSH PRIVATE KEY-----) or a PEM RSA, EC or PKCS#8 private key.");
    }

    private static OpenSshContainer ParseOpenSsh(KeyText key)
    {
        var base64 = new StringBuilder(key.Body.Length);
        foreach (char c in key.Body)
        {
            if (!char.IsWhiteSpace(c))
            {
                base64.Append(c);
            }
        }

        byte[] data = new byte[base64.Length * 3 / 4];
        if (!Convert.TryFromBase64String(base64.ToString(), data, out int written))
        {
            throw new SshKeyException(
                SshKeyException.KeyFileCorrupt,
                "The private key's base64 text is damaged. Copy the key file again from its source; do not edit it.");
        }

        var reader = new SshWireReader(data.AsSpan(0, written).ToArray());
        if (reader.Remaining < s_magic.Length || !reader.ReadRaw(s_magic.Length).AsSpan().SequenceEqual(s_magic))
        {
            throw new SshKeyException(
                SshKeyException.KeyFileCorrupt,
                "The private key does not start with the OpenSSH key header (openssh-key-v1); the file is damaged. "
                    + "Copy the key file again from its source.");
        }

        string cipherName = reader.ReadUtf8String();
        string kdfName = reader.ReadUtf8String();
        byte[] kdfOptions = reader.ReadString();
        uint keyCount = reader.ReadUInt32();

        if (!s_readableCiphers.TryGetValue(cipherName, out CipherSpec? cipher))
        {
            throw new SshKeyException(
                SshKeyException.KeyFormatUnsupported,
                "The private key is encrypted with the cipher '" + Display(cipherName) + "', which SecureConnect "
                    + "cannot read. Re-encrypt the key with 'ssh-keygen -p -Z aes256-ctr -f <key file>'.");
        }

        byte[] salt = Array.Empty<byte>();
        int rounds = 0;
        if (kdfName == NoKdf)
        {
            if (cipher.Name != NoCipher || kdfOptions.Length != 0)
            {
                throw SshWireReader.Corrupt();
            }
        }
        else if (kdfName == BcryptKdf)
        {
            if (cipher.Name == NoCipher)
            {
                throw SshWireReader.Corrupt();
            }

            var options = new SshWireReader(kdfOptions);
            salt = options.ReadString();
            uint storedRounds = options.ReadUInt32();
            if (options.Remaining != 0 || salt.Length == 0 || storedRounds == 0 || storedRounds > int.MaxValue)
            {
                throw SshWireReader.Corrupt();
            }

            if (storedRounds > MaxKdfRounds)
            {
                // The count comes from the file: a damaged or hostile key asking for millions of rounds would keep the
                // import (or every tunnel start) computing for days (fuzzing found it).
                throw new SshKeyException(
                    SshKeyException.KeyFormatUnsupported,
                    "The private key asks for " + storedRounds + " bcrypt_pbkdf rounds; SecureConnect reads keys with at most "
                        + MaxKdfRounds + " (ssh-keygen uses " + DefaultKdfRounds + " unless -a says otherwise), so that a damaged "
                        + "key cannot make it compute for hours. Re-encrypt the key with fewer rounds: "
                        + "'ssh-keygen -p -a 100 -f <key file>'.");
            }

            rounds = (int)storedRounds;
        }
        else
        {
            throw new SshKeyException(
                SshKeyException.KeyFormatUnsupported,
                "The private key uses the key derivation function '" + Display(kdfName) + "', which SecureConnect "
                    + "cannot read. Re-encrypt the key with 'ssh-keygen -p -f <key file>'.");
        }

        if (keyCount != 1)
        {
            throw new SshKeyException(
                SshKeyException.KeyFormatUnsupported,
                "The private key file holds " + keyCount + " keys; only files with exactly one key, as ssh-keygen "
                    + "writes them, are supported.");
        }

        byte[] publicBlob = reader.ReadString();
        string keyType = new SshWireReader(publicBlob).ReadUtf8String();
        RequireSupportedKeyType(keyType);

        byte[] privateSection = reader.ReadString();
        if (reader.Remaining != 0 || privateSection.Length < 8 || privateSection.Length % cipher.BlockSize != 0)
        {
            throw SshWireReader.Corrupt();
        }

        return new OpenSshContainer(cipher, salt, rounds, publicBlob, keyType, privateSection);
    }

    private static void RequireSupportedKeyType(string keyType)
    {
        if (keyType == "ssh-ed25519" || keyType == "ssh-rsa" || (keyType.StartsWith("ecdsa-sha2-", StringComparison.Ordinal)
            && SshEcdsaCurve.FromName(keyType.Substring("ecdsa-sha2-".Length)) is not null))
        {
            return;
        }

        string advice = keyType.StartsWith("sk-", StringComparison.Ordinal)
            ? " Security-key (FIDO) keys need their hardware token and cannot be used here."
            : keyType.Contains("-cert-", StringComparison.Ordinal)
                ? " Certificates are not supported."
                : string.Empty;
        throw new SshKeyException(
            SshKeyException.KeyFormatUnsupported,
            "The key type '" + Display(keyType) + "' is not supported." + advice
                + " Use an Ed25519, RSA or ECDSA (nistp256, nistp384, nistp521) key, e.g. from 'ssh-keygen -t ed25519'.");
    }

    private static SshKeyPair ReadOpenSsh(OpenSshContainer container, byte[]? passphrase)
    {
        bool encrypted = container.Cipher.Name != NoCipher;
        byte[] section = container.PrivateSection;
        if (encrypted)
        {
            if (passphrase is not { Length: > 0 })
            {
                throw PassphraseRequired();
            }

            section = Crypt(container.Cipher, forEncryption: false, passphrase, container.Salt, container.Rounds, section);
        }

        try
        {
            var reader = new SshWireReader(section);
            if (reader.ReadUInt32() != reader.ReadUInt32())
            {
                if (encrypted)
                {
                    throw new SshKeyException(
                        SshKeyException.KeyPassphraseIncorrect,
                        "The passphrase does not decrypt the private key. Check the passphrase and try again.");
                }

                throw SshWireReader.Corrupt();
            }

            string keyType = reader.ReadUtf8String();
            if (keyType != container.KeyType)
            {
                throw SshWireReader.Corrupt();
            }

            AsymmetricKeyParameter privateKey;
            byte[]? embeddedPublic = null;
            switch (keyType)
            {
                case "ssh-ed25519":
                    embeddedPublic = reader.ReadString();
                    byte[] seedAndPublic = reader.ReadString();
                    if (embeddedPublic.Length != Ed25519PublicKeyParameters.KeySize
                        || seedAndPublic.Length != Ed25519PrivateKeyParameters.KeySize + Ed25519PublicKeyParameters.KeySize
                        || !seedAndPublic.AsSpan(Ed25519PrivateKeyParameters.KeySize).SequenceEqual(embeddedPublic))
                    {
                        throw SshWireReader.Corrupt();
                    }

                    privateKey = new Ed25519PrivateKeyParameters(seedAndPublic, 0);
                    CryptographicOperations.ZeroMemory(seedAndPublic);
                    break;

                case "ssh-rsa":
                    BigInteger n = reader.ReadPositiveMpint();
                    BigInteger e = reader.ReadPositiveMpint();
                    BigInteger d = reader.ReadPositiveMpint();
                    BigInteger iqmp = reader.ReadPositiveMpint();
                    BigInteger p = reader.ReadPositiveMpint();
                    BigInteger q = reader.ReadPositiveMpint();
                    if (p.SignValue == 0 || q.SignValue == 0 || d.SignValue == 0)
                    {
                        throw SshWireReader.Corrupt();
                    }

                    var rsa = new RsaPrivateCrtKeyParameters(
                        n, e, d, p, q, d.Mod(p.Subtract(BigInteger.One)), d.Mod(q.Subtract(BigInteger.One)), iqmp);
                    RequireConsistentRsa(rsa);
                    privateKey = rsa;
                    break;

                default:
                    SshEcdsaCurve curve = SshEcdsaCurve.FromName(reader.ReadUtf8String())
                        ?? throw SshWireReader.Corrupt();
                    if (curve.KeyType != keyType)
                    {
                        throw SshWireReader.Corrupt();
                    }

                    embeddedPublic = reader.ReadString();
                    privateKey = new ECPrivateKeyParameters("EC", reader.ReadPositiveMpint(), curve.Domain);
                    break;
            }

            byte[] commentBytes = reader.ReadString();
            for (int expected = 1; reader.Remaining > 0; expected++)
            {
                if (reader.ReadRaw(1)[0] != (byte)expected)
                {
                    throw SshWireReader.Corrupt();
                }
            }

            var key = new SshKeyPair(privateKey, SanitizeComment(commentBytes));

            // The public key stored in clear must be the one the private key produces: a mismatch means the
            // file was spliced or damaged, and using it would authenticate as a different key than displayed.
            if (!key.PublicKeyBlobEquals(container.PublicBlob) || (embeddedPublic is not null
                && !EmbeddedPublicMatches(key, embeddedPublic)))
            {
                throw new SshKeyException(
                    SshKeyException.KeyFileCorrupt,
                    "The private key does not match the public key stored with it; the file is damaged. Copy the "
                        + "key file again from its source.");
            }

            return key;
        }
        catch (SshKeyException)
        {
            throw;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or ArithmeticException)
        {
            // BouncyCastle rejects impossible key values (even RSA modulus, point off the curve) this way.
            throw SshWireReader.Corrupt(ex);
        }
        finally
        {
            if (encrypted)
            {
                CryptographicOperations.ZeroMemory(section);
            }
        }
    }

    private static bool EmbeddedPublicMatches(SshKeyPair key, byte[] embeddedPublic) => key.PublicKey switch
    {
        Ed25519PublicKeyParameters ed25519 => ed25519.GetEncoded().AsSpan().SequenceEqual(embeddedPublic),
        ECPublicKeyParameters ec => ec.Q.Normalize().GetEncoded(compressed: false).AsSpan().SequenceEqual(embeddedPublic),
        _ => false,
    };

    private static void RequireConsistentRsa(RsaPrivateCrtKeyParameters rsa)
    {
        BigInteger p1 = rsa.P.Subtract(BigInteger.One);
        BigInteger q1 = rsa.Q.Subtract(BigInteger.One);
        bool consistent = rsa.P.Multiply(rsa.Q).Equals(rsa.Modulus)
            && rsa.PublicExponent.Multiply(rsa.Exponent).Mod(p1).Equals(BigInteger.One)
            && rsa.PublicExponent.Multiply(rsa.Exponent).Mod(q1).Equals(BigInteger.One)
            && rsa.DP.Equals(rsa.Exponent.Mod(p1))
            && rsa.DQ.Equals(rsa.Exponent.Mod(q1))
            && rsa.QInv.Multiply(rsa.Q).Mod(rsa.P).Equals(BigInteger.One);
        if (!consistent)
        {
            throw new SshKeyException(
                SshKeyException.KeyFileCorrupt,
                "The RSA private key's numbers are inconsistent; the file is damaged. Copy the key file again from "
                    + "its source.");
        }
    }

    private static string SanitizeComment(byte[] commentBytes)
    {
        // The comment is informational only; a control character in it (which ssh-keygen -C can store) would
        // break the one-line public key, so it is replaced rather than the whole key rejected.
        char[] comment = Encoding.UTF8.GetString(commentBytes).ToCharArray();
        for (int i = 0; i < comment.Length; i++)
        {
            if (char.IsControl(comment[i]))
            {
                comment[i] = ' ';
            }
        }

        return new string(comment).Trim();
    }

    private static void WritePrivateFields(SshWireWriter writer, SshKeyPair key)
    {
        switch (key.PrivateKey)
        {
            case Ed25519PrivateKeyParameters ed25519:
                byte[] publicKey = ((Ed25519PublicKeyParameters)key.PublicKey).GetEncoded();
                byte[] seedAndPublic = new byte[Ed25519PrivateKeyParameters.KeySize + Ed25519PublicKeyParameters.KeySize];
                ed25519.Encode(seedAndPublic, 0);
                publicKey.CopyTo(seedAndPublic, Ed25519PrivateKeyParameters.KeySize);
                writer.WriteString(publicKey);
                writer.WriteString(seedAndPublic);
                CryptographicOperations.ZeroMemory(seedAndPublic);
                break;

            case RsaPrivateCrtKeyParameters rsa:
                // Order from OpenSSH sshkey.c: n, e, d, iqmp, p, q (the public blob has e before n).
                writer.WriteMpint(rsa.Modulus);
                writer.WriteMpint(rsa.PublicExponent);
                writer.WriteMpint(rsa.Exponent);
                writer.WriteMpint(rsa.QInv);
                writer.WriteMpint(rsa.P);
                writer.WriteMpint(rsa.Q);
                break;

            case ECPrivateKeyParameters ec:
                writer.WriteString(key.Curve!.Name);
                writer.WriteString(((ECPublicKeyParameters)key.PublicKey).Q.Normalize().GetEncoded(compressed: false));
                writer.WriteMpint(ec.D);
                break;

            default:
                throw new InvalidOperationException("SshKeyPair admitted an unsupported key type.");
        }
    }

    private static byte[] Crypt(CipherSpec cipher, bool forEncryption, byte[] passphrase, byte[] salt, int rounds, byte[] data)
    {
        byte[] keyAndIv = BcryptPbkdf.Derive(passphrase, salt, rounds, cipher.KeyLength + cipher.IvLength);
        try
        {
            // OpenSSH's aesctr increments the whole 128-bit block as one big-endian counter, as SIC does.
            IBufferedCipher aes = CipherUtilities.GetCipher(cipher.Ctr ? "AES/CTR/NoPadding" : "AES/CBC/NoPadding");
            aes.Init(
                forEncryption,
                new ParametersWithIV(
                    new KeyParameter(keyAndIv, 0, cipher.KeyLength), keyAndIv, cipher.KeyLength, cipher.IvLength));
            return aes.DoFinal(data);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keyAndIv);
        }
    }

    private static bool IsPemEncrypted(KeyText key)
    {
        if (key.Label == "ENCRYPTED PRIVATE KEY")
        {
            return true;
        }

        string? procType = null;
        string? dekInfo = null;
        foreach (string rawLine in key.Body.Split('\n'))
        {
            string line = rawLine.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                break;
            }

            string name = line.Substring(0, colon).Trim();
            string value = line.Substring(colon + 1).Trim();
            if (name.Equals("Proc-Type", StringComparison.OrdinalIgnoreCase))
            {
                procType = value;
            }
            else if (name.Equals("DEK-Info", StringComparison.OrdinalIgnoreCase))
            {
                dekInfo = value;
            }
        }

        if (procType is null || !procType.Replace(" ", string.Empty, StringComparison.Ordinal).Equals("4,ENCRYPTED", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string algorithm = dekInfo?.Split(',')[0].Trim() ?? string.Empty;
        if (!s_readablePemCiphers.Contains(algorithm))
        {
            throw new SshKeyException(
                SshKeyException.KeyFormatUnsupported,
                "The PEM private key is encrypted with '" + Display(algorithm) + "', which SecureConnect cannot read. "
                    + "Re-encrypt it with 'ssh-keygen -p -f <key file>' (this also converts it to OpenSSH format).");
        }

        return true;
    }

    private static SshKeyPair ReadPem(KeyText key, byte[]? passphrase)
    {
        bool encrypted = IsPemEncrypted(key);
        if (encrypted && passphrase is not { Length: > 0 })
        {
            throw PassphraseRequired();
        }

        object? parsed;
        try
        {
            using var reader = new StringReader(key.Block);
            var pem = new PemReader(reader, encrypted ? new PassphraseFinder(passphrase!) : null);
            parsed = pem.ReadObject();
        }
        catch (Exception ex)
        {
            for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
            {
                if (inner is SecurityUtilityException)
                {
                    // BouncyCastle names the algorithm it does not know (a PBE scheme, PRF or cipher OID).
                    throw new SshKeyException(
                        SshKeyException.KeyFormatUnsupported,
                        "The PKCS#8 private key is encrypted with an algorithm SecureConnect cannot read. Re-encrypt it "
                            + "with 'ssh-keygen -p -f <key file>' (this also converts it to OpenSSH format).",
                        innerException: ex);
                }
            }

            // A wrong passphrase shows up as bad padding or as garbage that does not parse; the two cannot be
            // told apart from a damaged encrypted file.
            if (encrypted)
            {
                throw new SshKeyException(
                    SshKeyException.KeyPassphraseIncorrect,
                    "The passphrase does not decrypt the private key (or the encrypted file is damaged). Check the "
                        + "passphrase and try again.",
                    innerException: ex);
            }

            throw new SshKeyException(
                SshKeyException.KeyFileCorrupt,
                "The PEM private key is damaged: its contents do not parse. Copy the key file again from its source.",
                innerException: ex);
        }

        AsymmetricKeyParameter? privateKey = parsed switch
        {
            AsymmetricCipherKeyPair pair => pair.Private,
            AsymmetricKeyParameter { IsPrivate: true } single => single,
            _ => null,
        };
        if (privateKey is null)
        {
            throw SshWireReader.Corrupt();
        }

        SshKeyPair result;
        try
        {
            result = new SshKeyPair(privateKey, string.Empty);
        }
        catch (SshKeyException)
        {
            throw;
        }
        catch (ArgumentException ex)
        {
            throw SshWireReader.Corrupt(ex);
        }

        if (result.PrivateKey is RsaPrivateCrtKeyParameters rsa)
        {
            RequireConsistentRsa(rsa);
        }

        // SEC 1 EC files carry the public point too; it has to be the one the private value produces.
        if (parsed is AsymmetricCipherKeyPair { Public: ECPublicKeyParameters storedPublic }
            && !storedPublic.Q.Normalize().Equals(((ECPublicKeyParameters)result.PublicKey).Q.Normalize()))
        {
            throw new SshKeyException(
                SshKeyException.KeyFileCorrupt,
                "The EC private key does not match the public key stored with it; the file is damaged. Copy the key "
                    + "file again from its source.");
        }

        return result;
    }

    private static SshKeyException PassphraseRequired() => new(
        SshKeyException.KeyPassphraseRequired,
        "The private key is protected by a passphrase. Supply the passphrase to use it.");

    private static SshKeyException PublicKeyGiven(string what) => new(
        SshKeyException.KeyIsPublicKey,
        "The text is " + what + ", not a private key. Supply the private key file instead; for a key made by "
            + "ssh-keygen that is the file without the .pub extension.");

    private static string Display(string name)
    {
        // Names from a file end up in messages; keep them short and printable whatever the file holds.
        var builder = new StringBuilder(Math.Min(name.Length, 64));
        foreach (char c in name)
        {
            if (builder.Length == 64)
            {
                builder.Append("...");
                break;
            }

            builder.Append(char.IsControl(c) ? '?' : c);
        }

        return builder.ToString();
    }

    /// <summary>A cipher an OpenSSH key file may name.</summary>
    private sealed record CipherSpec(string Name, int KeyLength, int IvLength, int BlockSize, bool Ctr);

    /// <summary>The armored private key found in the input: its label, the whole block and the text inside.</summary>
    private sealed record KeyText(string Label, string Block, string Body);

    /// <summary>The parts of an OpenSSH key file that are readable without the passphrase.</summary>
    private sealed record OpenSshContainer(
        CipherSpec Cipher, byte[] Salt, int Rounds, byte[] PublicBlob, string KeyType, byte[] PrivateSection);

    /// <summary>Hands the passphrase to BouncyCastle's PEM reader.</summary>
    private sealed class PassphraseFinder : IPasswordFinder
    {
        private readonly byte[] _passphrase;

        public PassphraseFinder(byte[] passphrase)
        {
            _passphrase = passphrase;
        }

        public char[] GetPassword()
        {
            // BouncyCastle turns the chars back into bytes by keeping the low 8 bits of each (for OpenSSL's
            // legacy PEM encryption and for PBES2 alike), so one char per byte hands OpenSSL's exact passphrase
            // bytes through, non-ASCII ones included.
            var chars = new char[_passphrase.Length];
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = (char)_passphrase[i];
            }

            return chars;
        }
    }
}
