using System;
using System.Collections;
using System.Collections.Generic;
using System.Data;
using System.IO;
using System.Linq;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Common;
using SecureConnect.Integrations;
using SecureConnect.Sql;
using SecureConnect.Sql.ClickHouse;
using Xunit;
using ScSslMode = SecureConnect.SslMode;

namespace SecureConnect.Tests.ClickHouse;

/// <summary>
/// The ClickHouse engine against <see cref="ClickHouseHttpDouble"/>, a test double of its HTTP interface: the real
/// host name in SNI and Host while the socket goes to 127.0.0.1, the login in headers only, Preferred's fallback and
/// Required's refusal, certificate checks, the server's errors, an exception after rows, a broken connection, and an
/// early stop that aborts the response and kills the query.
/// </summary>
public sealed class ClickHouseEngineTests
{
    private const string RealName = "ch.example.internal";
    private const string Probe = "version()\ttimezone()\nString\tString\n18.16.1\tUTC\n";

    private static readonly (X509Certificate2 Ca, X509Certificate2 Server) s_chain = ClickHouseHttpDouble.MakeServerChain("ClickHouse double CA", RealName);
    private static readonly (X509Certificate2 Ca, X509Certificate2 Server) s_rogue = ClickHouseHttpDouble.MakeServerChain("Rogue CA", RealName);
    private static readonly (X509Certificate2 Ca, X509Certificate2 Server) s_otherName = ClickHouseHttpDouble.MakeServerChain("ClickHouse double CA 2", "other.example.internal");

    [Fact]
    public async Task ThroughATunnelsEnd_SniAndHostAreTheRealName_AndTheLoginIsNeverInTheUrl()
    {
        await using var server = new ClickHouseHttpDouble(s_chain.Server, AnswerProbeThen("n\nUInt8\n7\n"));
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca);
        List<object?[]> rows = Run(session, "SELECT 7 AS n");

        Assert.Equal((byte)7, Assert.Single(rows)[0]);
        DoubleRequest query = server.Requests.Last();
        Assert.Equal(RealName, query.ServerName);
        Assert.Equal($"{RealName}:8443", query.Headers["Host"]);
        Assert.StartsWith("POST /?", query.RequestLine, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", query.RequestLine, StringComparison.Ordinal);
        Assert.DoesNotContain("reporter", query.RequestLine, StringComparison.Ordinal);
        Assert.Equal("reporter", query.Headers["X-ClickHouse-User"]);
        Assert.Equal("s3cret", query.Headers["X-ClickHouse-Key"]);
        Assert.Equal("SELECT 7 AS n", query.Body);
        Assert.Equal("analytics", query.Parameter("database"));
        Assert.Equal("TabSeparatedWithNamesAndTypes", query.Parameter("default_format"));
        Assert.StartsWith("secureconnect-", query.Parameter("query_id"), StringComparison.Ordinal);
        Assert.True(session.Observer.HostNameVerified);
    }

    [Fact]
    public async Task DescribeSession_ReportsTheNegotiatedTls_TheVersion_AndTheAddressTheServerSees()
    {
        await using var server = new ClickHouseHttpDouble(s_chain.Server, AnswerProbeThen("address\nString\n::ffff:10.1.2.3\n"));
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyCA, s_chain.Ca);
        ServerSessionInfo info = session.DescribeSession(CancellationToken.None);

