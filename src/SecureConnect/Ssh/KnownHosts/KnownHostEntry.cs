using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using SecureConnect.Ssh.Keys;

namespace SecureConnect.Ssh.KnownHosts;

/// <summary>
/// One key line of a known_hosts file (sshd(8), SSH_KNOWN_HOSTS FILE FORMAT):
/// <c>[marker] hosts keytype base64 [comment]</c>. The host field is either a comma-separated list of patterns
/// or a single hashed name <c>|1|base64(salt)|base64(HMAC-SHA1(salt, name))</c>.
/// </summary>
internal sealed class KnownHostEntry
{
    public const string RevokedMarker = "@revoked";

    public const string CertAuthorityMarker = "@cert-authority";

    public const string HashMagic = "|1|";

    // HMAC-SHA1 output and the salt length OpenSSH uses (and requires when it decodes a hashed name).
    internal const int HashLength = 20;

    private readonly byte[]? _salt;
    private readonly byte[]? _hash;

    internal KnownHostEntry(int lineNumber, string? marker, string hostField, string keyType, byte[] keyBlob, string? comment)
    {
        LineNumber = lineNumber;
        Marker = marker;
        HostField = hostField;
        KeyType = keyType;
        KeyBlob = keyBlob;
        Comment = string.IsNullOrEmpty(comment) ? null : comment;
        Patterns = hostField.Split(',');
        Fingerprint = SshFingerprint.Sha256(keyBlob);
        if (Hashed)
        {
            if (!TryDecodeHashedField(hostField, out _salt, out _hash))
            {
                // The parser and Add only build entries from fields that decode; anything else is a bug.
                throw new ArgumentException("The hashed host field is malformed.", nameof(hostField));
            }
        }
    }

    /// <summary>The 1-based line of the entry in the file (as it will be rendered).</summary>
    public int LineNumber { get; internal set; }

    /// <summary><c>@revoked</c>, <c>@cert-authority</c>, or null.</summary>
    public string? Marker { get; }

    /// <summary>The host field exactly as written.</summary>
    public string HostField { get; }

    /// <summary>The host field split on ','; for a hashed field, the single hashed value.</summary>
    public IReadOnlyList<string> Patterns { get; }

    /// <summary>True when the host field is a hashed name (HashKnownHosts / ssh-keygen -H).</summary>
    public bool Hashed => HostField.StartsWith(HashMagic, StringComparison.Ordinal);

    /// <summary>The key type, e.g. <c>ssh-ed25519</c>.</summary>
    public string KeyType { get; }

    /// <summary>The public key blob in SSH wire format.</summary>
    public byte[] KeyBlob { get; }

    /// <summary>The text after the key, or null.</summary>
    public string? Comment { get; }

    /// <summary>The SHA256 fingerprint as OpenSSH prints it.</summary>
    public string Fingerprint { get; }

    /// <summary>The key as <c>type base64</c>, the form of a .pub file without comment.</summary>
    public string PublicKey => KeyType + " " + Convert.ToBase64String(KeyBlob);

    public bool IsRevoked => string.Equals(Marker, RevokedMarker, StringComparison.Ordinal);

    public bool IsCertAuthority => string.Equals(Marker, CertAuthorityMarker, StringComparison.Ordinal);

    /// <summary>
    /// True when this line applies to <paramref name="host"/> on <paramref name="port"/>, the way ssh decides it:
    /// the lookup name is <c>host</c> on port 22 and <c>[host]:port</c> otherwise, lowercased; a negated pattern
    /// that matches excludes the line whatever else matches.
    /// </summary>
    public bool Matches(string host, int port)
    {
        string name = KnownHostsFile.LookupName(host, port);
        if (Hashed)
        {
            byte[] actual = HMACSHA1.HashData(_salt!, Encoding.UTF8.GetBytes(name));
            return CryptographicOperations.FixedTimeEquals(actual, _hash!);
        }

        bool matched = false;
        foreach (string pattern in Patterns)
        {
            bool negated = pattern.StartsWith('!');
            string body = negated ? pattern.Substring(1) : pattern;
            if (!WildcardMatch(name, body.ToLowerInvariant()))
            {
                continue;
            }

            if (negated)
            {
                return false;
            }

            matched = true;
        }

        return matched;
    }

    /// <summary>
    /// The entry as the public <see cref="SshKnownHost"/> object. <paramref name="hostName"/> and
    /// <paramref name="port"/> are the host that was asked for; without them the first plain pattern of the entry
    /// is shown (nothing for a hashed entry, whose name cannot be recovered).
    /// </summary>
    public SshKnownHost ToSshKnownHost(string? hostName, int? port, string path)
    {
        string? shownHost = hostName;
        int? shownPort = port;
        if (shownHost is null)
        {
            if (Hashed)
            {
                shownPort = null;
            }
            else
            {
                (shownHost, int parsedPort) = FirstHost();
                shownPort ??= parsedPort;
            }
        }
        else
        {
            shownPort ??= 22;
        }

        return new SshKnownHost(
            shownHost,
            shownPort,
            HostField,
            Hashed,
            Marker,
            KeyType,
            Fingerprint,
            PublicKey,
            LineNumber,
            path);
    }

