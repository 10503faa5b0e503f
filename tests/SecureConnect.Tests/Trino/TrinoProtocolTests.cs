using System;
using System.Collections;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Security;
using System.Text.Json;
using SecureConnect.Common;
using SecureConnect.Sql;
using SecureConnect.Sql.Http;
using SecureConnect.Sql.Trino;
using Xunit;

namespace SecureConnect.Tests.Trino;

/// <summary>Trino's type texts and JSON values, the -Option allow-list, nextUri checks and -Parameters literals, without a server.</summary>
public sealed class TrinoProtocolTests
{
    [Theory]
    [InlineData("bigint", "bigint", 0)]
    [InlineData("decimal(38,2)", "decimal", 0)]
    [InlineData("timestamp(3) with time zone", "timestamp with time zone", 0)]
    [InlineData("time(6) with time zone", "time with time zone", 0)]
    [InlineData("interval day to second", "interval day to second", 0)]
    [InlineData("array(map(varchar, array(integer)))", "array", 1)]
    [InlineData("map(varchar(10), row(a bigint))", "map", 2)]
    public void TypeTexts_AreParsed(string text, string name, int arguments)
    {
        TrinoType type = TrinoType.Parse(text);

        Assert.Equal(name, type.Name);
        Assert.Equal(arguments, type.Arguments.Count);
    }

    [Fact]
    public void RowFields_KeepTheirNames_QuotedAndAnonymous()
    {
        TrinoType row = TrinoType.Parse("row(a bigint, \"b c\" timestamp(3) with time zone, \"q\"\"x\" array(varchar), double, time varchar)");

        Assert.Equal(new string?[] { "a", "b c", "q\"x", null, "time" }, row.FieldNames);
        Assert.Equal(new[] { "bigint", "timestamp with time zone", "array", "double", "varchar" }, row.Arguments.Select(a => a.Name));
        Assert.Equal(new[] { 38, 2 }, TrinoType.Parse("decimal(38, 2)").Numbers);
    }

    [Theory]
    [InlineData("row(a bigint")]
    [InlineData("array(")]
    [InlineData("decimal(10,2) trailing")]
    public void BrokenTypeTexts_AreFormatErrors(string text) => Assert.Throws<FormatException>(() => TrinoType.Parse(text));

