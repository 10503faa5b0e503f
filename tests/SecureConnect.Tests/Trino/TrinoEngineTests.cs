using System;
using System.Collections;
using System.Collections.Generic;
using System.Data;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Common;
using SecureConnect.Integrations;
using SecureConnect.Sql;
using SecureConnect.Sql.Trino;
using SecureConnect.Tests.ClickHouse;
using Xunit;
using ScSslMode = SecureConnect.SslMode;

namespace SecureConnect.Tests.Trino;

/// <summary>
/// The Trino engine against the Trino coordinator test double run in-process: the real host name in SNI, Host and
/// every nextUri while the socket goes to 127.0.0.1, the session headers, pages followed to FINISHED, retries of 503,
/// a nextUri to another host refused, Trino's errors, results that end incomplete, a cut connection, the DELETE of an
/// early stop, HTTP Basic only over HTTPS, Preferred's fallback, and -Parameters as a prepared statement.
/// </summary>
public sealed class TrinoEngineTests
{
    private const string RealName = "trino.example.internal";

    private static readonly (X509Certificate2 Ca, X509Certificate2 Server) s_chain = ClickHouseHttpDouble.MakeServerChain("Trino double CA", RealName);
    private static readonly (X509Certificate2 Ca, X509Certificate2 Server) s_rogue = ClickHouseHttpDouble.MakeServerChain("Rogue CA", RealName);
    private static readonly NetworkCredential s_login = new("reporter", "s3cret");

