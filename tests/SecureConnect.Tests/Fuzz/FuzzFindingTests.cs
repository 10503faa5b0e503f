using System;
using System.IO;
using System.Linq;
using System.Text;
using SecureConnect.Common;
using SecureConnect.Integrations;
using SecureConnect.Sql;
using SecureConnect.Sql.ClickHouse;
using SecureConnect.Sql.Http;
using SecureConnect.Sql.Trino;
using SecureConnect.Ssh.Keys;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Workspace;
using Xunit;

namespace SecureConnect.Tests.Fuzz;

/// <summary>
/// What each defect the fuzzer found now does, asserted by id and content (the fuzz test only asserts that the kept
/// input no longer escapes as a raw exception).
/// </summary>
public sealed class FuzzFindingTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "secureconnect-fuzzfinding-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Theory]
    [InlineData("{\"version\":1,\"version\":1}", "$.version")]
    [InlineData("{\"integrations\":{\"a\":{\"type\":\"PostgreSQL\",\"port\":1,\"port\":2}}}", "$.integrations.a.port")]
    [InlineData("{\"egress\":[{\"cidr\":\"10.0.0.0/8\"},{\"cidr\":\"1.2.3.4\",\"cidr\":\"0.0.0.0/0\"}]}", "$.egress[].cidr")]
    public void Workspace_AMemberGivenTwice_IsWorkspaceCorrupt_AndTheFileIsLeftAsItIs(string json, string member)
    {
        var store = NewStore(Encoding.UTF8.GetBytes(json));

        var error = Assert.Throws<SecureConnectException>(() => store.ReadSettings());

        Assert.Equal(ErrorIds.WorkspaceCorrupt, error.ErrorId);
        Assert.Contains(member + " twice", error.Message, StringComparison.Ordinal);
        Assert.Equal(json, File.ReadAllText(store.Paths.SettingsFile));
    }

    [Fact]
    public void Workspace_InvalidUtf8_IsWorkspaceCorrupt()
    {
        byte[] bytes = FuzzHarness.Load("regressions", "workspace_json").Single(r => r.Name == "invalid-utf8-name.json").Data;
        var store = NewStore(bytes);

        var error = Assert.Throws<SecureConnectException>(() => new IntegrationStore(store).All());

        Assert.Equal(ErrorIds.WorkspaceCorrupt, error.ErrorId);
        Assert.Contains("not UTF-8", error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(store.Paths.SettingsFile));
    }

    [Fact]
    public void Workspace_TheSameNameInTwoObjects_IsNotADuplicate()
    {
        var store = NewStore(Encoding.UTF8.GetBytes("{\"sslPolicy\":{\"default\":\"Required\"},\"integrations\":{\"a\":{\"type\":\"PostgreSQL\",\"hostName\":\"h\",\"port\":5432,\"options\":{\"default\":\"x\"}}}}"));

        Assert.Equal(SslMode.Required, new IntegrationStore(store).Policy().Default);
    }

    [Theory]
    [InlineData("caCertificateFile")]
    [InlineData("crlFile")]
    public void Workspace_ACaFileNameNoFileCanHave_IsWorkspaceCorrupt(string member)
    {
        var store = NewStore(Encoding.UTF8.GetBytes("{\"integrations\":{\"a\":{\"type\":\"PostgreSQL\",\"hostName\":\"h\",\"port\":5432,\"" + member + "\":\"a\\u0000.pem\"}}}"));

        var error = Assert.Throws<SecureConnectException>(() => new IntegrationStore(store).All());

        Assert.Equal(ErrorIds.WorkspaceCorrupt, error.ErrorId);
        Assert.Contains("$.integrations.a." + member, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Code: 62. DB::Exception: Syntax error. (SYNTAX_ERROR) (version 23.8.1.1)\n", "Syntax error. (SYNTAX_ERROR) (version 23.8.1.1)")]
    [InlineData("Code: 516, e.displayText() = DB::Exception: default: Authentication failed, e.what() = DB::Exception\n", "default: Authentication failed")]
    [InlineData("<html>502</html>", "<html>502</html>")]
    public void ClickHouse_ErrorMessages_LoseOnlyTheirWrapping(string body, string message) => Assert.Equal(message, ClickHouseErrors.Clean(body));

    [Fact]
    public void ClickHouse_AMessageWithALongRunOfSpaces_IsCleaned()
    {
        // The regex took quadratic time on this shape; 256 KiB is what an appended exception may hold.
        string body = "Code: 1. DB::Exception: a" + new string(' ', TsvBodyReader.ExceptionWindow) + "b, e.what() = DB::Exception  \n";

        Assert.Equal("a" + new string(' ', TsvBodyReader.ExceptionWindow) + "b", ClickHouseErrors.Clean(body));
    }

    [Theory]
    [InlineData("x\nNullable\n1\n")]
    [InlineData("x\nArray(UInt8, UInt8)\n[]\n")]
    [InlineData("deep")]
    public void ClickHouse_HeaderTypesThatAreNotOne_AreFormatErrors(string body)
    {
        if (body == "deep")
        {
            int depth = ClickHouseTypes.MaxDepth + 1;
            body = "x\n" + string.Concat(Enumerable.Repeat("Array(", depth)) + "UInt8" + new string(')', depth) + "\n[]\n";
        }

        var error = Assert.Throws<ClickHouseFormatException>(() => new ClickHouseDataReader(new MemoryStream(Encoding.UTF8.GetBytes(body)), null, null));
        Assert.Contains("header's types", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClickHouse_TypesAsDeepAsTheLimit_AreRead()
    {
        int depth = ClickHouseTypes.MaxDepth - 1;
        Type clr = ClickHouseTypes.For(string.Concat(Enumerable.Repeat("Array(", depth)) + "UInt8" + new string(')', depth), null).ClrType;
        int rank = 0;
        while (clr.IsArray)
        {
            clr = clr.GetElementType()!;
            rank++;
        }

        Assert.Equal((typeof(byte), depth), (clr, rank));
    }

    [Fact]
    public void Trino_TypeTextsBeyondTheLimits_AreFormatErrors()
    {
        int depth = TrinoType.MaxDepth + 1;
        Assert.Throws<FormatException>(() => TrinoType.Parse(string.Concat(Enumerable.Repeat("array(", depth)) + "bigint" + new string(')', depth)));
        Assert.Throws<FormatException>(() => TrinoType.Parse("row(a " + string.Concat(Enumerable.Repeat("row(a ", depth)) + "bigint" + new string(')', depth + 1)));
        Assert.Throws<FormatException>(() => TrinoType.Parse("decimal(99999999999,2)"));
        Assert.Equal("array", TrinoType.Parse(string.Concat(Enumerable.Repeat("array(", TrinoType.MaxDepth - 1)) + "bigint" + new string(')', TrinoType.MaxDepth - 1)).Name);
    }

    [Fact]
    public void Trino_ANextUriWithAnInvalidIdnHost_IsAProtocolError()
    {
        string pages = Encoding.UTF8.GetString(FuzzHarness.Load("regressions", "trino_json").Single(r => r.Name == "nexturi-invalid-idn-host.txt").Data);
        var observer = new TlsObserver(SslMode.Preferred, "trino.internal", null);
        using var transport = new TrinoTransport("trino.internal", new HttpRoute("127.0.0.1", 40000, Tls: false, 8080, "Direct"), null, observer, TimeSpan.FromSeconds(1));
        var query = new TrinoQuery(transport);

        var error = Assert.Throws<TrinoProtocolException>(() =>
        {
            foreach (string page in pages.Split("\n---\n"))
            {
                query.ReadPage(new MemoryStream(Encoding.UTF8.GetBytes(page)));
            }
        });
        Assert.Contains("host is not a valid name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Trino_AnUpdateCountThatIsNotAWholeNumber_IsAProtocolError()
    {
        var observer = new TlsObserver(SslMode.Preferred, "trino.internal", null);
        using var transport = new TrinoTransport("trino.internal", new HttpRoute("127.0.0.1", 40000, Tls: false, 8080, "Direct"), null, observer, TimeSpan.FromSeconds(1));

        var error = Assert.Throws<TrinoProtocolException>(() => new TrinoQuery(transport).ReadPage(new MemoryStream(Encoding.UTF8.GetBytes("{\"id\":\"q\",\"updateCount\":1.5,\"stats\":{\"state\":\"FINISHED\"}}"))));
        Assert.Contains("updateCount 1.5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PrivateKey_AskingForMoreBcryptRoundsThanTheLimit_IsKeyFormatUnsupported_BeforeAnyDerivation()
    {
        string text = Encoding.UTF8.GetString(FuzzHarness.Load("regressions", "private_key").Single(r => r.Name == "bcrypt-8388608-rounds.key").Data);

        var error = Assert.Throws<SshKeyException>(() => OpenSshPrivateKeyFormat.Read(text, Encoding.UTF8.GetBytes("fuzz")));

        Assert.Equal(ErrorIds.KeyFormatUnsupported, error.ErrorId);
        Assert.Contains("8388608 bcrypt_pbkdf rounds", error.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorIds.KeyFormatUnsupported, Assert.Throws<SshKeyException>(() => OpenSshPrivateKeyFormat.IsEncrypted(text)).ErrorId);
    }

    [Theory]
    [InlineData(IntegrationType.PostgreSQL, "npgsql-key-not-found.txt")]
    [InlineData(IntegrationType.SqlServer, "sqlclient-number-overflow.txt")]
    [InlineData(IntegrationType.MongoDB, "long-mongodb-uri.txt")]
    public void ConnectionStrings_TheDriversRejectOddly_AreInvalidConnectionString(IntegrationType type, string regression)
    {
        string text = Encoding.UTF8.GetString(FuzzHarness.Load("regressions", "connection_string").Single(r => r.Name == regression).Data);

        var error = Assert.Throws<SecureConnectException>(() => ConnectionPlans.ForAdHoc(new AdHocRequest(type, null, 0, null, text, null, null, null, null), new SslPolicyLevels(null, null)));

        Assert.Equal(ErrorIds.InvalidConnectionString, error.ErrorId);
    }

    [Fact]
    public void KnownHosts_ALineEndingInSeveralCarriageReturns_ReadsTheSameAfterItIsWritten()
    {
        KnownHostsFile file = KnownHostsFile.Parse("# one\r\r\r\nbad line\r\r\n", "/k");
        string rendered = file.Render();

        Assert.Equal("# one\nbad line\n", rendered);
        Assert.Equal(rendered, KnownHostsFile.Parse(rendered, "/k").Render());
    }

    private WorkspaceStore NewStore(byte[] settings)
    {
        Directory.CreateDirectory(_root);
        var paths = new WorkspacePaths(_root);
        File.WriteAllBytes(paths.SettingsFile, settings);
        return new WorkspaceStore(paths, TimeSpan.FromSeconds(5));
    }
}
