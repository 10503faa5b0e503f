using System;
using SecureConnect.Ssh;
using SecureConnect.Ssh.Tunnels;
using Xunit;

namespace SecureConnect.Tests.Tunnels;

public sealed class ServerKeyScannerTests
{
    [Fact]
    public void WithJumpHosts_GivesEveryGetSshServerKeyOfTheHopTheJumpHosts()
    {
        var hop = new SshHop("bastion2.internal", 2222, "ops");
        var jumps = new[] { new SshHop("jump.example", 22, "ops"), new SshHop("fe80::1", 2200, "admin") };
        string message = "Not trusted. Run: Get-SshServerKey -HostName bastion2.internal -Port 2222 | Add-SshKnownHost   (or ...). " +
            "Or: Remove-SshKnownHost -HostName bastion2.internal -Port 2222; Get-SshServerKey -HostName bastion2.internal -Port 2222 | Add-SshKnownHost";

        string rewritten = ServerKeyScanner.WithJumpHosts(message, hop, jumps);

        const string Expected = "Get-SshServerKey -HostName bastion2.internal -Port 2222 -JumpHost ops@jump.example:22,admin@[fe80::1]:2200 | Add-SshKnownHost";
        Assert.Equal(2, rewritten.Split(Expected).Length - 1);
        Assert.Equal(message, ServerKeyScanner.WithJumpHosts(message, hop, Array.Empty<SshHop>()));
    }

    [Fact]
    public void JumpHostArgument_ParsesBackToTheSameHops()
    {
        var jumps = new[] { new SshHop("jump.example", 22, "ops"), new SshHop("fe80::1", 2200, "admin") };
        string[] parts = ServerKeyScanner.JumpHostArgument(jumps).Split(',');
        Assert.Equal(jumps[0], JumpHostParser.Parse(parts[0], "nobody"));
        Assert.Equal(jumps[1], JumpHostParser.Parse(parts[1], "nobody"));
    }
}
