using System;
using System.IO;
using System.Net;
using SecureConnect.Common;
using SecureConnect.Egress;
using SecureConnect.Integrations;
using SecureConnect.Workspace;
using Xunit;

namespace SecureConnect.Tests.Workspace;

/// <summary>workspace.json as a person may have edited it: what reads as what, and what is refused.</summary>
public sealed class WorkspaceSettingsTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sc-xunit-" + Guid.NewGuid().ToString("N"));
    private readonly WorkspaceStore _store;

    public WorkspaceSettingsTests()
    {
        _store = new WorkspaceStore(new WorkspacePaths(_root), TimeSpan.FromSeconds(5));
        _store.EnsureCreated();
    }

    public void Dispose()
    {
        if (File.Exists(_root))
        {
            File.Delete(_root);
        }

        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private IntegrationStore Integrations => new(_store);

    private void WriteSettings(string json) => File.WriteAllText(_store.Paths.SettingsFile, json);

    private SecureConnectException AssertCorrupt(Action action, string jsonPath, string found)
    {
        var error = Assert.Throws<SecureConnectException>(action);
        Assert.Equal("WorkspaceCorrupt", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, error.Kind);
        Assert.Contains(_store.Paths.SettingsFile, error.Message, StringComparison.Ordinal);
        Assert.Contains(jsonPath, error.Message, StringComparison.Ordinal);
        Assert.Contains(found, error.Message, StringComparison.Ordinal);
        return error;
    }

    private static IntegrationRecord NewRecord(string name) => new() { Name = name, Type = IntegrationType.PostgreSQL, HostName = "db.example.test", Port = 5432 };

    /// <summary>Every change a cmdlet can make, each of which must leave a corrupt or newer file exactly as it was.</summary>
    private void AssertNoChangeWrites(string content)
    {
        Assert.Throws<SecureConnectException>(() => Integrations.Add(NewRecord("added")));
        Assert.Throws<SecureConnectException>(() => Integrations.UpdatePolicy(l => l with { Minimum = SslMode.Required }));
        Assert.Throws<SecureConnectException>(() => new EgressStore(_store).Add(new[] { IpNet.Parse("203.0.113.7") }, null));
        Assert.Equal(content, File.ReadAllText(_store.Paths.SettingsFile));
    }

    [Theory]
    [InlineData("\"Strict\"", SslMode.VerifyFull)]
    [InlineData("\"strict\"", SslMode.VerifyFull)]
    [InlineData("\"VerifyFull\"", SslMode.VerifyFull)]
    [InlineData("\"verifyca\"", SslMode.VerifyCA)]
    [InlineData("\"Required\"", SslMode.Required)]
    public void PolicyLevels_ReadTheNamesAndTheStrictAlias(string json, SslMode expected)
    {
        WriteSettings($"{{ \"version\": 1, \"sslPolicy\": {{ \"default\": {json}, \"minimum\": {json} }} }}");
        SslPolicyLevels levels = Integrations.Policy();
        Assert.Equal(expected, levels.Minimum);
        Assert.Equal(expected, levels.Default);
    }

    [Theory]
    [InlineData("\"VerifyFul\"")]
    [InlineData("3")]
    [InlineData("\"3\"")]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("true")]
    [InlineData("\"\"")]
    [InlineData("\"Preferred, VerifyFull\"")]
    public void PolicyMinimum_Unreadable_IsCorrupt_NeverNoMinimum(string json)
    {
        string content = $"{{ \"version\": 1, \"sslPolicy\": {{ \"minimum\": {json} }} }}";
        WriteSettings(content);
        AssertCorrupt(() => Integrations.Policy(), "$.sslPolicy.minimum", json);
        AssertNoChangeWrites(content);
    }

    [Theory]
    [InlineData("\"VerifyFul\"")]
    [InlineData("0")]
    [InlineData("{}")]
    public void PolicyDefault_Unreadable_IsCorrupt(string json)
    {
        WriteSettings($"{{ \"version\": 1, \"sslPolicy\": {{ \"default\": {json} }} }}");
        AssertCorrupt(() => Integrations.Policy(), "$.sslPolicy.default", json);
    }

    [Theory]
    [InlineData("\"VerifyFull\"")]
    [InlineData("[]")]
    [InlineData("5")]
    public void PolicyThatIsNotAnObject_IsCorrupt(string json)
    {
        string content = $"{{ \"version\": 1, \"sslPolicy\": {json} }}";
        WriteSettings(content);
        AssertCorrupt(() => Integrations.Policy(), "$.sslPolicy", json);
        AssertNoChangeWrites(content);
    }

    [Fact]
    public void PolicyLevels_NullOrMissing_AreNotSet()
    {
        WriteSettings("{ \"version\": 1, \"sslPolicy\": { \"minimum\": null } }");
        Assert.Equal(new SslPolicyLevels(null, null), Integrations.Policy());
    }

    [Fact]
    public void IntegrationMode_StrictReadsAsVerifyFull()
    {
        WriteSettings("{ \"version\": 1, \"integrations\": { \"db\": { \"type\": \"PostgreSQL\", \"hostName\": \"h\", \"port\": 5432, \"sslMode\": \"Strict\" } } }");
        Assert.Equal(SslMode.VerifyFull, Integrations.Get("db").SslMode);

        // Written back under its real name.
        Integrations.Update("db", r => r.Port = 5433);
        Assert.Contains("\"sslMode\": \"VerifyFull\"", File.ReadAllText(_store.Paths.SettingsFile), StringComparison.Ordinal);
        Assert.Equal(SslMode.VerifyFull, Integrations.Get("db").SslMode);
    }

    [Theory]
    [InlineData("\"VerifyFul\"")]
    [InlineData("3")]
    [InlineData("99")]
    [InlineData("{}")]
    public void IntegrationMode_Unreadable_IsCorrupt(string json)
    {
        string content = $"{{ \"version\": 1, \"integrations\": {{ \"db\": {{ \"type\": \"PostgreSQL\", \"hostName\": \"h\", \"port\": 5432, \"sslMode\": {json} }} }} }}";
        WriteSettings(content);
        AssertCorrupt(() => Integrations.Get("db"), "$.integrations.db.sslMode", json);
        AssertCorrupt(() => Integrations.All(), "$.integrations.db.sslMode", json);
        AssertNoChangeWrites(content);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("5")]
    [InlineData("\"db\"")]
    public void IntegrationsThatAreNotAnObject_AreCorrupt_AndNeverOverwritten(string json)
    {
        string content = $"{{\n  \"version\": 1,\n  \"integrations\": {json}\n}}\n";
        WriteSettings(content);
        AssertCorrupt(() => Integrations.All(), "$.integrations", json);
        AssertNoChangeWrites(content);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"x\"")]
    public void AnIntegrationThatIsNotAnObject_IsCorrupt(string json)
    {
        string content = $"{{ \"version\": 1, \"integrations\": {{ \"db\": {json} }} }}";
        WriteSettings(content);
        AssertCorrupt(() => Integrations.All(), "$.integrations.db", json);
        AssertNoChangeWrites(content);
    }

    [Fact]
    public void AnIntegrationNameThatIsNotValid_IsCorrupt()
    {
        // The name becomes a file name in ca/ (name.pem): a path in it must never be followed.
        string content = "{ \"version\": 1, \"integrations\": { \"../../x\": { \"type\": \"PostgreSQL\", \"hostName\": \"h\", \"port\": 5432 } } }";
        WriteSettings(content);
        AssertCorrupt(() => Integrations.All(), "$.integrations", "../../x");
    }

    [Theory]
    [InlineData("../../etc/ssl/x.pem")]
    [InlineData("../x.pem")]
    [InlineData("/etc/ssl/certs/x.pem")]
    [InlineData("sub/../../x.pem")]
    [InlineData("")]
    [InlineData(".")]
    public void CaCertificateFile_OutsideTheCaFolder_IsCorrupt_AndNeverFollowed(string value)
    {
        string outside = Path.Combine(_root, "x.pem");
        File.WriteAllText(outside, "not to be touched");
        string escaped = value.Replace("\\", "\\\\", StringComparison.Ordinal);
        string content = $"{{ \"version\": 1, \"integrations\": {{ \"db\": {{ \"type\": \"PostgreSQL\", \"hostName\": \"h\", \"port\": 5432, \"caCertificateFile\": \"{escaped}\" }} }} }}";
        WriteSettings(content);

        AssertCorrupt(() => Integrations.Get("db"), "$.integrations.db.caCertificateFile", value);
        AssertCorrupt(() => Integrations.Remove("db"), "$.integrations.db.caCertificateFile", value);
        Assert.True(File.Exists(outside));
        Assert.Equal(content, File.ReadAllText(_store.Paths.SettingsFile));
    }

    [Theory]
    [InlineData("db.pem", "db.pem")]
    [InlineData("sub/db.pem", "sub/db.pem")]
    public void CaCertificateFile_InsideTheCaFolder_ResolvesThere(string value, string relative)
    {
        WriteSettings($"{{ \"version\": 1, \"integrations\": {{ \"db\": {{ \"type\": \"PostgreSQL\", \"hostName\": \"h\", \"port\": 5432, \"caCertificateFile\": \"{value}\" }} }} }}");
        IntegrationStore integrations = Integrations;
        Assert.Equal(Path.GetFullPath(Path.Combine(_store.Paths.CaDirectory, relative)), integrations.CaPath(integrations.Get("db")));
    }

    [Fact]
    public void CaCertificateFile_AbsoluteInsideTheCaFolder_IsAccepted()
    {
        string inside = Path.Combine(_store.Paths.CaDirectory, "db.pem");
        WriteSettings($"{{ \"version\": 1, \"integrations\": {{ \"db\": {{ \"type\": \"PostgreSQL\", \"hostName\": \"h\", \"port\": 5432, \"caCertificateFile\": \"{inside.Replace("\\", "\\\\", StringComparison.Ordinal)}\" }} }} }}");
        IntegrationStore integrations = Integrations;
        Assert.Equal(inside, integrations.CaPath(integrations.Get("db")));
    }

    [Fact]
    public void NewerFormatVersion_IsRefused_AndTheFileNeverWritten()
    {
        string content = "{ \"version\": 99, \"integrations\": {}, \"future\": { \"x\": 1 } }";
        WriteSettings(content);
        var error = Assert.Throws<SecureConnectException>(() => _store.ReadSettings());
        Assert.Equal("WorkspaceVersionUnsupported", error.ErrorId);
        Assert.Contains(_store.Paths.SettingsFile, error.Message, StringComparison.Ordinal);
        Assert.Contains("version 99", error.Message, StringComparison.Ordinal);
        Assert.Contains("version 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("Update", error.Message, StringComparison.Ordinal);

        var update = Assert.Throws<SecureConnectException>(() => _store.UpdateSettings(s => s["x"] = 1));
        Assert.Equal("WorkspaceVersionUnsupported", update.ErrorId);
        AssertNoChangeWrites(content);
    }

    [Theory]
    [InlineData("\"1\"")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("{}")]
    public void UnreadableFormatVersion_IsCorrupt(string json)
    {
        string content = $"{{ \"version\": {json} }}";
        WriteSettings(content);
        AssertCorrupt(() => _store.ReadSettings(), "$.version", json);
        AssertNoChangeWrites(content);
    }

    [Fact]
    public void SettingsFileThatCannotBeReplaced_IsWorkspaceNotWritable_NamingIt()
    {
        // As root, permissions cannot be taken away: a folder where the file should be makes the rename fail.
        Directory.CreateDirectory(_store.Paths.SettingsFile);
        var error = Assert.Throws<SecureConnectException>(() => _store.UpdateSettings(s => s["x"] = 1));
        Assert.Equal("WorkspaceNotWritable", error.ErrorId);
        Assert.Contains(_store.Paths.SettingsFile, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_root, ".workspace.json.*"));
    }

    [Fact]
    public void LockFileThatCannotBeOpened_IsWorkspaceNotWritable_NamingIt()
    {
        Directory.CreateDirectory(_store.Paths.LockFile);
        var error = Assert.Throws<SecureConnectException>(() => _store.WithLock(() => { }));
        Assert.Equal("WorkspaceNotWritable", error.ErrorId);
        Assert.Contains(_store.Paths.LockFile, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WorkspaceUnderAFile_IsWorkspaceNotWritable()
    {
        Directory.Delete(_root, recursive: true);
        File.WriteAllText(_root, "a file where the workspace's parent should be");
        var store = new WorkspaceStore(new WorkspacePaths(Path.Combine(_root, "ws")));
        var error = Assert.Throws<SecureConnectException>(() => store.UpdateSettings(s => s["x"] = 1));
        Assert.Equal("WorkspaceNotWritable", error.ErrorId);
        Assert.Contains(Path.Combine(_root, "ws"), error.Message, StringComparison.Ordinal);
    }
}