        Assert.True(info.Encrypted);
        Assert.StartsWith("TLSv1.", info.TlsProtocol, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(info.CipherSuite));
        Assert.Equal("18.16.1", info.ServerVersion);
        Assert.Equal("10.1.2.3", info.ClientAddress);
        DoubleRequest asked = server.Requests.Last();
        Assert.Contains($"query_id = '{asked.Parameter("query_id")}'", asked.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preferred_FallsBackToPlainHttp_WhenTheTlsPortAnswersInPlainHttp()
    {
        await using var plain = new ClickHouseHttpDouble(null, AnswerProbeThen("n\nUInt8\n1\n"));
        int routes = 0;
        var fallback = new PlainFallback(8123, _ =>
        {
            routes++;
            return new ConnectionRoute("127.0.0.1", plain.Port, "Direct (plaintext port)");
        });
        using IEngineSession session = Open(plain.Port, ScSslMode.Preferred, null, fallback);
        Run(session, "SELECT 1 AS n");

        Assert.Equal(1, plain.TlsAttemptsRefused);
        Assert.Equal(1, routes);
        Assert.All(plain.Requests, r => Assert.False(r.Tls));
        Assert.Equal($"{RealName}:8123", plain.Requests.Last().Headers["Host"]);
        Assert.False(session.DescribeSession(CancellationToken.None).Encrypted);
        Assert.Equal("Direct (plaintext port)", session.Via);
    }

    [Fact]
    public async Task Preferred_GoesStraightToThePlaintextPort_WhenTheBastionCouldNotReachTheTlsPort()
    {
        await using var plain = new ClickHouseHttpDouble(null, AnswerProbeThen("n\nUInt8\n1\n"));
        var fallback = new PlainFallback(8123, _ => new ConnectionRoute("127.0.0.1", plain.Port, "tunnel to 8123"), TlsUnreachable: "the bastion could not connect to ch:8443");

        // The TLS route points nowhere: it must not be tried.
        using IEngineSession session = Open(1, ScSslMode.Preferred, null, fallback);

        Assert.Equal(0, plain.TlsAttemptsRefused);
        Assert.False(session.DescribeSession(CancellationToken.None).Encrypted);
    }

    [Fact]
    public async Task Preferred_StaysOnTls_WhenTheServerSpeaksIt()
    {
        await using var tls = new ClickHouseHttpDouble(s_rogue.Server, AnswerProbeThen("n\nUInt8\n1\n"));
        var fallback = new PlainFallback(8123, _ => throw new InvalidOperationException("the fallback must not be used"));
        using IEngineSession session = Open(tls.Port, ScSslMode.Preferred, null, fallback);

        Assert.True(session.DescribeSession(CancellationToken.None).Encrypted);
        Assert.All(tls.Requests, r => Assert.True(r.Tls));
    }

    [Fact]
    public async Task Required_RefusesAServerThatSpeaksOnlyPlainHttp()
    {
        await using var plain = new ClickHouseHttpDouble(null, AnswerProbeThen(string.Empty));
        EngineOpenException e = Assert.Throws<EngineOpenException>(() => Open(plain.Port, ScSslMode.Required, null));

        Assert.Equal(ErrorIds.SslNotAvailable, e.Error.ErrorId);
        Assert.Empty(plain.Requests);
    }

    [Fact]
    public async Task Required_OnAGivenPortThatSaysNothingToAClientHello_IsSslNotAvailable_FoundByAPlainProbe()
    {
        // ClickHouse 18.16's HTTP port sometimes waits, silent, for the end of a "request line" in the ClientHello.
        await using var plain = new ClickHouseHttpDouble(null, AnswerProbeThen(string.Empty), silentOnClientHello: true);
        EngineOpenException e = Assert.Throws<EngineOpenException>(() => Open(plain.Port, ScSslMode.Required, null, planPort: 9123));

        Assert.Equal(ErrorIds.SslNotAvailable, e.Error.ErrorId);
        Assert.Equal(1, plain.Probes);
        Assert.Equal(0, plain.TlsAttemptsRefused);
        Assert.Empty(plain.Requests);
    }

    [Fact]
    public async Task Preferred_OnAGivenPortThatSaysNothingToAClientHello_FallsBackToPlainHttpOnIt()
    {
        await using var plain = new ClickHouseHttpDouble(null, AnswerProbeThen("n\nUInt8\n1\n"), silentOnClientHello: true);
        var fallback = new PlainFallback(9123, _ => new ConnectionRoute("127.0.0.1", plain.Port, "Direct"));
        using IEngineSession session = Open(plain.Port, ScSslMode.Preferred, null, fallback, planPort: 9123);

        Assert.Single(Run(session, "SELECT 1 AS n"));
        Assert.Equal(0, plain.TlsAttemptsRefused);
        Assert.False(session.DescribeSession(CancellationToken.None).Encrypted);
    }

    [Fact]
    public async Task AGivenPortThatSpeaksTls_RefusesThePlainProbe_AndTlsCarriesEveryRequest()
    {
        await using var tls = new ClickHouseHttpDouble(s_chain.Server, AnswerProbeThen("n\nUInt8\n1\n"));
        var fallback = new PlainFallback(9123, _ => throw new InvalidOperationException("the fallback must not be used"));
        using IEngineSession session = Open(tls.Port, ScSslMode.Preferred, null, fallback, planPort: 9123);

        Assert.Single(Run(session, "SELECT 1 AS n"));
        Assert.True(session.DescribeSession(CancellationToken.None).Encrypted);
        Assert.Equal(0, tls.Probes);
        Assert.NotEmpty(tls.Requests);
        Assert.All(tls.Requests, r => Assert.True(r.Tls));
    }

    [Theory]
    [InlineData("rogue CA")]
    [InlineData("wrong name")]
    public async Task VerifyFull_RefusesARogueCaOrAWrongName_BeforeAnyRequest(string what)
    {
        X509Certificate2 presented = what == "rogue CA" ? s_rogue.Server : s_otherName.Server;
        X509Certificate2 trusted = what == "rogue CA" ? s_chain.Ca : s_otherName.Ca;
        await using var server = new ClickHouseHttpDouble(presented, AnswerProbeThen(string.Empty));
        EngineOpenException e = Assert.Throws<EngineOpenException>(() => Open(server.Port, ScSslMode.VerifyFull, trusted));

        Assert.Equal(ErrorIds.SslCertificateInvalid, e.Error.ErrorId);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task A401_IsDatabaseAuthenticationFailed_WithTheServersCode()
    {
        await using var server = new ClickHouseHttpDouble(s_chain.Server, (request, connection, cancel) =>
            ClickHouseHttpDouble.Error(connection, "401 Unauthorized", "Code: 193, e.displayText() = DB::Exception: Wrong password for user reporter, e.what() = DB::Exception\n", cancel));
        EngineOpenException e = Assert.Throws<EngineOpenException>(() => Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca));

        Assert.Equal(ErrorIds.DatabaseAuthenticationFailed, e.Error.ErrorId);
        Assert.Contains("Code 193: Wrong password for user reporter", e.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnExceptionAfterRows_IsQueryFailed_WithTheCodeAndTheRowsDelivered()
    {
        string rows = string.Concat(Enumerable.Range(0, 5).Select(i => $"{i}\t0\n"));
        await using var server = new ClickHouseHttpDouble(s_chain.Server, AnswerProbeThen(
            "number\tthrowIf(equals(number, 5))\nUInt64\tUInt8\n" + rows + "Code: 395, e.displayText() = DB::Exception: Value passed to 'throwIf' function is non zero, e.what() = DB::Exception\n"));
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca);
        var output = new Collected();
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => session.Execute(new QueryRequest("SELECT ...", null, ResultShape.Rows, null), output, CancellationToken.None));

        Assert.Equal(ErrorIds.QueryFailed, e.ErrorId);
        Assert.Contains("Code 395: Value passed to 'throwIf' function is non zero", e.Message, StringComparison.Ordinal);
        Assert.Contains("after 5 rows", e.Message, StringComparison.Ordinal);
        Assert.Equal(5, output.Rows.Count);
    }

    [Fact]
    public async Task AConnectionLostMidStream_IsQueryInterrupted()
    {
        await using var server = new ClickHouseHttpDouble(s_chain.Server, async (request, connection, cancel) =>
        {
            if (await AnsweredProbe(request, connection, cancel))
            {
                return;
            }

            await ClickHouseHttpDouble.Head(connection, "200 OK", null, cancel);
            await ClickHouseHttpDouble.Chunk(connection, "n\nUInt64\n1\n2\n", cancel);

            // No final chunk: the connection just ends.
        });
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca);
        var output = new Collected();
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => session.Execute(new QueryRequest("SELECT n", null, ResultShape.Rows, null), output, CancellationToken.None));

