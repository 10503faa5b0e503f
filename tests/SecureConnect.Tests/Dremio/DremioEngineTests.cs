using System;
using System.Collections;
using System.Collections.Generic;
using System.Data;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Common;
using SecureConnect.Integrations;
using SecureConnect.Sql;
using SecureConnect.Sql.Dremio;
using SecureConnect.Tests.ClickHouse;
using SecureConnect.Tests.FlightDouble;
using Xunit;
using ScSslMode = SecureConnect.SslMode;

namespace SecureConnect.Tests.Dremio;

/// <summary>
/// The Dremio engine against the Arrow Flight server TEST DOUBLE (tests/FlightDouble), hosted in-process on 127.0.0.1:
/// the real host name in SNI and :authority while the socket goes to 127.0.0.1, TLS checks per SSL mode, Preferred's
/// fallback to h2c and Required's refusal, basic and token logins, typed rows, the endpoint rule, errors, a broken
/// stream, and an early stop that cancels the call on the server.
/// </summary>
public sealed class DremioEngineTests
{
    private const string RealName = "dremio.example.internal";

    private static readonly (X509Certificate2 Ca, X509Certificate2 Server) s_chain = ClickHouseHttpDouble.MakeServerChain("Flight double CA", RealName);
    private static readonly (X509Certificate2 Ca, X509Certificate2 Server) s_rogue = ClickHouseHttpDouble.MakeServerChain("Rogue CA", RealName);
    private static readonly (X509Certificate2 Ca, X509Certificate2 Server) s_otherName = ClickHouseHttpDouble.MakeServerChain("Flight double CA 2", "other.example.internal");

    [Fact]
    public async Task VerifyFull_ThroughATunnelsEnd_SniAndAuthorityAreTheRealName_AndPeopleComeTyped()
    {
        await using FlightDoubleHost server = await Start(tls: true);
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca);
        List<object?[]> rows = Run(session, "SELECT * FROM people").Rows;

