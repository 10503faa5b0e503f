using System;
using System.Buffers.Binary;
using System.Text;
using Org.BouncyCastle.Math;

namespace SecureConnect.Ssh.Keys;

/// <summary>
/// Reads SSH wire-format data. Every read past the end, or an impossible length, throws
/// <see cref="SshKeyException"/> with <see cref="SshKeyException.KeyFileCorrupt"/>: the data always comes from
/// a key the user supplied, so running short means the key is truncated or damaged.
/// </summary>
internal sealed class SshWireReader
{
    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _data;
    private int _position;

    /// <summary>Reads from <paramref name="data"/>; the array is not copied.</summary>
    public SshWireReader(byte[] data)
    {
        _data = data;
    }

    /// <summary>Bytes left to read.</summary>
    public int Remaining => _data.Length - _position;

    /// <summary>Reads a big-endian uint32.</summary>
    public uint ReadUInt32()
    {
        Require(4);
        uint value = BinaryPrimitives.ReadUInt32BigEndian(_data.AsSpan(_position, 4));
        _position += 4;
        return value;
    }

    /// <summary>Reads a length-prefixed byte string.</summary>
    public byte[] ReadString()
    {
        uint length = ReadUInt32();
        if (length > (uint)Remaining)
        {
            throw Corrupt();
        }

        return ReadRaw((int)length);
    }

    /// <summary>Reads a length-prefixed string that must be valid UTF-8.</summary>
    public string ReadUtf8String()
    {
        byte[] bytes = ReadString();
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw Corrupt(ex);
        }
    }

    /// <summary>Reads an mpint that must not be negative (keys never hold negative integers).</summary>
    public BigInteger ReadPositiveMpint()
    {
        byte[] bytes = ReadString();
        if (bytes.Length == 0)
        {
            return BigInteger.Zero;
        }

        if ((bytes[0] & 0x80) != 0)
        {
            throw Corrupt();
        }

        return new BigInteger(1, bytes);
    }

    /// <summary>Reads <paramref name="count"/> bytes with no length prefix.</summary>
    public byte[] ReadRaw(int count)
    {
        Require(count);
        byte[] value = _data.AsSpan(_position, count).ToArray();
        _position += count;
        return value;
    }

    /// <summary>The generic error for a key whose structure does not parse.</summary>
    public static SshKeyException Corrupt(Exception? inner = null) => new(
        SshKeyException.KeyFileCorrupt,
        "The key is damaged or truncated: its contents do not match the SSH key format. "
            + "Copy the key file again from its source, or generate a new key.",
        innerException: inner);

    private void Require(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw Corrupt();
        }
    }
}
