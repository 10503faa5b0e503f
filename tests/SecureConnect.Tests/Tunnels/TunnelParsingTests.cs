using SecureConnect.Common;
using SecureConnect.Ssh.Tunnels;
using Xunit;

namespace SecureConnect.Tests.Tunnels;

public sealed class TunnelParsingTests
{
    [Theory]
    [InlineData("my_ssh_tunnel", "MY_SSH_TUNNEL_LOCAL_HOST", "MY_SSH_TUNNEL_LOCAL_PORT")]
    [InlineData("my-redis.1", "MY_REDIS_1_LOCAL_HOST", "MY_REDIS_1_LOCAL_PORT")]
    [InlineData("MLflow", "MLFLOW_LOCAL_HOST", "MLFLOW_LOCAL_PORT")]
    public void EnvironmentNames_UpperCaseAndUnderscore(string name, string host, string port)
    {
        Assert.Equal(new[] { host, port }, EnvironmentNames.For(name));
    }

    [Theory]
    [InlineData("ops@edge.example.com", "ops", "edge.example.com", 22)]
    [InlineData("ops@edge.example.com:2222", "ops", "edge.example.com", 2222)]
    [InlineData("edge.example.com", "tunnel", "edge.example.com", 22)]
    [InlineData("edge:2200", "tunnel", "edge", 2200)]
    [InlineData("ops@[fd00::1]:2222", "ops", "fd00::1", 2222)]
    [InlineData("ops@[fd00::1]", "ops", "fd00::1", 22)]
    public void JumpHost_Parses(string value, string user, string host, int port)
    {
        SshHop hop = JumpHostParser.Parse(value, "tunnel");
        Assert.Equal(new SshHop(host, port, user), hop);
    }

    [Theory]
    [InlineData("ops@edge:0")]
    [InlineData("ops@edge:70000")]
    [InlineData("ops@edge:x")]
    [InlineData("@edge")]
    [InlineData("ops@")]
    [InlineData("ops@fd00::1:22")]
    [InlineData("ops@[fd00::1")]
    [InlineData("ops@[fd00::1]2222")]
    public void JumpHost_RejectsMalformed(string value)
    {
        var error = Assert.Throws<SecureConnectException>(() => JumpHostParser.Parse(value, "tunnel"));
        Assert.Equal("InvalidJumpHost", error.ErrorId);
    }

    [Fact]
    public void KeyBlob_ReadsTheType()
    {
        byte[] blob = { 0, 0, 0, 11, (byte)'s', (byte)'s', (byte)'h', (byte)'-', (byte)'e', (byte)'d', (byte)'2', (byte)'5', (byte)'5', (byte)'1', (byte)'9', 0, 0, 0, 0 };
        Assert.Equal("ssh-ed25519", KeyBlob.ReadType(blob));
        Assert.Equal("unknown", KeyBlob.ReadType(new byte[] { 0, 0, 1 }));
        Assert.Equal("unknown", KeyBlob.ReadType(new byte[] { 0, 0, 0, 200, 1 }));
    }
}
