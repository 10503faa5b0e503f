using System;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;

namespace SecureConnect.Common;

/// <summary>
/// Turns a SecureString into the bytes a KDF needs, for as short a time as possible. Callers zero the result
/// with <see cref="Clear"/> when done; the intermediate buffers are zeroed here.
/// </summary>
internal static class SecretConversion
{
    public static byte[]? ToUtf8(SecureString? secret)
    {
        if (secret is null || secret.Length == 0)
        {
            return null;
        }

        IntPtr unmanaged = IntPtr.Zero;
        char[] chars = new char[secret.Length];
        try
        {
            unmanaged = Marshal.SecureStringToGlobalAllocUnicode(secret);
            Marshal.Copy(unmanaged, chars, 0, chars.Length);
            return Encoding.UTF8.GetBytes(chars);
        }
        finally
        {
            Array.Clear(chars);
            if (unmanaged != IntPtr.Zero)
            {
                Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
            }
        }
    }

    public static void Clear(byte[]? secret)
    {
        if (secret is not null)
        {
            Array.Clear(secret);
        }
    }
}
