using System;
using System.Reflection;
using System.Threading;
using Renci.SshNet;

namespace SecureConnect.Ssh.Keys;

/// <summary>
/// bcrypt_pbkdf, the KDF of encrypted OpenSSH private keys, taken from SSH.NET.
/// </summary>
/// <remarks>
/// BouncyCastle has no bcrypt_pbkdf, and implementing its Blowfish core here would be home-made cryptography.
/// SSH.NET has a working one (it decrypts OpenSSH keys with it) but only as the internal class
/// <c>Renci.SshNet.Security.Cryptography.BCrypt</c>, so it is reached through reflection. The SSH.NET version
/// is pinned in Directory.Packages.props and the tests decrypt keys written by the real ssh-keygen, so an
/// SSH.NET upgrade that changes or breaks the method fails the build's tests instead of users' keys; at run
/// time a missing method is reported as a clear <see cref="InvalidOperationException"/>.
/// </remarks>
internal static class BcryptPbkdf
{
    private const string TypeName = "Renci.SshNet.Security.Cryptography.BCrypt";
    private const string MethodName = "Pbkdf";

    private static readonly Lazy<(Type Type, MethodInfo Method)> s_pbkdf =
        new(Resolve, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Derives <paramref name="length"/> bytes as OpenBSD's bcrypt_pbkdf does.</summary>
    /// <param name="password">The passphrase bytes; must not be empty (OpenSSH rejects empty ones too).</param>
    /// <param name="salt">The salt from the key file.</param>
    /// <param name="rounds">The rounds from the key file (ssh-keygen -a); at least 1.</param>
    /// <param name="length">Bytes to derive: cipher key plus IV; 1 to 1024 as in OpenBSD.</param>
    /// <exception cref="InvalidOperationException">The SSH.NET in use no longer provides the function.</exception>
    public static byte[] Derive(byte[] password, byte[] salt, int rounds, int length)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(salt);
        if (password.Length == 0)
        {
            throw new ArgumentException("The passphrase must not be empty.", nameof(password));
        }

        if (salt.Length == 0)
        {
            throw new ArgumentException("The salt must not be empty.", nameof(salt));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 1024);

        (Type type, MethodInfo method) = s_pbkdf.Value;

        // BCrypt keeps its Blowfish state in instance fields, so every derivation gets its own instance.
        object instance = Activator.CreateInstance(type, nonPublic: true)!;
        var output = new byte[length];
        method.Invoke(
            instance,
            BindingFlags.DoNotWrapExceptions,
            binder: null,
            new object[] { password, salt, rounds, output },
            culture: null);
        return output;
    }

    /// <summary>Null when SSH.NET's bcrypt_pbkdf resolves; else why not (checked by a test, so an upgrade that moves it fails loudly).</summary>
    internal static string? Unavailable()
    {
        try
        {
            _ = Resolve();
            return null;
        }
        catch (InvalidOperationException e)
        {
            return e.Message;
        }
    }

    private static (Type Type, MethodInfo Method) Resolve()
    {
        Assembly sshNet = typeof(PrivateKeyFile).Assembly;
        Type? type = sshNet.GetType(TypeName, throwOnError: false);
        MethodInfo? method = type?.GetMethod(
            MethodName,
            BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic,
            binder: null,
            new[] { typeof(byte[]), typeof(byte[]), typeof(int), typeof(byte[]) },
            modifiers: null);
        ConstructorInfo? constructor = type?.GetConstructor(
            BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic,
            binder: null,
            Type.EmptyTypes,
            modifiers: null);

        if (type is null || method is null || method.ReturnType != typeof(void) || constructor is null)
        {
            throw new InvalidOperationException(
                "The installed SSH.NET (" + sshNet.GetName().Version + ") no longer provides " + TypeName + "."
                + MethodName + "(byte[], byte[], int, byte[]), which SecureConnect needs to read and write "
                + "passphrase-protected OpenSSH keys. Reinstall SecureConnect so that it loads the SSH.NET "
                + "version it was built with.");
        }

        return (type, method);
    }
}