    [Fact]
    public async Task ThroughATunnelsEnd_SniHostAndNextUriNameTheRealHost_AndTheSessionHeadersArrive()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server, user: "reporter", password: "s3cret");
        var options = new Hashtable { ["Source"] = "runbook", ["TimeZone"] = "Europe/Paris", ["SessionProperties"] = "query_max_run_time=10m, join_distribution_type=BROADCAST", ["ClientTags"] = "a, b" };
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca, s_login, options: options);
        List<object?[]> rows = Run(session, "SELECT * FROM people");

        Assert.Equal(5, rows.Count);
        Assert.Equal(1, rows[0][0]);
        Assert.Equal("Ada Lovelace", rows[0][1]);
        Assert.Equal(98.50m, rows[0][3]);
        Assert.Equal(new DateTimeOffset(2024, 1, 15, 9, 30, 0, TimeSpan.Zero), rows[0][4]);
        Assert.Null(rows[2][5]);
        Assert.Equal("Zoë Müller", rows[3][1]);
        Assert.Equal(RealName, server.Stats.LastServerName);
        Assert.Equal($"{RealName}:8443", server.Stats.LastHost);
        Dictionary<string, string> headers = server.Stats.LastStatementHeaders!;
        Assert.Equal("reporter", headers["X-Trino-User"]);
        Assert.Equal("hive", headers["X-Trino-Catalog"]);
        Assert.Equal("sales", headers["X-Trino-Schema"]);
        Assert.Equal("runbook", headers["X-Trino-Source"]);
        Assert.Equal("Europe/Paris", headers["X-Trino-Time-Zone"]);
        Assert.Equal("a,b", headers["X-Trino-Client-Tags"]);
        Assert.Equal("query_max_run_time=10m,join_distribution_type=BROADCAST", headers["X-Trino-Session"]);
        Assert.Equal("Basic (redacted)", headers["Authorization"]);
        Assert.True(session.Observer.HostNameVerified);
        Assert.Equal(0, server.Stats.Cancels);
        Assert.Equal(0, server.Coordinator.Stats.Unauthorized);
    }

    [Fact]
    public async Task DescribeSession_ReportsTheClientSideTls_AndTheVersionFromV1Info()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server);
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyCA, s_chain.Ca, null);
        ServerSessionInfo info = session.DescribeSession(CancellationToken.None);

        Assert.True(info.Encrypted);
        Assert.StartsWith("TLSv1.", info.TlsProtocol, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(info.CipherSuite));
        Assert.Equal("470-double", info.ServerVersion);
        Assert.Null(info.ClientAddress);
        Assert.False(session.Capabilities.HasFlag(EngineCapabilities.ServerReportsEncryption));
        Assert.Equal(0, server.Stats.Statements);
    }

    [Fact]
    public async Task PagesAreFollowedToFinished_InOrder()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server, numbers: 2500);
        using IEngineSession session = Open(server.Port, ScSslMode.Required, null, null);
        List<object?[]> rows = Run(session, "select *  from NUMBERS;");

        Assert.Equal(Enumerable.Range(0, 2500).Select(i => (object?)(long)i), rows.Select(r => r[0]));
        Assert.Equal(0, server.Stats.Cancels);
        Assert.Equal(5, server.Stats.Pages);
    }

    [Fact]
    public async Task EveryType_IsTyped_AndNullIsNull()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server);
        using IEngineSession session = Open(server.Port, ScSslMode.Required, null, null);
        var output = new Collected();
        session.Execute(new QueryRequest("SELECT * FROM types", null, ResultShape.Rows, null), output, CancellationToken.None);
        Dictionary<string, object?> row = output.Names.Zip(output.Rows[0]).ToDictionary(p => p.First, p => p.Second);

        Assert.Equal(1234567890123L, row["c_bigint"]);
        Assert.Equal(int.MinValue, row["c_integer"]);
        Assert.Equal((short)32767, row["c_smallint"]);
        Assert.Equal((sbyte)-128, row["c_tinyint"]);
        Assert.Equal(Math.PI, row["c_double"]);
        Assert.True(double.IsNaN((double)row["c_double_nan"]!));
        Assert.Equal(1.5f, row["c_real"]);
        Assert.Equal(123456789.123m, row["c_decimal"]);
        Assert.Equal("12345678901234567890123456789012345678", row["c_decimal_wide"]);
        Assert.Equal("Zoë Müller ✓ 'quoted' \"dq\"", row["c_varchar"]);
        Assert.Equal("ab   ", row["c_char"]);
        Assert.Equal(true, row["c_boolean"]);
        Assert.Equal(new DateTime(2024, 2, 29), row["c_date"]);
        Assert.Equal("13:45:30.123", row["c_time"]);
        Assert.Equal(new DateTime(2024, 1, 15, 9, 30, 0).AddTicks(1234560), row["c_timestamp"]);
        Assert.Equal(new DateTimeOffset(2024, 1, 15, 9, 30, 0, TimeSpan.FromHours(1)), row["c_timestamp_tz"]);
        Assert.Equal(TimeSpan.FromHours(1), ((DateTimeOffset)row["c_timestamp_tz"]!).Offset);
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 12, 0, 0, new TimeSpan(5, 30, 0)), row["c_timestamp_offset"]);
        Assert.Equal("P2DT3H4M5.678S", row["c_interval"]);
        Assert.Equal(new object?[] { 1, 2, null }, row["c_array"]);
        var map = Assert.IsType<System.Collections.Specialized.OrderedDictionary>(row["c_map"]);
        Assert.Equal(1L, map["a"]);
        Assert.Null(map["b"]);
        var record = Assert.IsType<PSObject>(row["c_row"]);
        Assert.Equal(7L, record.Properties["x"].Value);
        Assert.Equal("seven", record.Properties["y"].Value);
        var nested = Assert.IsType<PSObject>(Assert.Single((object?[])row["c_nested"]!));
        Assert.Equal(new object?[] { "x", "y" }, nested.Properties["b"].Value);
        Assert.Equal("{\"k\":[1,2]}", row["c_json"]);
        Assert.Equal(Guid.Parse("12151fd2-7586-11e9-8f9e-2a86e4085a59"), row["c_uuid"]);
        Assert.Equal(new byte[] { 0, 1, 2, 0xfe, 0xff }, row["c_varbinary"]);
        Assert.Equal("10.0.0.1", row["c_ipaddress"]);
        Assert.All(output.Rows[1], Assert.Null);
    }

    [Fact]
    public async Task AsDataTable_ColumnsAreTypedFromTheColumns()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server);
        using IEngineSession session = Open(server.Port, ScSslMode.Required, null, null);
        var output = new Collected();
        session.Execute(new QueryRequest("SELECT * FROM people", null, ResultShape.DataTable, null), output, CancellationToken.None);
        DataTable table = Assert.IsType<DataTable>(Assert.Single(output.Values));

        Assert.Equal(5, table.Rows.Count);
        Assert.Equal(typeof(int), table.Columns["id"]!.DataType);
        Assert.Equal(typeof(decimal), table.Columns["score"]!.DataType);
        Assert.Equal(typeof(DateTimeOffset), table.Columns["joined"]!.DataType);
        Assert.Equal(DBNull.Value, table.Rows[2]["note"]);
    }

    [Fact]
    public async Task AnEarlyStop_DeletesTheNextUri_OnTheCoordinator()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server, numbers: 100_000);
        using IEngineSession session = Open(server.Port, ScSslMode.Required, null, null);
        var output = new Collected(stopAfter: 5);
        Assert.Throws<StoppedException>(() => session.Execute(new QueryRequest("SELECT * FROM numbers", null, ResultShape.Rows, null), output, CancellationToken.None));

        Assert.Equal(5, output.Rows.Count);
        Assert.Equal(1, server.Stats.Cancels);
        Assert.Single(server.Stats.CancelledQueries);
        Assert.True(server.Stats.Pages < 5, $"pages read: {server.Stats.Pages}");

        var scalar = new Collected();
        session.Execute(new QueryRequest("SELECT * FROM numbers", null, ResultShape.Scalar, null), scalar, CancellationToken.None);
        Assert.Equal(0L, Assert.Single(scalar.Values));
        Assert.Equal(2, server.Stats.Cancels);
    }

    [Fact]
    public async Task CtrlC_StopsBetweenPages_AndDeletesTheQuery()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server, numbers: 100_000);
        using IEngineSession session = Open(server.Port, ScSslMode.Required, null, null);
        using var cancel = new CancellationTokenSource();
        var output = new Collected(onRow: n => { if (n == 1500) { cancel.Cancel(); } });

        Assert.ThrowsAny<OperationCanceledException>(() => session.Execute(new QueryRequest("SELECT * FROM numbers", null, ResultShape.Rows, null), output, cancel.Token));
        Assert.Equal(2000, output.Rows.Count);
        Assert.Equal(1, server.Stats.Cancels);
    }

    [Fact]
    public async Task AFailedQuery_IsQueryFailed_WithTrinosErrorNameCodeAndType()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server);
        using IEngineSession session = Open(server.Port, ScSslMode.Required, null, null);

        var syntax = Assert.Throws<SecureConnectException>(() => Run(session, "SELEC nonsense"));
        Assert.Equal(ErrorIds.QueryFailed, syntax.ErrorId);
        Assert.Contains("SYNTAX_ERROR (1, USER_ERROR)", syntax.Message, StringComparison.Ordinal);
        Assert.Contains("canned statements", syntax.Message, StringComparison.Ordinal);

        var output = new Collected();
        var midway = Assert.Throws<SecureConnectException>(() => session.Execute(new QueryRequest("SELECT * FROM fails_midway", null, ResultShape.Rows, null), output, CancellationToken.None));
        Assert.Equal(ErrorIds.QueryFailed, midway.ErrorId);
        Assert.Contains("DIVISION_BY_ZERO (8, USER_ERROR): Division by zero", midway.Message, StringComparison.Ordinal);
        Assert.Contains("after 1000 rows", midway.Message, StringComparison.Ordinal);
        Assert.Equal(1000, output.Rows.Count);
    }

    [Fact]
    public async Task A503_IsRetried_OnThePostAndOnAPage()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server);
        using IEngineSession session = Open(server.Port, ScSslMode.Required, null, null);

        Assert.Equal(5, Run(session, "SELECT * FROM flaky").Count);
        Assert.Equal(2, server.Stats.RetriesServed);
        Assert.Equal(5, Run(session, "SELECT * FROM flaky").Count);
        Assert.Equal(4, server.Stats.RetriesServed);
    }

    [Fact]
    public async Task ANextUriToAnotherHost_IsRefused_NotFollowed_AndTheQueryCancelled()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server);
        using IEngineSession session = Open(server.Port, ScSslMode.Required, null, s_login);

        var e = Assert.Throws<SecureConnectException>(() => Run(session, "SELECT * FROM foreign_next"));
        Assert.Equal(ErrorIds.QueryFailed, e.ErrorId);
        Assert.Contains("elsewhere.example:9999", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{RealName}:8443", e.Message, StringComparison.Ordinal);
        Assert.Contains("not followed", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Stats.Cancels);
        Assert.Equal($"{RealName}:8443", server.Stats.LastHost);
    }

    [Theory]
    [InlineData("SELECT * FROM unfinished", "state RUNNING", 5)]
    [InlineData("SELECT * FROM gone", "410 Gone", 1000)]
    public async Task AResultThatEndsWithoutFinished_IsQueryInterrupted_NeverComplete(string query, string why, int delivered)
    {
        await using var server = new TrinoDoubleHost(s_chain.Server);
        using IEngineSession session = Open(server.Port, ScSslMode.Required, null, null);
        var output = new Collected();

        var e = Assert.Throws<SecureConnectException>(() => session.Execute(new QueryRequest(query, null, ResultShape.Rows, null), output, CancellationToken.None));
        Assert.Equal(ErrorIds.QueryInterrupted, e.ErrorId);
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.Equal(delivered, output.Rows.Count);
    }

    [Fact]
    public async Task AConnectionCutMidResult_IsQueryInterrupted_WithTheRowsDelivered()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server);
        using IEngineSession session = Open(server.Port, ScSslMode.Required, null, null);
        var output = new Collected();

        var e = Assert.Throws<SecureConnectException>(() => session.Execute(new QueryRequest("SELECT * FROM cut", null, ResultShape.Rows, null), output, CancellationToken.None));
        Assert.Equal(ErrorIds.QueryInterrupted, e.ErrorId);
        Assert.Contains("after 1000 rows", e.Message, StringComparison.Ordinal);
        Assert.Equal(1000, output.Rows.Count);
    }

    [Fact]
    public async Task AWrongPassword_IsDatabaseAuthenticationFailed()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server, user: "reporter", password: "other");
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca, s_login);

        var e = Assert.Throws<SecureConnectException>(() => Run(session, "SELECT 1"));
        Assert.Equal(ErrorIds.DatabaseAuthenticationFailed, e.ErrorId);
        Assert.Equal(1, server.Stats.Unauthorized);
    }

    [Fact]
    public async Task Preferred_FallsBackToPlainHttp_WithoutAPassword()
    {
        await using var plain = new TrinoDoubleHost(null);
        int routes = 0;
        var fallback = new PlainFallback(8080, _ =>
        {
            routes++;
            return new ConnectionRoute("127.0.0.1", plain.Port, "Direct (plaintext port)");
        });
        using IEngineSession session = Open(plain.Port, ScSslMode.Preferred, null, new NetworkCredential("reporter", string.Empty), fallback);

        Assert.Equal(5, Run(session, "SELECT * FROM people").Count);
        Assert.Equal(1, routes);
        Assert.False(session.DescribeSession(CancellationToken.None).Encrypted);
        Assert.Equal($"{RealName}:8080", plain.Stats.LastHost);
        Assert.Null(plain.Stats.LastServerName);
        Assert.False(plain.Stats.LastStatementHeaders!.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task Preferred_WithAPassword_RefusesPlainHttp_BeforeSendingAnything()
    {
        await using var plain = new TrinoDoubleHost(null);
        var fallback = new PlainFallback(8080, _ => new ConnectionRoute("127.0.0.1", plain.Port, "Direct (plaintext port)"));

        var e = Assert.Throws<EngineOpenException>(() => Open(plain.Port, ScSslMode.Preferred, null, s_login, fallback));
        Assert.Equal(ErrorIds.SslNotAvailable, e.Error.ErrorId);
        Assert.Contains("only over HTTPS", e.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", e.Error.Message, StringComparison.Ordinal);
        Assert.Equal(0, plain.Stats.Requests);
    }

    [Fact]
    public async Task Preferred_StaysOnTls_WhenTheServerSpeaksIt()
    {
        await using var tls = new TrinoDoubleHost(s_rogue.Server);
        var fallback = new PlainFallback(8080, _ => throw new InvalidOperationException("the fallback must not be used"));
        using IEngineSession session = Open(tls.Port, ScSslMode.Preferred, null, s_login, fallback);

        Assert.True(session.DescribeSession(CancellationToken.None).Encrypted);
        Assert.Single(Run(session, "SELECT 1"));
    }

    [Fact]
    public async Task Required_RefusesAPlainServer_AndVerifyCA_ARogueCertificate()
    {
        await using var plain = new TrinoDoubleHost(null);
        var required = Assert.Throws<EngineOpenException>(() => Open(plain.Port, ScSslMode.Required, null, s_login));
        Assert.Equal(ErrorIds.SslNotAvailable, required.Error.ErrorId);

        await using var rogue = new TrinoDoubleHost(s_rogue.Server);
        var verify = Assert.Throws<EngineOpenException>(() => Open(rogue.Port, ScSslMode.VerifyCA, s_chain.Ca, s_login));
        Assert.Equal(ErrorIds.SslCertificateInvalid, verify.Error.ErrorId);
        Assert.Equal(0, rogue.Stats.Requests);
    }

    [Fact]
    public async Task Parameters_ArePrepared_InTheHeader_AndPassedAsTypedLiterals()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server);
        using IEngineSession session = Open(server.Port, ScSslMode.Required, null, null);
        var parameters = new Hashtable
        {
            ["name"] = "O'Brien'; DROP TABLE people --",
            ["@id"] = 3,
            ["since"] = new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Unspecified),
            ["ids"] = new long[] { 1, 2 },
            ["none"] = null,
        };
        var output = new Collected();
        session.Execute(new QueryRequest("SELECT * FROM people WHERE name = @name AND id > @id AND joined > @since AND id IN (UNNEST(@ids)) AND note = '@name' AND x = @none -- @id", parameters, ResultShape.Rows, null), output, CancellationToken.None);

        Assert.Equal("SELECT * FROM people WHERE name = ? AND id > ? AND joined > ? AND id IN (UNNEST(?)) AND note = '@name' AND x = ? -- @id", server.Stats.LastPrepared);
        Assert.StartsWith("EXECUTE secureconnect_statement USING ", server.Stats.LastStatement, StringComparison.Ordinal);
        object?[] row = Assert.Single(output.Rows);
        Assert.Equal(new object?[] { server.Stats.LastPrepared, "'O''Brien''; DROP TABLE people --'", "INTEGER '3'", "TIMESTAMP '2024-01-02 03:04:05.0000000'", "ARRAY[BIGINT '1', BIGINT '2']", "NULL" }, row);
    }

    [Fact]
    public async Task NonQuery_ReturnsTheUpdateCount()
    {
        await using var server = new TrinoDoubleHost(s_chain.Server);
        using IEngineSession session = Open(server.Port, ScSslMode.Required, null, null);
        var output = new Collected();
        session.Execute(new QueryRequest("INSERT INTO sink VALUES (1)", null, ResultShape.NonQuery, null), output, CancellationToken.None);

        Assert.Equal(1L, Assert.Single(output.Values));
    }

    private static IEngineSession Open(int port, ScSslMode mode, X509Certificate2? ca, NetworkCredential? login, PlainFallback? fallback = null, Hashtable? options = null, int planPort = 8443)
    {
        var plan = new ConnectionPlan("trino", IntegrationType.Trino, RealName, planPort, "hive.sales", mode, SslModeSource.Integration, null, null, null, options ?? new Hashtable());
        var target = new ConnectionTarget(plan, "127.0.0.1", port, login, ca, 10, null, fallback);
        var observer = new TlsObserver(mode, RealName, ca);
        return new TrinoEngine().Open(target, observer, "Direct", CancellationToken.None);
    }

    private static List<object?[]> Run(IEngineSession session, string query)
    {
        var output = new Collected();
        session.Execute(new QueryRequest(query, null, ResultShape.Rows, null), output, CancellationToken.None);
        return output.Rows;
    }

    private sealed class StoppedException : Exception
    {
    }

    /// <summary>Collects what a query hands out; with <c>stopAfter</c>, stops the way Select-Object -First does.</summary>
    private sealed class Collected : IQueryOutput
    {
        private readonly int _stopAfter;
        private readonly Action<int>? _onRow;

        public Collected(int stopAfter = int.MaxValue, Action<int>? onRow = null)
        {
            _stopAfter = stopAfter;
            _onRow = onRow;
        }

        public string[] Names { get; private set; } = Array.Empty<string>();

        public List<object?[]> Rows { get; } = new();

        public List<object?> Values { get; } = new();

        public void Row(string[] names, object?[] values)
        {
            Names = names;
            Rows.Add(values);
            _onRow?.Invoke(Rows.Count);
            if (Rows.Count >= _stopAfter)
            {
                throw new StoppedException();
            }
        }

        public void Table(DataTable table, bool asRows) => Values.Add(table);

        public void Value(object? value) => Values.Add(value);
    }
}
