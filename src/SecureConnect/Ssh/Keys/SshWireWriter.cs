using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using Org.BouncyCastle.Math;

namespace SecureConnect.Ssh.Keys;

/// <summary>Builds SSH wire-format data (RFC 4251 section 5): uint32, string and mpint.</summary>
internal sealed class SshWireWriter
{
    private readonly MemoryStream _buffer = new();

    /// <summary>Number of bytes written so far.</summary>
    public int Length => (int)_buffer.Length;

    /// <summary>Appends a big-endian uint32.</summary>
    public void WriteUInt32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        _buffer.Write(bytes);
    }

    /// <summary>Appends a length-prefixed byte string.</summary>
    public void WriteString(ReadOnlySpan<byte> value)
    {
        WriteUInt32((uint)value.Length);
        _buffer.Write(value);
    }

    /// <summary>Appends a length-prefixed UTF-8 string.</summary>
    public void WriteString(string value) => WriteString(Encoding.UTF8.GetBytes(value));

    /// <summary>Appends a non-negative integer as an SSH mpint.</summary>
    public void WriteMpint(BigInteger value)
    {
        if (value.SignValue < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Key integers are never negative.");
        }

        // RFC 4251 encodes zero as the empty string, while BigInteger gives one zero byte.
        // For positive values BouncyCastle's two's complement form already carries the leading zero
        // byte the mpint needs when the high bit is set, and nothing more.
        WriteString(value.SignValue == 0 ? ReadOnlySpan<byte>.Empty : value.ToByteArray());
    }

    /// <summary>Appends bytes with no length prefix.</summary>
    public void WriteRaw(ReadOnlySpan<byte> value) => _buffer.Write(value);

    /// <summary>Returns a copy of everything written.</summary>
    public byte[] ToArray() => _buffer.ToArray();
}
