using System.Collections;
using SecureConnect.Common;
using SecureConnect.Integrations;
using Xunit;

namespace SecureConnect.Tests.Integrations;

public sealed class IntegrationEditsTests
{
    private static IntegrationRecord Record(IntegrationType type = IntegrationType.PostgreSQL) => new() { Name = "orders", Type = type, HostName = "db.internal", Port = 5432 };

    [Fact]
    public void Bastion_WithUserAndPort_SetsTheRoute()
    {
        IntegrationRecord record = Record();
        IntegrationEdits.ApplySsh(record, "ops@bastion.example:2222", null, new[] { "jump.example" }, "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCdE");

        Assert.Equal("bastion.example", record.SshBastion);
        Assert.Equal(2222, record.SshBastionPort);
        Assert.Equal("ops", record.SshUser);
        Assert.Equal(new[] { "jump.example" }, record.SshJumpHost);
        Assert.Equal("SHA256:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/AbCdE", record.SshHostKeyFingerprint);
    }

    [Fact]
    public void Bastion_WithoutAUser_IsRefused()
    {
        IntegrationRecord record = Record();
        var error = Assert.Throws<SecureConnectException>(() => IntegrationEdits.ApplySsh(record, "bastion.example", null, null, null));
        Assert.Equal(ErrorIds.SshUserRequired, error.ErrorId);
    }

    [Fact]
    public void NullParameters_LeaveTheRouteAlone()
    {
        IntegrationRecord record = Record();
        IntegrationEdits.ApplySsh(record, "bastion.example", "ops", null, null);
        IntegrationEdits.ApplySsh(record, null, null, null, null);

        Assert.Equal("bastion.example", record.SshBastion);
        Assert.Equal("ops", record.SshUser);
    }

    [Theory]
    [InlineData("Password")]
    [InlineData("pwd")]
    [InlineData("ProxyPassword")]
    public void SecretLookingOptions_AreRefused_AndNothingIsSet(string key)
    {
        IntegrationRecord record = Record();
        var error = Assert.Throws<SecureConnectException>(() => IntegrationEdits.ApplyOptions(record, new Hashtable { [key] = "x" }));
        Assert.Equal(ErrorIds.InvalidOption, error.ErrorId);
    }

    [Theory]
    [InlineData(IntegrationType.PostgreSQL, "SSL Mode", "Disable", ErrorIds.SslPolicyViolation)]
    [InlineData(IntegrationType.MariaDB, "Tls-Version", "TLS 1.0", ErrorIds.SslPolicyViolation)]
    [InlineData(IntegrationType.MySQL, "Server", "elsewhere", ErrorIds.InvalidOption)]
    [InlineData(IntegrationType.SqlServer, "Failover Partner", "elsewhere", ErrorIds.InvalidOption)]
    public void OptionsThatTheEngineDoesNotPassOn_AreRefusedAtRegistration(IntegrationType type, string key, string value, string errorId)
    {
        var error = Assert.Throws<SecureConnectException>(() => IntegrationEdits.ApplyOptions(Record(type), new Hashtable { [key] = value }));
        Assert.Equal(errorId, error.ErrorId);
    }

    [Fact]
    public void TuningOptions_AreStoredAsText()
    {
        IntegrationRecord record = Record();
        IntegrationEdits.ApplyOptions(record, new Hashtable { ["Application Name"] = "nightly", ["Keepalive"] = 10 });

        Assert.Equal("nightly", record.Options["Application Name"]);
        Assert.Equal("10", record.Options["Keepalive"]);
    }
}