    /// <summary>True when the entries carry the same marker, host field and key.</summary>
    internal bool SameAs(KnownHostEntry other) =>
        string.Equals(Marker, other.Marker, StringComparison.Ordinal)
        && string.Equals(HostField, other.HostField, StringComparison.Ordinal)
        && HasKey(other.KeyType, other.KeyBlob);

    /// <summary>True when this line holds exactly the given key.</summary>
    internal bool HasKey(string keyType, byte[] keyBlob) =>
        string.Equals(KeyType, keyType, StringComparison.Ordinal) && KeyBlob.AsSpan().SequenceEqual(keyBlob);

    /// <summary>Renders the entry as a known_hosts line with single spaces.</summary>
    internal string ToLine()
    {
        var builder = new StringBuilder();
        if (Marker is not null)
        {
            builder.Append(Marker).Append(' ');
        }

        builder.Append(HostField).Append(' ').Append(PublicKey);
        if (Comment is not null)
        {
            builder.Append(' ').Append(Comment);
        }

        return builder.ToString();
    }

    /// <summary>
    /// Checks a key type and blob: the type must be a plausible algorithm name and the blob must start with the
    /// same type string, as ssh does, so a line cannot claim one key type while holding another.
    /// </summary>
    internal static bool TryValidateKey(string keyType, byte[] blob, out string problem)
    {
        if (keyType.Length == 0)
        {
            problem = "the key type is empty";
            return false;
        }

        foreach (char c in keyType)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '@' or '.' or '_'))
            {
                problem = "the key type '" + keyType + "' contains characters no SSH key type has";
                return false;
            }
        }

        string embedded;
        var reader = new SshWireReader(blob);
        try
        {
            embedded = reader.ReadUtf8String();
        }
        catch (SshKeyException)
        {
            problem = "the key data does not start with a key type string";
            return false;
        }

        if (!string.Equals(embedded, keyType, StringComparison.Ordinal))
        {
            problem = "the key type '" + keyType + "' does not match the type inside the key data ('" + embedded + "')";
            return false;
        }

        if (reader.Remaining == 0)
        {
            problem = "the key data holds no key";
            return false;
        }

        problem = string.Empty;
        return true;
    }

    /// <summary>Splits <c>|1|salt|hash</c>; false unless both parts are base64 of 20 bytes.</summary>
    internal static bool TryDecodeHashedField(string field, out byte[]? salt, out byte[]? hash)
    {
        salt = null;
        hash = null;
        if (!field.StartsWith(HashMagic, StringComparison.Ordinal))
        {
            return false;
        }

        string[] parts = field.Substring(HashMagic.Length).Split('|');
        if (parts.Length != 2)
        {
            return false;
        }

        salt = DecodeExact(parts[0]);
        hash = DecodeExact(parts[1]);
        return salt is not null && hash is not null;
    }

    /// <summary>The hashed host field for <paramref name="lookupName"/> with a fresh random salt.</summary>
    internal static string HashName(string lookupName)
    {
        byte[] salt = RandomNumberGenerator.GetBytes(HashLength);
        byte[] hash = HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(lookupName));
        return HashMagic + Convert.ToBase64String(salt) + "|" + Convert.ToBase64String(hash);
    }

    private static byte[]? DecodeExact(string base64)
    {
        byte[] buffer = new byte[HashLength + 3];
        if (!Convert.TryFromBase64String(base64, buffer, out int written) || written != HashLength)
        {
            return null;
        }

        return buffer.AsSpan(0, HashLength).ToArray();
    }

    private (string? Host, int Port) FirstHost()
    {
        foreach (string pattern in Patterns)
        {
            if (pattern.Length == 0 || pattern.StartsWith('!'))
            {
                continue;
            }

            // [host]:port names a non-default port; anything else is port 22.
            if (pattern.StartsWith('['))
            {
                int close = pattern.LastIndexOf("]:", StringComparison.Ordinal);
                if (close > 1
                    && int.TryParse(pattern.AsSpan(close + 2), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
                {
                    return (pattern.Substring(1, close - 1), port);
                }
            }

            return (pattern, 22);
        }

        return (null, 22);
    }

    /// <summary>
    /// Glob match with '*' (any run, including empty) and '?' (one character); every other character, '['
    /// included, is literal, as in OpenSSH's match_pattern. Iterative with one backtrack point, so a hostile
    /// pattern cannot make it exponential.
    /// </summary>
    private static bool WildcardMatch(string text, string pattern)
    {
        int t = 0;
        int p = 0;
        int starPattern = -1;
        int starText = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                t++;
                p++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                starPattern = p++;
                starText = t;
            }
            else if (starPattern >= 0)
            {
                p = starPattern + 1;
                t = ++starText;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