        Assert.Equal(ErrorIds.QueryInterrupted, e.ErrorId);
        Assert.Contains("after 2 rows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEarlyStop_AbortsTheResponse_AndKillsTheQueryById()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var killed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new ClickHouseHttpDouble(s_chain.Server, async (request, connection, cancel) =>
        {
            if (await AnsweredProbe(request, connection, cancel))
            {
                return;
            }

            if (request.Body.StartsWith("KILL QUERY", StringComparison.Ordinal))
            {
                killed.TrySetResult(request.Body);
                await ClickHouseHttpDouble.Ok(connection, string.Empty, cancel);
                return;
            }

            await ClickHouseHttpDouble.Head(connection, "200 OK", null, cancel);
            await ClickHouseHttpDouble.Chunk(connection, "number\nUInt64\n", cancel);
            try
            {
                // An endless result: only the client's abort ends it.
                for (long i = 0; ; i++)
                {
                    await ClickHouseHttpDouble.Chunk(connection, $"{i}\n", cancel);
                }
            }
            catch (IOException)
            {
                aborted.TrySetResult();
            }
        });
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca);
        var output = new Collected(stopAfter: 3);
        Assert.Throws<StoppedException>(() => session.Execute(new QueryRequest("SELECT number FROM system.numbers", null, ResultShape.Rows, null), output, CancellationToken.None));

        Assert.Equal(3, output.Rows.Count);
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        string kill = await killed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        string queryId = server.Requests.First(r => r.Body.StartsWith("SELECT number", StringComparison.Ordinal)).Parameter("query_id")!;
        Assert.Equal($"KILL QUERY WHERE query_id = '{queryId}' ASYNC", kill);
    }

    [Fact]
    public async Task Parameters_AreSentAsParamValues_NeverSplicedIntoTheQuery()
    {
        await using var server = new ClickHouseHttpDouble(s_chain.Server, AnswerProbeThen("x\nString\nok\n"));
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca);
        var parameters = new Hashtable { ["name"] = "O'Brien\t; DROP TABLE t", ["ids"] = new[] { 1, 2 } };
        session.Execute(new QueryRequest("SELECT {name:String} AS x WHERE 1 IN {ids:Array(Int32)}", parameters, ResultShape.Rows, null), new Collected(), CancellationToken.None);

        DoubleRequest query = server.Requests.Last();
        Assert.Equal("SELECT {name:String} AS x WHERE 1 IN {ids:Array(Int32)}", query.Body);
        Assert.Equal(@"O\'Brien\t; DROP TABLE t", query.Parameter("param_name"));
        Assert.Equal("[1,2]", query.Parameter("param_ids"));
    }

    [Fact]
    public async Task Parameters_OnAServerWithout_AreRefusedClearly()
    {
        await using var server = new ClickHouseHttpDouble(s_chain.Server, async (request, connection, cancel) =>
        {
            if (!await AnsweredProbe(request, connection, cancel))
            {
                await ClickHouseHttpDouble.Error(connection, "500 Internal Server Error", "Code: 115, e.displayText() = DB::Exception: Unknown setting param_x, e.what() = DB::Exception\n", cancel);
            }
        });
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca);
        SecureConnectException e = Assert.Throws<SecureConnectException>(() =>
            session.Execute(new QueryRequest("SELECT {x:UInt8}", new Hashtable { ["x"] = 5 }, ResultShape.Rows, null), new Collected(), CancellationToken.None));

        Assert.Equal(ErrorIds.InvalidParameterValue, e.ErrorId);
        Assert.Contains("18.16.1", e.Message, StringComparison.Ordinal);
        Assert.Contains("has no query parameters", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommandTimeoutAndOptions_TravelAsSettings()
    {
        await using var server = new ClickHouseHttpDouble(s_chain.Server, AnswerProbeThen("n\nUInt8\n1\n"));
        var options = new Hashtable { ["max_threads"] = 2, ["Max-Block-Size"] = "1000" };
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca, options: options);
        session.Execute(new QueryRequest("SELECT 1 AS n", null, ResultShape.Rows, 30), new Collected(), CancellationToken.None);

        DoubleRequest query = server.Requests.Last();
        Assert.Equal("30", query.Parameter("max_execution_time"));
        Assert.Equal("2", query.Parameter("max_threads"));
        Assert.Equal("1000", query.Parameter("max_block_size"));
    }

    [Fact]
    public async Task Shapes_DataTableScalarAndAStatementWithoutResult()
    {
        await using var server = new ClickHouseHttpDouble(s_chain.Server, async (request, connection, cancel) =>
        {
            if (await AnsweredProbe(request, connection, cancel))
            {
                return;
            }

            string body = request.Body.StartsWith("CREATE", StringComparison.Ordinal) ? string.Empty : "n\ts\nUInt32\tNullable(String)\n1\ta\n2\t\\N\n";
            await ClickHouseHttpDouble.Ok(connection, body, cancel);
        });
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca);

        var table = new Collected();
        session.Execute(new QueryRequest("SELECT n, s", null, ResultShape.DataTable, null), table, CancellationToken.None);
        DataTable loaded = Assert.IsType<DataTable>(Assert.Single(table.Values));
        Assert.Equal(2, loaded.Rows.Count);
        Assert.Equal(typeof(uint), loaded.Columns["n"]!.DataType);
        Assert.Equal(DBNull.Value, loaded.Rows[1]["s"]);

        var scalar = new Collected();
        session.Execute(new QueryRequest("SELECT n, s", null, ResultShape.Scalar, null), scalar, CancellationToken.None);
        Assert.Equal(1u, Assert.Single(scalar.Values));

        var ddl = new Collected();
        session.Execute(new QueryRequest("CREATE TABLE t (a UInt8) ENGINE = Memory", null, ResultShape.Rows, null), ddl, CancellationToken.None);
        Assert.Empty(ddl.Rows);
    }

    [Fact]
    public void Ports_Https8443ByDefault_FallingBackTo8123_AndAGivenPortServesBoth()
    {
        var engine = new ClickHouseEngine();
        Assert.Equal(8443, engine.DefaultPort(IntegrationType.ClickHouse));
        Assert.Equal(8123, engine.PlainFallbackPort(8443));
        Assert.Equal(9999, engine.PlainFallbackPort(9999));
        Assert.Same(engine.GetType(), Engines.For(IntegrationType.ClickHouse).GetType());
    }

    [Theory]
    [InlineData("ssl", ErrorIds.SslPolicyViolation)]
    [InlineData("Secure", ErrorIds.SslPolicyViolation)]
    [InlineData("user", ErrorIds.InvalidOption)]
    [InlineData("password", ErrorIds.InvalidOption)]
    [InlineData("default_format", ErrorIds.InvalidOption)]
    [InlineData("param_x", ErrorIds.InvalidOption)]
    [InlineData("allow_ddl", ErrorIds.InvalidOption)]
    [InlineData("format_csv_delimiter", ErrorIds.InvalidOption)]
    public void Options_OutsideTheTuningList_AreRefused(string key, string errorId)
    {
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => new ClickHouseEngine().CheckOptions(new Hashtable { [key] = "1" }));
        Assert.Equal(errorId, e.ErrorId);
    }

    [Fact]
    public void Options_AValueThatCouldCarryAnotherSetting_IsRefused()
    {
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => new ClickHouseEngine().CheckOptions(new Hashtable { ["max_threads"] = "2&readonly=0" }));
        Assert.Equal(ErrorIds.InvalidOption, e.ErrorId);
    }

    [Fact]
    public void ConnectionString_GivesEndpointLoginAndOptions()
    {
        ParsedConnectionString parsed = new ClickHouseEngine().Parse("Host=ch.internal;Port=8443;Database=web;User=reader;Password=pw;max_threads=4");
        Assert.Equal("ch.internal", parsed.Host);
        Assert.Equal(8443, parsed.Port);
        Assert.Equal("web", parsed.Database);
        Assert.Equal("reader", parsed.User);
        Assert.Equal("pw", parsed.Password);
        Assert.Equal("4", parsed.Options["max_threads"]);
        Assert.Throws<FormatException>(() => new ClickHouseEngine().Parse("Host=a;Port=http"));
    }

    private static IEngineSession Open(int port, ScSslMode mode, X509Certificate2? ca, PlainFallback? fallback = null, Hashtable? options = null, int planPort = 8443)
    {
        var plan = new ConnectionPlan("ch", IntegrationType.ClickHouse, RealName, planPort, "analytics", mode, SslModeSource.Integration, null, null, null, options ?? new Hashtable());
        var target = new ConnectionTarget(plan, "127.0.0.1", port, new NetworkCredential("reporter", "s3cret"), ca, 10, null, fallback);
        var observer = new TlsObserver(mode, RealName, ca);
        return new ClickHouseEngine().Open(target, observer, "Direct", CancellationToken.None);
    }

    private static List<object?[]> Run(IEngineSession session, string query)
    {
        var output = new Collected();
        session.Execute(new QueryRequest(query, null, ResultShape.Rows, null), output, CancellationToken.None);
        return output.Rows;
    }

    private static DoubleResponder AnswerProbeThen(string body) => async (request, connection, cancel) =>
    {
        if (!await AnsweredProbe(request, connection, cancel))
        {
            await ClickHouseHttpDouble.Ok(connection, body, cancel);
        }
    };

    private static async Task<bool> AnsweredProbe(DoubleRequest request, Stream connection, CancellationToken cancel)
    {
        if (request.Body != "SELECT version(), timezone()")
        {
            return false;
        }

        await ClickHouseHttpDouble.Ok(connection, Probe, cancel);
        return true;
    }

    private sealed class StoppedException : Exception
    {
    }

    /// <summary>Collects what a query hands out; with <c>stopAfter</c>, stops the way Select-Object -First does.</summary>
    private sealed class Collected : IQueryOutput
    {
        private readonly int _stopAfter;

        public Collected(int stopAfter = int.MaxValue)
        {
            _stopAfter = stopAfter;
        }

        public List<object?[]> Rows { get; } = new();

        public List<object?> Values { get; } = new();

        public void Row(string[] names, object?[] values)
        {
            Rows.Add(values);
            if (Rows.Count >= _stopAfter)
            {
                throw new StoppedException();
            }
        }

        public void Table(DataTable table, bool asRows) => Values.Add(table);

        public void Value(object? value) => Values.Add(value);
    }
}
