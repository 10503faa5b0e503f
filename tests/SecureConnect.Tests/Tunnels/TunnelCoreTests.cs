using System;
using System.Collections.Generic;
using System.IO;
using SecureConnect.Common;
using SecureConnect.Ssh.Keys;
using SecureConnect.Ssh.Tunnels;
using Xunit;

namespace SecureConnect.Tests.Tunnels;

public sealed class TunnelCoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "sc-identity-" + Guid.NewGuid().ToString("N"));

    public TunnelCoreTests()
    {
        Directory.CreateDirectory(_dir);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SshNetInternals_EveryNonPublicMemberStillResolves()
    {
        // If this fails after an SSH.NET upgrade, the tunnel's channels, keep-alive or forwarding no longer work:
        // pin the old version again, or move SshNetInternals to what the new version offers.
        IReadOnlyList<string> missing = SshNetInternals.Missing();
        Assert.True(missing.Count == 0, "SSH.NET no longer has: " + string.Join(", ", missing));
        SshNetInternals.EnsureAvailable();
        Assert.Equal("direct-tcpip", SshNetInternals.DirectTcpip("db.internal", 5432, "127.0.0.1", 50000).ChannelType);
        Assert.Equal("keepalive@openssh.com", ((Renci.SshNet.Messages.Connection.GlobalRequestMessage)SshNetInternals.KeepAliveRequest()).RequestName);
    }

    [Fact]
    public void BcryptPbkdf_InternalMemberStillResolves()
    {
        Assert.Null(BcryptPbkdf.Unavailable());
    }

    [Theory]
    [InlineData("My SSH tunnel", "MY_SSH_TUNNEL")]
    [InlineData("my  db", "MY__DB")]
    [InlineData("orders (eu)", "ORDERS__EU_")]
    [InlineData("café", "CAF_")]
    [InlineData("1st-db", "1ST_DB")]
    public void EnvironmentNames_FreeTextNames(string name, string prefix)
    {
        Assert.Equal(new[] { prefix + "_LOCAL_HOST", prefix + "_LOCAL_PORT" }, EnvironmentNames.For(name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("tab\there")]
    [InlineData("new\nline")]
    [InlineData("del\u007f")]
    public void EnvironmentNames_RefusesNamesThatCannotBeVariables(string name)
    {
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => EnvironmentNames.Validate(name));
        Assert.Equal("InvalidTunnelName", e.ErrorId);
    }

    [Fact]
    public void EnvironmentNames_RefusesOverlongNames()
    {
        EnvironmentNames.Validate(new string('a', EnvironmentNames.MaxNameLength));
        Assert.Equal("InvalidTunnelName", Assert.Throws<SecureConnectException>(() => EnvironmentNames.Validate(new string('a', EnvironmentNames.MaxNameLength + 1))).ErrorId);
    }

    [Fact]
    public void Identity_SameRequestSameIdentity_PortAndNameDoNotCount()
    {
        string key = WriteKey("k1", "one");
        TunnelSpec spec = Spec();
        Assert.Equal(TunnelIdentity.For(spec, _dir, key), TunnelIdentity.For(spec with { LocalPort = 15432, Name = "other", ConnectTimeout = TimeSpan.FromSeconds(3) }, _dir, key));
        Assert.Equal(TunnelIdentity.For(spec, _dir, key), TunnelIdentity.For(spec with { Bastion = new SshHop("BASTION.example", 22, "ops"), RemoteHost = "DB.internal" }, _dir, key));
    }

    [Fact]
    public void Identity_EverythingThatMattersForSecurityOrTheCallerCounts()
    {
        string key = WriteKey("k1", "one");
        string otherKey = WriteKey("k2", "two");
        TunnelSpec spec = Spec();
        TunnelIdentity baseline = TunnelIdentity.For(spec, _dir, key);
        var different = new[]
        {
            TunnelIdentity.For(spec with { PinnedFingerprint = "SHA256:" + new string('A', 43) }, _dir, key),
            TunnelIdentity.For(spec with { Policy = HostKeyPolicy.AcceptNew }, _dir, key),
            TunnelIdentity.For(spec, Path.Combine(_dir, "other-workspace"), key),
            TunnelIdentity.For(spec, _dir, otherKey),
            TunnelIdentity.For(spec with { Reconnect = false }, _dir, key),
            TunnelIdentity.For(spec with { KeepAliveInterval = TimeSpan.FromSeconds(5) }, _dir, key),
            TunnelIdentity.For(spec with { Bastion = new SshHop("bastion.example", 22, "root") }, _dir, key),
            TunnelIdentity.For(spec with { Bastion = new SshHop("bastion.example", 2222, "ops") }, _dir, key),
            TunnelIdentity.For(spec with { JumpHops = new[] { new SshHop("jump.example", 22, "ops") } }, _dir, key),
            TunnelIdentity.For(spec with { RemotePort = 5433 }, _dir, key),
        };
        foreach (TunnelIdentity other in different)
        {
            Assert.NotEqual(baseline, other);
        }
    }

    [Fact]
    public void Identity_ARotatedKeyAtTheSamePathIsAnotherKey()
    {
        string key = WriteKey("k1", "one");
        TunnelIdentity before = TunnelIdentity.For(Spec(), _dir, key);
        File.WriteAllText(key, "rotated");
        Assert.NotEqual(before, TunnelIdentity.For(Spec(), _dir, key));
    }

    private static TunnelSpec Spec() => new(
        new SshHop("bastion.example", 22, "ops"),
        Array.Empty<SshHop>(),
        "db.internal",
        5432,
        0,
        null,
        HostKeyPolicy.Strict,
        null,
        TimeSpan.FromSeconds(30),
        TimeSpan.FromSeconds(15),
        true);

    private string WriteKey(string file, string content)
    {
        string path = Path.Combine(_dir, file);
        File.WriteAllText(path, content);
        return path;
    }
}
