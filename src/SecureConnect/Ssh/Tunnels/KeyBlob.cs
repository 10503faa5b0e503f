using System;
using System.Buffers.Binary;
using System.Text;

namespace SecureConnect.Ssh.Tunnels;

/// <summary>Reads the key type that an SSH public key blob starts with.</summary>
internal static class KeyBlob
{
    public static string ReadType(byte[] blob)
    {
        if (blob.Length >= 4)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(blob);
            if (length > 0 && length <= 64 && blob.Length >= 4 + length)
            {
                return Encoding.ASCII.GetString(blob, 4, (int)length);
            }
        }

        return "unknown";
    }
}