    [Fact]
    public void Values_FollowTheirType()
    {
        Assert.Equal(DBNull.Value, Convert("bigint", "null"));
        Assert.Equal(double.PositiveInfinity, Convert("double", "\"Infinity\""));
        Assert.Equal(float.NegativeInfinity, Convert("real", "\"-Infinity\""));
        Assert.Equal(new DateTime(2024, 1, 2, 3, 4, 5).AddTicks(1234567), Convert("timestamp(12)", "\"2024-01-02 03:04:05.123456789012\""));
        Assert.Equal(new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(-7)), Convert("timestamp(0) with time zone", "\"2024-01-02 03:04:05 -07:00\""));
        Assert.Equal("-P1DT1S", Convert("interval day to second", "\"-1 00:00:01.000\""));
        Assert.Equal("13:45:30.5+02:00", Convert("time(3) with time zone", "\"13:45:30.500+02:00\""));
        Assert.Equal("-P1Y2M", Convert("interval year to month", "\"-1-2\""));
        Assert.Equal("P1Y2M", Convert("interval year to month", "\"1-2\""));
        Assert.Equal("12:00:00+01:00", Convert("time(3) with time zone", "\"12:00:00.000 +01:00\""));
        Assert.Equal("POINT (1 2)", Convert("geometry", "\"POINT (1 2)\""));
        Assert.Equal("{\"a\":1}", Convert("somefuturetype", "{\"a\":1}"));
        var anonymous = Assert.IsType<PSObject>(Convert("row(bigint, varchar)", "[1,\"x\"]"));
        Assert.Equal(new[] { "field1", "field2" }, anonymous.Properties.Select(p => p.Name));
        Assert.Throws<FormatException>(() => Convert("timestamp(3) with time zone", "\"2024-01-02 03:04:05.000 Nowhere/Atlantis\""));
    }

    [Theory]
    [InlineData(typeof(long), "bigint")]
    [InlineData(typeof(decimal), "decimal(28,4)")]
    [InlineData(typeof(object), "decimal(38,4)")]
    [InlineData(typeof(DateTimeOffset), "timestamp(6) with time zone")]
    [InlineData(typeof(string), "time(3)")]
    [InlineData(typeof(object), "array(bigint)")]
    [InlineData(typeof(string), "ipaddress")]
    public void ColumnTypes_ForDataTables(Type expected, string text) => Assert.Equal(expected, TrinoTypes.ClrType(TrinoType.Parse(text)));

    [Fact]
    public void Options_BecomeTheSessionHeaders()
    {
        TrinoSessionHeaders headers = TrinoOptions.From(new Hashtable { ["catalog"] = "iceberg", ["SessionProperties"] = "a=1, hive.b=x y" }, "hive.sales");

        Assert.Equal("iceberg", headers.Catalog);
        Assert.Equal("sales", headers.Schema);
        Assert.Equal("SecureConnect", headers.Source);
        Assert.Contains(new("X-Trino-Session", "a=1,hive.b=x%20y"), headers.Headers());
        Assert.DoesNotContain(headers.Headers(), h => h.Key == "X-Trino-Time-Zone");
    }

    [Theory]
    [InlineData("SSL", ErrorIds.SslPolicyViolation)]
    [InlineData("SSLVerification", ErrorIds.SslPolicyViolation)]
    [InlineData("SSLTrustStorePath", ErrorIds.SslPolicyViolation)]
    [InlineData("tls", ErrorIds.SslPolicyViolation)]
    [InlineData("Password", ErrorIds.InvalidOption)]
    [InlineData("User", ErrorIds.InvalidOption)]
    [InlineData("AccessToken", ErrorIds.InvalidOption)]
    [InlineData("ExtraCredentials", ErrorIds.InvalidOption)]
    [InlineData("KerberosPrincipal", ErrorIds.InvalidOption)]
    [InlineData("HttpProxy", ErrorIds.InvalidOption)]
    [InlineData("Host", ErrorIds.InvalidOption)]
    [InlineData("max_threads", ErrorIds.InvalidOption)]
    public void Options_OffTheList_AreRefused(string key, string errorId)
    {
        var e = Assert.Throws<SecureConnectException>(() => new TrinoEngine().CheckOptions(new Hashtable { [key] = "x" }));
        Assert.Equal(errorId, e.ErrorId);
    }

    [Theory]
    [InlineData("Catalog", "hive; DROP")]
    [InlineData("Source", "a\r\nX-Injected: 1")]
    [InlineData("SessionProperties", "novalue")]
    [InlineData("TimeZone", "Europe/Paris\nX")]
    public void OptionValues_ThatCouldNotBeSentFaithfully_AreRefused(string key, string value)
    {
        var e = Assert.Throws<SecureConnectException>(() => new TrinoEngine().CheckOptions(new Hashtable { [key] = value }));
        Assert.Equal(ErrorIds.InvalidOption, e.ErrorId);
    }

    [Fact]
    public void ConnectionStrings_SplitEndpointLoginAndOptions()
    {
        ParsedConnectionString parsed = new TrinoEngine().Parse("Host=trino.internal;Port=8443;User=me;Password=pw;Database=hive.sales;Source=etl");

        Assert.Equal(("trino.internal", 8443, "hive.sales", "me", "pw"), (parsed.Host, parsed.Port, parsed.Database, parsed.User, parsed.Password));
        Assert.Equal("etl", parsed.Options["Source"]);
    }

    [Fact]
    public void NextUris_OnlyOnTheIntegrationsHostAndPort()
    {
        var observer = new TlsObserver(SslMode.Required, "trino.internal", null);
        using var transport = new TrinoTransport("trino.internal", new HttpRoute("127.0.0.1", 40000, Tls: true, 8443, "tunnel"), null, observer, TimeSpan.FromSeconds(1));

        Assert.Equal("http://trino.internal:8443/v1/statement/executing/q/s/1", transport.Follow("https://TRINO.internal:8443/v1/statement/executing/q/s/1").AbsoluteUri);
        Assert.Throws<TrinoProtocolException>(() => transport.Follow("https://trino.internal:8444/v1/statement/executing/q/s/1"));
        Assert.Throws<TrinoProtocolException>(() => transport.Follow("https://127.0.0.1:40000/v1/statement/executing/q/s/1"));
        Assert.Throws<TrinoProtocolException>(() => transport.Follow("https://trino.internal.evil.example:8443/v1/x"));
        Assert.Throws<TrinoProtocolException>(() => transport.Follow("file:///etc/passwd"));
        Assert.Throws<TrinoProtocolException>(() => transport.Follow("/v1/statement/relative"));
    }

    [Fact]
    public void APassword_IsNeverGivenToAPlainRoute()
    {
        var observer = new TlsObserver(SslMode.Preferred, "trino.internal", null);
        Assert.Throws<InvalidOperationException>(() => new TrinoTransport("trino.internal", new HttpRoute("127.0.0.1", 8080, Tls: false, 8080, "Direct"), new NetworkCredential("me", "pw"), observer, TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData("it's", "'it''s'")]
    [InlineData(true, "TRUE")]
    [InlineData(1.5d, "DOUBLE '1.5'")]
    [InlineData(double.NaN, "CAST(nan() AS DOUBLE)")]
    [InlineData(1.1f, "REAL '1.1'")]
    [InlineData(-7L, "BIGINT '-7'")]
    public void Literals_AreTyped(object value, string literal) => Assert.Equal(literal, TrinoParameters.Literal("@v", value));

    [Fact]
    public void Literals_OfDatesGuidsBytesAndDecimals()
    {
        Assert.Equal("TIMESTAMP '2024-01-02 03:04:05.1234567 UTC'", TrinoParameters.Literal("@v", new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1234567)));
        Assert.Equal("TIMESTAMP '2024-01-02 03:04:05.0000000 +05:30'", TrinoParameters.Literal("@v", new DateTimeOffset(2024, 1, 2, 3, 4, 5, new TimeSpan(5, 30, 0))));
        Assert.Equal("TIME '13:45:30.1230000'", TrinoParameters.Literal("@v", new TimeSpan(0, 13, 45, 30, 123)));
        Assert.Equal("UUID '12151fd2-7586-11e9-8f9e-2a86e4085a59'", TrinoParameters.Literal("@v", Guid.Parse("12151fd2-7586-11e9-8f9e-2a86e4085a59")));
        Assert.Equal("X'0001FF'", TrinoParameters.Literal("@v", new byte[] { 0, 1, 255 }));
        Assert.Equal("DECIMAL '-12.50'", TrinoParameters.Literal("@v", -12.50m));
        Assert.Equal(ErrorIds.InvalidParameterValue, Assert.Throws<SecureConnectException>(() => TrinoParameters.Literal("@v", TimeSpan.FromDays(2))).ErrorId);
    }

    [Fact]
    public void Parameters_ThatAreMissing_Secret_OrUnused_AreRefusedBeforeTheQuery()
    {
        Assert.Null(TrinoParameters.Prepare("SELECT 1", null));
        Assert.Equal(ErrorIds.InvalidParameterValue, Assert.Throws<SecureConnectException>(() => TrinoParameters.Prepare("SELECT @a, @b", new Hashtable { ["a"] = 1 })).ErrorId);
        Assert.Equal(ErrorIds.InvalidParameterValue, Assert.Throws<SecureConnectException>(() => TrinoParameters.Prepare("SELECT 1", new Hashtable { ["a"] = 1 })).ErrorId);
        Assert.Equal(ErrorIds.InvalidParameterValue, Assert.Throws<SecureConnectException>(() => TrinoParameters.Prepare("SELECT @a", new Hashtable { ["a"] = new SecureString() })).ErrorId);
        TrinoPrepared prepared = TrinoParameters.Prepare("SELECT \"@col\", /* @x */ @a", new Hashtable { ["A"] = "x y" })!;
        Assert.Equal("secureconnect_statement=SELECT%20%22%40col%22%2C%20%2F%2A%20%40x%20%2A%2F%20%3F", prepared.PreparedHeader);
        Assert.Equal("EXECUTE secureconnect_statement USING 'x y'", prepared.Execute);
    }

    private static object Convert(string type, string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return TrinoTypes.Convert(TrinoType.Parse(type), document.RootElement.Clone());
    }
}
