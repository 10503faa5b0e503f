using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using Apache.Arrow;
using Apache.Arrow.Flight;
using Apache.Arrow.Types;
using SecureConnect.Common;
using SecureConnect.Sql;
using SecureConnect.Sql.Dremio;
using Xunit;

namespace SecureConnect.Tests.Dremio;

/// <summary>Dremio's -Option allow-list, its -ConnectionString, and which Flight endpoints are read through the connection.</summary>
public sealed class DremioOptionsTests
{
    [Fact]
    public void TheAllowedOptions_BecomeTheLoginFormAndSessionHeaders()
    {
        DremioOptions options = DremioOptionNames.From(new Hashtable { ["AuthMode"] = "token", ["routing-tag"] = "etl", ["Routing Queue"] = "High", ["Engine"] = "e1" }, "space.folder");
        Assert.Equal(DremioAuthMode.Token, options.AuthMode);
        Assert.Equal("space.folder", options.Schema);
        Assert.Equal(
            new[] { ("schema", "space.folder"), ("routing_tag", "etl"), ("routing_queue", "High"), ("engine", "e1") }.OrderBy(p => p.Item1),
            options.Headers.Select(h => (h.Key, h.Value)).OrderBy(p => p.Item1));
        Assert.Equal(DremioAuthMode.Basic, DremioOptionNames.From(new Hashtable()).AuthMode);
        Assert.Equal("s", DremioOptionNames.From(new Hashtable { ["Schema"] = "s" }).Schema);
    }

    [Theory]
    [InlineData("useEncryption")]
    [InlineData("disableCertificateVerification")]
    [InlineData("trustedCerts")]
    [InlineData("tls")]
    public void TlsKeys_AreSslPolicyViolation(string key)
    {
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => DremioOptionNames.From(new Hashtable { [key] = "false" }));
        Assert.Equal(ErrorIds.SslPolicyViolation, e.ErrorId);
    }

    [Theory]
    [InlineData("Host")]
    [InlineData("password")]
    [InlineData("token")]
    [InlineData("authorization")]
    [InlineData("cookie")]
    [InlineData("Location")]
    [InlineData("somethingElse")]
    public void EndpointLoginAndUnknownKeys_AreInvalidOption(string key)
    {
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => DremioOptionNames.From(new Hashtable { [key] = "x" }));
        Assert.Equal(ErrorIds.InvalidOption, e.ErrorId);
    }

    [Theory]
    [InlineData("AuthMode", "Bearer")]
    [InlineData("AuthMode", "1")]
    [InlineData("RoutingTag", "")]
    [InlineData("RoutingTag", "line\nbreak")]
    [InlineData("Schema", "ünïcode")]
    public void BadValues_AreInvalidOption(string key, string value)
    {
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => DremioOptionNames.From(new Hashtable { [key] = value }));
        Assert.Equal(ErrorIds.InvalidOption, e.ErrorId);
    }

    [Fact]
    public void SchemaAndADifferentDatabase_AreRefused()
    {
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => DremioOptionNames.From(new Hashtable { ["Schema"] = "a" }, "b"));
        Assert.Equal(ErrorIds.InvalidOption, e.ErrorId);
        Assert.Equal("a", DremioOptionNames.From(new Hashtable { ["Schema"] = "a" }, "a").Schema);
    }

    [Fact]
    public void AConnectionString_GivesEndpointLoginSchemaAndOptions()
    {
        ParsedConnectionString parsed = DremioOptionNames.Parse("Host=dremio.internal;Port=32011;UID=reader;PWD=pw;Schema=lake;RoutingTag=etl;AuthMode=Basic");
        Assert.Equal(("dremio.internal", 32011, "lake", "reader", "pw"), (parsed.Host, parsed.Port, parsed.Database, parsed.User, parsed.Password));
        Assert.Equal("etl", parsed.Options["RoutingTag"]);
        Assert.Throws<SecureConnectException>(() => DremioOptionNames.Parse("Host=h;useEncryption=false"));
        Assert.Throws<FormatException>(() => DremioOptionNames.Parse("Host=h;Port=x"));
    }

    [Theory]
    [InlineData("arrow-flight-reuse-connection://?", true)]
    [InlineData("grpc+tls://dremio.internal:32010", true)]
    [InlineData("grpc+tcp://DREMIO.internal:32010", true)]
    [InlineData("grpc+tls://dremio.internal:32011", false)]
    [InlineData("grpc+tls://10.0.0.9:32010", false)]
    [InlineData("grpc+tls://other.internal:32010", false)]
    [InlineData("not a uri", false)]
    public void AnEndpointLocation_IsThisServer_OnlyByTheRealNameAndPort_OrTheReuseScheme(string location, bool expected)
    {
        Assert.Equal(expected, DremioSession.IsThisServer(location, "dremio.internal", 32010));
    }

    [Fact]
    public void Tickets_KeepTheOrder_AndRefuseAnEndpointOnlyElsewhere()
    {
        var schema = new Schema.Builder().Field(f => f.Name("n").DataType(Int32Type.Default)).Build();
        var descriptor = FlightDescriptor.CreateCommandDescriptor("q");
        var here = new FlightInfo(schema, descriptor, new[]
        {
            new FlightEndpoint(new FlightTicket("a"), System.Array.Empty<FlightLocation>()),
            new FlightEndpoint(new FlightTicket("b"), new[] { new FlightLocation("grpc+tls://elsewhere:1"), new FlightLocation("grpc+tls://dremio.internal:32010") }),
        }, -1, -1);
        Assert.Equal(new[] { "a", "b" }, DremioSession.Tickets(here, "dremio.internal", 32010, "d").Select(t => t.Ticket.ToStringUtf8()));

        var elsewhere = new FlightInfo(schema, descriptor, new[] { new FlightEndpoint(new FlightTicket("c"), new[] { new FlightLocation("grpc+tls://elsewhere:1") }) }, -1, -1);
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => DremioSession.Tickets(elsewhere, "dremio.internal", 32010, "d"));
        Assert.Equal(ErrorIds.QueryFailed, e.ErrorId);
        Assert.Contains("grpc+tls://elsewhere:1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheEngine_IsRegistered_OnPort32010_AndRefusesParameters()
    {
        IEngine engine = Engines.For(IntegrationType.Dremio);
        Assert.IsType<DremioEngine>(engine);
        Assert.Equal(32010, engine.DefaultPort(IntegrationType.Dremio));
        Assert.Null(engine.PlainFallbackPort(32010));
        SecureConnectException e = Assert.Throws<SecureConnectException>(() => engine.CheckQuery(new QueryRequest("SELECT 1", new Hashtable { ["a"] = 1 }, ResultShape.Rows, null)));
        Assert.Equal(ErrorIds.ParameterNotApplicable, e.ErrorId);
    }
}
