using SecureConnect.Common;
using SecureConnect.Integrations;
using SecureConnect.Ssh.Tunnels;
using Xunit;

namespace SecureConnect.Tests.Integrations;

/// <summary>Checks at the door: host names, Start-SshTunnel's -Bastion text, and the SSL minimum warning.</summary>
public sealed class DoorValidationTests
{
    [Theory]
    [InlineData("db.example.test")]
    [InlineData("db-1_internal.corp")]
    [InlineData("10.0.0.5")]
    [InlineData("fd00::5")]
    [InlineData("::1")]
    [InlineData("localhost")]
    public void HostName_DnsNamesAndAddresses_AreAccepted(string host)
    {
        Assert.Null(IntegrationEdits.HostNameProblem(host));
        IntegrationEdits.CheckHostName(host);
    }

    [Theory]
    [InlineData("db:5432", "-HostName db -Port 5432")]
    [InlineData("[fd00::5]:5432", "-HostName fd00::5 -Port 5432")]
    [InlineData("[fd00::5]", "without brackets (-HostName fd00::5)")]
    [InlineData("postgres://db", "is a URL, not a host name: give the host name only (-HostName db), with the port in -Port")]
    [InlineData("postgresql://u@db.example.test:6432/app", "(-HostName db.example.test -Port 6432)")]
    [InlineData("my db", "a space")]
    [InlineData("db/app", "'/'")]
    [InlineData("ops@db", "'@'")]
    [InlineData("db\tx", "U+0009")]
    [InlineData("db..example", "single dots")]
    [InlineData(".db", "single dots")]
    public void HostName_NotAHostName_IsInvalidHostNameSayingWhatToGive(string host, string says)
    {
        var error = Assert.Throws<SecureConnectException>(() => IntegrationEdits.CheckHostName(host));
        Assert.Equal(ErrorIds.InvalidHostName, error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(says, error.Message, System.StringComparison.Ordinal);
    }

    [Fact]
    public void HostName_Url_PointsAtTheConnectionStringWhereTheCmdletHasOne()
    {
        Assert.Contains("-ConnectionString", IntegrationEdits.HostNameProblem("postgres://db", hasConnectionString: true), System.StringComparison.Ordinal);
        Assert.DoesNotContain("-ConnectionString", IntegrationEdits.HostNameProblem("postgres://db"), System.StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ops@bastion.example", null, null, "ops", "bastion.example", 22)]
    [InlineData("ops@bastion.example:2222", null, null, "ops", "bastion.example", 2222)]
    [InlineData("ops@bastion.example", "ops", 2200, "ops", "bastion.example", 2200)]
    [InlineData("bastion.example:2222", "ops", 2222, "ops", "bastion.example", 2222)]
    [InlineData("bastion.example", "ops", null, "ops", "bastion.example", 22)]
    [InlineData("ops@[fd00::1]:2222", null, null, "ops", "fd00::1", 2222)]
    [InlineData("fd00::1", "ops", 2200, "ops", "fd00::1", 2200)]
    public void Bastion_TakesUserAndPortFromTheTextOrTheParameters(string text, string? user, int? port, string wantUser, string wantHost, int wantPort)
    {
        SshHop hop = BastionText.Parse(text, user, port);
        Assert.Equal(new SshHop(wantHost, wantPort, wantUser), hop);
    }

    [Theory]
    [InlineData("alice@bastion.example", "bob", null, nameof(ErrorIds.ParameterConflict))]
    [InlineData("bastion.example:2201", "ops", 2202, nameof(ErrorIds.ParameterConflict))]
    [InlineData("bastion.example", null, null, nameof(ErrorIds.SshUserRequired))]
    [InlineData("bastion.example:2201", null, null, nameof(ErrorIds.SshUserRequired))]
    [InlineData("ops@bad host", null, null, nameof(ErrorIds.InvalidHostName))]
    [InlineData("ops@bastion:notaport", null, null, nameof(ErrorIds.InvalidHostName))]
    [InlineData("ops@bastion/x", null, null, nameof(ErrorIds.InvalidHostName))]
    public void Bastion_Conflicts_MissingUser_AndNonHosts_AreRefused(string text, string? user, int? port, string errorId)
    {
        var error = Assert.Throws<SecureConnectException>(() => BastionText.Parse(text, user, port));
        Assert.Equal(errorId, error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
    }

    [Theory]
    [InlineData(SslMode.Required, null, SslMode.VerifyCA, true)]
    [InlineData(null, SslMode.Required, SslMode.VerifyCA, true)]
    [InlineData(null, null, SslMode.Required, true)]
    [InlineData(SslMode.VerifyCA, null, SslMode.VerifyCA, false)]
    [InlineData(null, SslMode.VerifyFull, SslMode.VerifyCA, false)]
    [InlineData(SslMode.Preferred, null, null, false)]
    public void BelowMinimum_WarnsOnlyBelowTheFloor(SslMode? own, SslMode? workspaceDefault, SslMode? minimum, bool warns)
    {
        var record = new IntegrationRecord { Name = "My db", Type = IntegrationType.PostgreSQL, HostName = "db", Port = 5432, SslMode = own };
        string? warning = IntegrationEdits.BelowMinimumWarning(record, new SslPolicyLevels(workspaceDefault, minimum));
        Assert.Equal(warns, warning is not null);
        if (warning is not null)
        {
            Assert.Contains($"below the workspace minimum {minimum}", warning, System.StringComparison.Ordinal);
            Assert.EndsWith($"Set-SslPolicy -Integration 'My db' -Mode {minimum}", warning, System.StringComparison.Ordinal);
        }
    }

    [Fact]
    public void BelowMinimum_NeverForASavedTunnel()
    {
        var record = new IntegrationRecord { Name = "api", Type = IntegrationType.SshTunnel, HostName = "api", Port = 80 };
        Assert.Null(IntegrationEdits.BelowMinimumWarning(record, new SslPolicyLevels(null, SslMode.VerifyFull)));
    }

    [Fact]
    public void CredentialSecret_SetClearOrConflict()
    {
        var record = new IntegrationRecord { Name = "shop", Type = IntegrationType.MySQL, HostName = "db", Port = 3306 };
        IntegrationEdits.ApplyCredentialSecret(record, "shop-reader", clear: false);
        Assert.Equal("shop-reader", record.CredentialSecret);
        IntegrationEdits.ApplyCredentialSecret(record, null, clear: false);
        Assert.Equal("shop-reader", record.CredentialSecret);
        Assert.Equal(ErrorIds.ParameterConflict, Assert.Throws<SecureConnectException>(() => IntegrationEdits.ApplyCredentialSecret(record, "x", clear: true)).ErrorId);
        Assert.Equal("shop-reader", record.CredentialSecret);
        IntegrationEdits.ApplyCredentialSecret(record, null, clear: true);
        Assert.Null(record.CredentialSecret);
    }
}
