using System;
using System.Linq;
using System.Text;
using SecureConnect.Ssh.Keys;

namespace SecureConnect.Tests.Ssh;

/// <summary>
/// Test-side view of an "openssh-key-v1" file, parsed independently of the reader under test, so tests can
/// inspect what the writer produced and build damaged or unusual files.
/// </summary>
internal sealed class OpenSshContainer
{
    public const string Begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
    public const string End = "-----END OPENSSH PRIVATE KEY-----";
    public static readonly byte[] Magic = Encoding.ASCII.GetBytes("openssh-key-v1\0");

    public byte[] MagicBytes { get; set; } = Magic;
    public string Cipher { get; set; } = "none";
    public string Kdf { get; set; } = "none";
    public byte[] KdfOptions { get; set; } = Array.Empty<byte>();
    public uint KeyCount { get; set; } = 1;
    public byte[] PublicBlob { get; set; } = Array.Empty<byte>();
    public byte[] PrivateSection { get; set; } = Array.Empty<byte>();

    public static byte[] Decode(string text)
    {
        string body = text.Replace("\r", string.Empty, StringComparison.Ordinal);
        int start = body.IndexOf(Begin, StringComparison.Ordinal) + Begin.Length;
        int end = body.IndexOf(End, StringComparison.Ordinal);
        return Convert.FromBase64String(new string(body[start..end].Where(c => !char.IsWhiteSpace(c)).ToArray()));
    }

    public static OpenSshContainer Parse(string text)
    {
        var reader = new SshWireReader(Decode(text));
        return new OpenSshContainer
        {
            MagicBytes = reader.ReadRaw(Magic.Length),
            Cipher = Encoding.UTF8.GetString(reader.ReadString()),
            Kdf = Encoding.UTF8.GetString(reader.ReadString()),
            KdfOptions = reader.ReadString(),
            KeyCount = reader.ReadUInt32(),
            PublicBlob = reader.ReadString(),
            PrivateSection = reader.ReadString(),
        };
    }

    public byte[] ToBytes()
    {
        var writer = new SshWireWriter();
        writer.WriteRaw(MagicBytes);
        writer.WriteString(Cipher);
        writer.WriteString(Kdf);
        writer.WriteString(KdfOptions);
        writer.WriteUInt32(KeyCount);
        writer.WriteString(PublicBlob);
        writer.WriteString(PrivateSection);
        return writer.ToArray();
    }

    public string ToText() => Armor(ToBytes());

    public static string Armor(byte[] data)
    {
        string base64 = Convert.ToBase64String(data);
        var text = new StringBuilder(Begin).Append('\n');
        for (int i = 0; i < base64.Length; i += 70)
        {
            text.Append(base64, i, Math.Min(70, base64.Length - i)).Append('\n');
        }

        return text.Append(End).Append('\n').ToString();
    }

    /// <summary>Builds an unencrypted private section: check ints, the given fields, comment, padding to 8.</summary>
    public static byte[] PrivateSectionOf(uint check1, uint check2, Action<SshWireWriter> fields, string comment)
    {
        var writer = new SshWireWriter();
        writer.WriteUInt32(check1);
        writer.WriteUInt32(check2);
        fields(writer);
        writer.WriteString(comment);
        for (byte pad = 1; writer.Length % 8 != 0; pad++)
        {
            writer.WriteRaw(new[] { pad });
        }

        return writer.ToArray();
    }
}
