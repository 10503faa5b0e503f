using System;
using System.IO;
using System.Net;
using System.Text;
using SecureConnect.Common;
using SecureConnect.Egress;
using SecureConnect.Integrations;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Ssh.Tunnels;
using SecureConnect.Workspace;
using Xunit;

namespace SecureConnect.Tests.BadInput;

/// <summary>
/// Bad input at the service level (issue 16): the values a user or an editor can produce are refused with their id
/// before anything is stored, and a settings file that does not read is never rewritten.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private const string GoodSettings = """
        {
          "version": 1,
          "integrations": { "a": { "type": "PostgreSQL", "hostName": "db.example", "port": 5432 } },
          "egress": [ { "cidr": "192.0.2.1/32" } ]
        }
        """;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "sc-xunit-bad-" + Guid.NewGuid().ToString("N"));
    private readonly WorkspaceStore _store;

    public BadInputTests()
    {
        _store = new WorkspaceStore(new WorkspacePaths(_root), TimeSpan.FromSeconds(5));
        _store.EnsureCreated();
    }

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    public static TheoryData<string> ControlNames => new() { "a\0b", "\0", "a\nb", "a\rb", "a\u001b[31mb", "a\u007fb", "a\u0085b" };

    public static TheoryData<string> NotHostNames => new() { "../x", "a/b", "a\\b", "a\0b", "\0", "a\nb", "a\u001bb" };

    [Theory]
    [MemberData(nameof(NotHostNames))]
    public void HostName_WithAPathSeparatorOrControlCharacter_IsInvalidHostName(string name)
    {
        // A NUL is default(char): it once passed as "no bad character found".
        var error = Assert.Throws<SecureConnectException>(() => IntegrationEdits.CheckHostName(name));
        Assert.Equal(ErrorIds.InvalidHostName, error.ErrorId);
        Assert.DoesNotContain('\0', error.Message);
        Assert.DoesNotContain('\u001b', error.Message);
    }

    [Theory]
    [MemberData(nameof(NotHostNames))]
    public void JumpHost_WithAHostThatIsNoHostName_IsInvalidJumpHost(string name)
    {
        var error = Assert.Throws<SecureConnectException>(() => JumpHostParser.Parse("u@" + name + ":22", "u"));
        Assert.Equal(ErrorIds.InvalidJumpHost, error.ErrorId);
    }

    [Theory]
    [MemberData(nameof(ControlNames))]
    public void JumpHost_WithAControlCharacterInTheUser_IsInvalidJumpHost(string name)
    {
        var error = Assert.Throws<SecureConnectException>(() => JumpHostParser.Parse("u" + name + "@jump.example", "u"));
        Assert.Equal(ErrorIds.InvalidJumpHost, error.ErrorId);
    }

    [Theory]
    [MemberData(nameof(ControlNames))]
    public void UserAndDatabaseNames_WithAControlCharacter_AreInvalidName(string name)
    {
        var error = Assert.Throws<SecureConnectException>(() => InputText.CheckName("user" + name, "SshUser"));
        Assert.Equal(ErrorIds.InvalidName, error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Equal(-1, InputText.IndexOfControl(error.Message));
        Assert.Throws<SecureConnectException>(() => BastionText.Parse("bastion.example", "u" + name, null));
    }

    [Fact]
    public void Names_InPrintableText_AreAccepted()
    {
        InputText.CheckName("report_user", "SshUser");
        InputText.CheckName("Ünïcode db", "Database");
        InputText.CheckName(null, "Database");
        Assert.Equal("db.example", JumpHostParser.Parse("u@db.example:2222", "u").HostName);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    public void KnownHostName_WithAPathSeparator_IsNotWritten(string name)
    {
        KnownHostsFile file = KnownHostsFile.Empty(Path.Combine(_root, "known_hosts"));
        byte[] blob = Convert.FromBase64String("AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl");
        var error = Assert.Throws<SecureConnectException>(() => file.Add(name, 22, "ssh-ed25519", blob));
        Assert.Equal(ErrorIds.InvalidHostName, error.ErrorId);
        Assert.False(file.IsModified);
    }

    [Theory]
    [InlineData("\"port\": 70000", "$.integrations.a.port")]
    [InlineData("\"port\": 0", "$.integrations.a.port")]
    [InlineData("\"port\": -1", "$.integrations.a.port")]
    [InlineData("\"port\": 5432, \"sshBastionPort\": 0", "$.integrations.a.sshBastionPort")]
    [InlineData("\"port\": 5432, \"SshBastionPort\": 65536", "$.integrations.a.SshBastionPort")]
    public void Settings_WithAPortOutOfRange_AreCorrupt_AndNeverRewritten(string port, string jsonPath)
    {
        string content = GoodSettings.Replace("\"port\": 5432", port, StringComparison.Ordinal);
        File.WriteAllText(_store.Paths.SettingsFile, content);
        var error = Assert.Throws<SecureConnectException>(() => new IntegrationStore(_store).All());
        Assert.Equal(ErrorIds.WorkspaceCorrupt, error.ErrorId);
        Assert.Contains(jsonPath, error.Message, StringComparison.Ordinal);
        Assert.Throws<SecureConnectException>(() => new IntegrationStore(_store).UpdatePolicy(l => l with { Minimum = SslMode.Required }));
        Assert.Equal(content, File.ReadAllText(_store.Paths.SettingsFile));
    }

    [Theory]
    [InlineData("\"egress\": { \"cidr\": \"192.0.2.1/32\" }", "$.egress")]
    [InlineData("\"egress\": [ { \"cidr\": 3221225985 } ]", "$.egress[0]")]
    [InlineData("\"egress\": [ { \"cidr\": \"192.0.2.300\" } ]", "$.egress[0].cidr")]
    [InlineData("\"egress\": [ { \"cidr\": \"192.0.2.1\", \"description\": [1] } ]", "$.egress[0].description")]
    public void Settings_WithAnEgressSectionThatDoesNotRead_StopEveryWriter_NotOnlyTheEgressOnes(string egress, string jsonPath)
    {
        // Before: an integration change rewrote the file around the corrupt section.
        string content = GoodSettings.Replace("\"egress\": [ { \"cidr\": \"192.0.2.1/32\" } ]", egress, StringComparison.Ordinal);
        File.WriteAllText(_store.Paths.SettingsFile, content);
        var error = Assert.Throws<SecureConnectException>(() => new IntegrationStore(_store).Add(new IntegrationRecord { Name = "b", Type = IntegrationType.PostgreSQL, HostName = "db2.example", Port = 5432 }));
        Assert.Equal(ErrorIds.WorkspaceCorrupt, error.ErrorId);
        Assert.Contains(jsonPath, error.Message, StringComparison.Ordinal);
        Assert.Throws<SecureConnectException>(() => new IntegrationStore(_store).UpdatePolicy(l => l with { Minimum = SslMode.Required }));
        Assert.Equal(content, File.ReadAllText(_store.Paths.SettingsFile));
    }

    [Fact]
    public void Settings_WithAByteOrderMark_ReadAsTheSameSettings()
    {
        File.WriteAllText(_store.Paths.SettingsFile, GoodSettings, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(0xEF, File.ReadAllBytes(_store.Paths.SettingsFile)[0]);
        IntegrationRecord record = Assert.Single(new IntegrationStore(_store).All());
        Assert.Equal("db.example", record.HostName);
        Assert.Equal(IPAddress.Parse("192.0.2.1").ToString(), Assert.Single(new EgressStore(_store).Configured()).Address);
    }
}
