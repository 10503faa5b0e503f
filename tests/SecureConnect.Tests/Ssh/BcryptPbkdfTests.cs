using System;
using System.Text;
using SecureConnect.Ssh.Keys;
using Xunit;

namespace SecureConnect.Tests.Ssh;

public sealed class BcryptPbkdfTests
{
    private static readonly byte[] s_password = Encoding.UTF8.GetBytes("password");
    private static readonly byte[] s_salt = Encoding.UTF8.GetBytes("salt-salt-salt-!");

    // Compatibility with OpenSSH's bcrypt_pbkdf is proven by OpenSshPrivateKeyReadTests, which decrypt keys
    // that the real ssh-keygen encrypted (aes128/192/256, 32/40/48 derived bytes); these tests cover the wrapper.

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
}