        Assert.Equal(5, rows.Count);
        Assert.Equal(new object?[] { 1, "Ada Lovelace", "ada@example.test", 98.50m, new DateTimeOffset(2024, 1, 15, 9, 30, 0, TimeSpan.Zero), "first programmer" }, rows[0]);
        Assert.Null(rows[2][5]);
        Assert.Equal("Zoë Müller", rows[3][1]);
        Assert.All(server.Stats.ServerNames, name => Assert.Equal(RealName, name));
        Assert.NotEmpty(server.Stats.ServerNames);
        Assert.Equal($"{RealName}:32010", server.Stats.LastAuthority);
        Assert.True(session.Observer.ChainValidated);
        Assert.True(session.Observer.HostNameVerified);
    }

    [Fact]
    public async Task DescribeSession_ReportsTheClientsTls_AndTheVersionFromSysVersion()
    {
        await using FlightDoubleHost server = await Start(tls: true);
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyCA, s_chain.Ca);
        ServerSessionInfo info = session.DescribeSession(CancellationToken.None);

        Assert.Null(info.Encrypted);
        Assert.StartsWith("TLSv1.", info.TlsProtocol, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(info.CipherSuite));
        Assert.Equal(CannedTables.Version, info.ServerVersion);
        Assert.Null(info.ClientAddress);
    }

    [Fact]
    public async Task Preferred_OnAPlainServer_FallsBackToH2c()
    {
        await using FlightDoubleHost server = await Start(tls: false);
        using IEngineSession session = Open(server.Port, ScSslMode.Preferred, null);
        Assert.Equal(5, Run(session, "select * from PEOPLE;").Rows.Count);
        Assert.False(session.Observer.HandshakeSeen);
        Assert.Equal((null, null), (session.DescribeSession(CancellationToken.None).TlsProtocol, session.DescribeSession(CancellationToken.None).CipherSuite));
    }

    [Fact]
    public async Task Preferred_OnATlsServer_StaysOnTls_WithoutCheckingTheCertificate()
    {
        await using FlightDoubleHost server = await Start(tls: true, certificate: s_rogue.Server);
        using IEngineSession session = Open(server.Port, ScSslMode.Preferred, null);
        Assert.Equal(5, Run(session, "SELECT * FROM people").Rows.Count);
        Assert.True(session.Observer.HandshakeSeen);
        Assert.False(session.Observer.ChainValidated);
    }

    [Theory]
    [InlineData(ScSslMode.Required)]
    [InlineData(ScSslMode.VerifyFull)]
    public async Task RequiredAndAbove_OnAPlainServer_AreSslNotAvailable_AtOnce(ScSslMode mode)
    {
        await using FlightDoubleHost server = await Start(tls: false);
        var watch = Stopwatch.StartNew();
        EngineOpenException e = Assert.Throws<EngineOpenException>(() => Open(server.Port, mode, s_chain.Ca));
        Assert.Equal(ErrorIds.SslNotAvailable, e.Error.ErrorId);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"took {watch.Elapsed}");
        Assert.Equal(0, server.Stats.Calls);
    }

    [Fact]
    public async Task Required_DoesNotCheckTheCertificate()
    {
        await using FlightDoubleHost server = await Start(tls: true, certificate: s_rogue.Server);
        using IEngineSession session = Open(server.Port, ScSslMode.Required, s_chain.Ca);
        Assert.Equal(5, Run(session, "SELECT * FROM people").Rows.Count);
    }

    [Fact]
    public async Task VerifyCA_ARogueCa_IsSslCertificateInvalid_BeforeAnyCall()
    {
        await using FlightDoubleHost server = await Start(tls: true, certificate: s_rogue.Server);
        EngineOpenException e = Assert.Throws<EngineOpenException>(() => Open(server.Port, ScSslMode.VerifyCA, s_chain.Ca));
        Assert.Equal(ErrorIds.SslCertificateInvalid, e.Error.ErrorId);
        Assert.Contains("not signed by the trusted CA", e.Error.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Stats.Calls);
    }

    [Fact]
    public async Task VerifyFull_ACertificateForAnotherName_IsSslCertificateInvalid_WhileVerifyCaAcceptsIt()
    {
        await using FlightDoubleHost server = await Start(tls: true, certificate: s_otherName.Server);
        EngineOpenException e = Assert.Throws<EngineOpenException>(() => Open(server.Port, ScSslMode.VerifyFull, s_otherName.Ca));
        Assert.Equal(ErrorIds.SslCertificateInvalid, e.Error.ErrorId);
        Assert.Contains(RealName, e.Error.Message, StringComparison.Ordinal);

        using IEngineSession session = Open(server.Port, ScSslMode.VerifyCA, s_otherName.Ca);
        Assert.True(session.Observer.ChainValidated);
        Assert.False(session.Observer.HostNameVerified);
    }

    [Fact]
    public async Task BasicLogin_IsSentOnce_ThenTheBearerTokenAndTheSessionCookie()
    {
        await using FlightDoubleHost server = await Start(tls: true, user: "reader", password: "s3cret");
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca, new NetworkCredential("reader", "s3cret"));
        Run(session, "SELECT * FROM people");
        Run(session, "SELECT * FROM numbers");

        Assert.Equal(1, server.Stats.BasicLogins);
        Assert.Equal(1, server.Stats.CallsOf("Handshake"));
        Assert.Equal(4, server.Stats.BearerCalls);
        Assert.Equal(0, server.Stats.AuthFailed);
        Assert.StartsWith(DoubleAuth.SessionCookie + "=", server.Stats.LastQueryHeaders["cookie"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokenLogin_SendsThePasswordAsABearer_AndNeverBasic()
    {
        await using FlightDoubleHost server = await Start(tls: true, token: "pat-123");
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca, new NetworkCredential("anyone", "pat-123"), Options(("AuthMode", "Token")));
        Assert.Equal(5, Run(session, "SELECT * FROM people").Rows.Count);
        Assert.Equal(0, server.Stats.BasicLogins);
        Assert.Equal(3, server.Stats.BearerCalls);
    }

    [Theory]
    [InlineData("reader", "wrong", null)]
    [InlineData("nobody", "s3cret", null)]
    [InlineData("anyone", "pat-wrong", "Token")]
    public async Task AWrongLogin_IsDatabaseAuthenticationFailed(string user, string password, string? mode)
    {
        await using FlightDoubleHost server = await Start(tls: true, user: "reader", password: "s3cret", token: "pat-123");
        Hashtable options = mode is null ? new Hashtable() : Options(("AuthMode", mode));
        EngineOpenException e = Assert.Throws<EngineOpenException>(() => Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca, new NetworkCredential(user, password), options));
        Assert.Equal(ErrorIds.DatabaseAuthenticationFailed, e.Error.ErrorId);
        Assert.Contains("Unauthenticated", e.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(password, e.Error.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Stats.AuthFailed);
    }

    [Fact]
    public async Task NoLogin_OnAServerThatWantsOne_IsDatabaseAuthenticationFailed()
    {
        await using FlightDoubleHost server = await Start(tls: false, user: "reader", password: "s3cret");
        EngineOpenException e = Assert.Throws<EngineOpenException>(() => Open(server.Port, ScSslMode.Preferred, null, credential: null));
        Assert.Equal(ErrorIds.DatabaseAuthenticationFailed, e.Error.ErrorId);
    }

    [Fact]
    public async Task TheSessionHeaders_CarryTheSchemaAndRouting()
    {
        await using FlightDoubleHost server = await Start(tls: false);
        using IEngineSession session = Open(server.Port, ScSslMode.Preferred, null, options: Options(("RoutingTag", "reports"), ("routing_queue", "Low Cost"), ("Engine", "small")), database: "lake.sales");
        Run(session, "SELECT * FROM people");
        Assert.Equal("lake.sales", server.Stats.LastQueryHeaders["schema"]);
        Assert.Equal("reports", server.Stats.LastQueryHeaders["routing_tag"]);
        Assert.Equal("Low Cost", server.Stats.LastQueryHeaders["routing_queue"]);
        Assert.Equal("small", server.Stats.LastQueryHeaders["engine"]);
        Assert.Equal("SELECT * FROM people", server.Stats.LastQuery);
    }

    [Fact]
    public async Task ManyBatches_AllRowsInOrder_AndEveryShape()
    {
        await using FlightDoubleHost server = await Start(tls: false, numbers: 25_000);
        using IEngineSession session = Open(server.Port, ScSslMode.Preferred, null);
        List<object?[]> rows = Run(session, "SELECT * FROM numbers").Rows;
        Assert.Equal(25_000, rows.Count);
        Assert.Equal(Enumerable.Range(0, 25_000).Select(i => (long)i), rows.Select(r => (long)r[0]!));
        Assert.Equal("n24999", rows[^1][1]);

        Assert.Equal(0L, Assert.Single(Run(session, "SELECT * FROM numbers", ResultShape.Scalar).Values));
        Assert.Equal(-1L, Assert.Single(Run(session, "SELECT * FROM numbers", ResultShape.NonQuery).Values));
        DataTable table = Assert.IsType<DataTable>(Assert.Single(Run(session, "SELECT * FROM people", ResultShape.DataTable).Values));
        Assert.Equal(typeof(decimal), table.Columns["score"]!.DataType);
        Assert.Equal(typeof(DateTimeOffset), table.Columns["joined"]!.DataType);
        Assert.Equal(DBNull.Value, table.Rows[2]["note"]);
    }

    [Fact]
    public async Task EveryType_ComesThroughTheWire_AsItsDotNetValue()
    {
        await using FlightDoubleHost server = await Start(tls: false);
        using IEngineSession session = Open(server.Port, ScSslMode.Preferred, null);
        var output = Run(session, "SELECT * FROM types");
        Assert.Equal(2, output.Rows.Count);
        Dictionary<string, object?> row = output.Names.Zip(output.Rows[0]).ToDictionary(p => p.First, p => p.Second);
        Assert.Equal((sbyte)-8, row["i8"]);
        Assert.Equal(long.MinValue, row["i64"]);
        Assert.Equal(ulong.MaxValue, row["u64"]);
        Assert.Equal((byte)255, row["u8"]);
        Assert.Equal(1.5f, row["f32"]);
        Assert.Equal(12345678.9012m, row["dec"]);
        Assert.Equal("Zoë ✓", row["utf8"]);
        Assert.Equal("large text", row["large_utf8"]);
        Assert.Equal(true, row["flag"]);
        Assert.Equal(new byte[] { 1, 2, 255 }, row["bin"]);
        Assert.Equal(new DateTime(2024, 2, 29), row["d32"]);
        Assert.Equal(new DateTime(2024, 3, 1), row["d64"]);
        DateTime naive = Assert.IsType<DateTime>(row["ts_naive"]);
        Assert.Equal(DateTimeKind.Unspecified, naive.Kind);
        Assert.Equal(new DateTime(2024, 1, 15, 9, 30, 0, 123).AddTicks(4560), naive);
        Assert.Equal(new DateTimeOffset(2024, 6, 1, 12, 0, 0, 250, TimeSpan.Zero), row["ts_utc"]);
        DateTimeOffset offset = Assert.IsType<DateTimeOffset>(row["ts_offset"]);
        Assert.Equal(TimeSpan.FromHours(2), offset.Offset);
        Assert.Equal(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero), offset);
        Assert.Equal("09:30:00.25", row["t32"]);
        Assert.Equal("23:59:59.999999", row["t64"]);
        Assert.Equal(new object?[] { 1, 2, null }, row["list"]);
        PSObject point = Assert.IsType<PSObject>(row["point"]);
        Assert.Equal(new[] { "city", "zip" }, point.Properties.Select(p => p.Name));
        Assert.Equal("Zürich", point.Properties["city"].Value);
        Assert.Equal(8001, point.Properties["zip"].Value);
        Assert.All(output.Rows[1], Assert.Null);
    }

    [Fact]
    public async Task AnEarlyStop_CancelsTheStreamOnTheServer()
    {
        await using FlightDoubleHost server = await Start(tls: true, numbers: 1_000_000);
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca);
        var output = new Collected(stopAfter: 3);
        Assert.Throws<StoppedException>(() => session.Execute(new QueryRequest("SELECT * FROM numbers", null, ResultShape.Rows, null), output, CancellationToken.None));
        Assert.True(SpinWait.SpinUntil(() => server.Stats.Cancellations == 1, TimeSpan.FromSeconds(10)), "the double saw no cancellation");
        Assert.Equal(0, server.Stats.CompletedStreams);

        // The session goes on.
        Assert.Equal(5, Run(session, "SELECT * FROM people").Rows.Count);
    }

    [Fact]
    public async Task CtrlC_CancelsTheStream_AndIsACancellation()
    {
        await using FlightDoubleHost server = await Start(tls: false, numbers: 1_000_000);
        using IEngineSession session = Open(server.Port, ScSslMode.Preferred, null);
        using var stop = new CancellationTokenSource();
        var output = new Collected(onRow: count => { if (count == 2) stop.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => session.Execute(new QueryRequest("SELECT * FROM numbers", null, ResultShape.Rows, null), output, stop.Token));
        Assert.True(SpinWait.SpinUntil(() => server.Stats.Cancellations == 1, TimeSpan.FromSeconds(10)), "the double saw no cancellation");
    }

    [Theory]
    [InlineData("SELECT * FROM fail", "InvalidArgument: Table 'fail' is the Flight double's failing query")]
    [InlineData("SELECT * FROM nowhere", "InvalidArgument: unknown table")]
    public async Task AQueryTheServerRefuses_IsQueryFailed_WithItsStatusAndMessage(string query, string expected)
    {
        await using FlightDoubleHost server = await Start(tls: false);
        using IEngineSession session = Open(server.Port, ScSslMode.Preferred, null);
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => Run(session, query));
        Assert.Equal(ErrorIds.QueryFailed, e.ErrorId);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnErrorAfterRows_IsQueryFailed_SayingHowManyCame()
    {
        await using FlightDoubleHost server = await Start(tls: false);
        using IEngineSession session = Open(server.Port, ScSslMode.Preferred, null);
        var output = new Collected();
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => session.Execute(new QueryRequest("SELECT * FROM failafter", null, ResultShape.Rows, null), output, CancellationToken.None));
        Assert.Equal(ErrorIds.QueryFailed, e.ErrorId);
        Assert.Equal(2000, output.Rows.Count);
        Assert.Contains("Internal: The Flight double's query 'failafter' failed", e.Message, StringComparison.Ordinal);
        Assert.Contains("after 2000 rows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStreamThatBreaks_IsQueryInterrupted_WithTheRowsDelivered()
    {
        await using FlightDoubleHost server = await Start(tls: true);
        using IEngineSession session = Open(server.Port, ScSslMode.VerifyFull, s_chain.Ca);
        var output = new Collected();
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => session.Execute(new QueryRequest("SELECT * FROM cut", null, ResultShape.Rows, null), output, CancellationToken.None));
        Assert.Equal(ErrorIds.QueryInterrupted, e.ErrorId);

        // Two batches were sent before the reset; a reset may discard what the client had not read yet.
        Assert.InRange(output.Rows.Count, 1000, 2000);
        Assert.Contains($"after {output.Rows.Count} rows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnEndpointAtAnotherServer_IsRefused_BeforeAnyRow()
    {
        await using FlightDoubleHost server = await Start(tls: false);
        using IEngineSession session = Open(server.Port, ScSslMode.Preferred, null);
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => Run(session, "SELECT * FROM elsewhere"));
        Assert.Equal(ErrorIds.QueryFailed, e.ErrorId);
        Assert.Contains(DoubleFlightServer.OtherLocation, e.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Stats.CallsOf("DoGet"));
    }

    [Fact]
    public async Task EndpointsWithoutALocation_OrReusingTheConnection_AreReadInOrder_ThroughTheSameChannel()
    {
        await using FlightDoubleHost server = await Start(tls: false, numbers: 1500);
        using IEngineSession session = Open(server.Port, ScSslMode.Preferred, null);
        List<object?[]> rows = Run(session, "SELECT * FROM split").Rows;
        Assert.Equal(3000, rows.Count);
        Assert.Equal(1499L, rows[1499][0]);
        Assert.Equal(0L, rows[1500][0]);
        Assert.Equal(2, server.Stats.CallsOf("DoGet"));
    }

    [Fact]
    public async Task Parameters_AreRefused_BeforeAnythingIsSent()
    {
        await using FlightDoubleHost server = await Start(tls: false);
        using IEngineSession session = Open(server.Port, ScSslMode.Preferred, null);
        int before = server.Stats.Calls;
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => session.Execute(new QueryRequest("SELECT * FROM people", new Hashtable { ["id"] = 1 }, ResultShape.Rows, null), new Collected(), CancellationToken.None));
        Assert.Equal(ErrorIds.ParameterNotApplicable, e.ErrorId);
        Assert.Equal(before, server.Stats.Calls);
    }

    [Fact]
    public void AClosedPort_IsConnectionFailed()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        EngineOpenException e = Assert.Throws<EngineOpenException>(() => Open(port, ScSslMode.VerifyFull, s_chain.Ca));
        Assert.Equal(ErrorIds.ConnectionFailed, e.Error.ErrorId);
    }

    [Fact]
    public void AServerThatNeverAnswers_IsConnectionFailed_WithinTheConnectTimeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var watch = Stopwatch.StartNew();
        EngineOpenException e = Assert.Throws<EngineOpenException>(() => Open(((IPEndPoint)silent.LocalEndpoint).Port, ScSslMode.Preferred, null, connectTimeout: 2));
        Assert.Equal(ErrorIds.ConnectionFailed, e.Error.ErrorId);
        Assert.Equal(ErrorKind.OperationTimeout, e.Error.Kind);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"took {watch.Elapsed}");
    }

    private static Task<FlightDoubleHost> Start(bool tls, X509Certificate2? certificate = null, string? user = null, string? password = null, string? token = null, int numbers = 100_000) =>
        FlightDoubleHost.StartAsync(new DoubleOptions
        {
            Address = IPAddress.Loopback,
            Port = 0,
            Certificate = tls ? certificate ?? s_chain.Server : null,
            User = user,
            Password = password,
            Token = token,
            Numbers = numbers,
            IgnoreStdin = true,
        });

    private static IEngineSession Open(int port, ScSslMode mode, X509Certificate2? ca, NetworkCredential? credential = null, Hashtable? options = null, string? database = null, int connectTimeout = 10)
    {
        var plan = new ConnectionPlan("dremio", IntegrationType.Dremio, RealName, DremioEngine.Port, database, mode, SslModeSource.Integration, null, null, null, options ?? new Hashtable());
        var target = new ConnectionTarget(plan, "127.0.0.1", port, credential, ca, connectTimeout, null);
        var observer = new TlsObserver(mode, RealName, ca);
        return new DremioEngine().Open(target, observer, "Direct", CancellationToken.None);
    }

    private static Hashtable Options(params (string Key, string Value)[] pairs)
    {
        var options = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, string value) in pairs)
        {
            options[key] = value;
        }

        return options;
    }

    private static Collected Run(IEngineSession session, string query, ResultShape shape = ResultShape.Rows)
    {
        var output = new Collected();
        session.Execute(new QueryRequest(query, null, shape, null), output, CancellationToken.None);
        return output;
    }

    private sealed class StoppedException : Exception
    {
    }

    private sealed class Collected : IQueryOutput
    {
        private readonly int _stopAfter;
        private readonly Action<int>? _onRow;

        public Collected(int stopAfter = int.MaxValue, Action<int>? onRow = null)
        {
            _stopAfter = stopAfter;
            _onRow = onRow;
        }

        public string[] Names { get; private set; } = System.Array.Empty<string>();

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
