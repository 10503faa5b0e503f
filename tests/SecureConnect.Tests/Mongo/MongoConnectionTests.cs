using System;
using System.Collections;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using MongoDB.Bson;
using MongoDB.Driver;
using MongoDB.Driver.Core.Clusters;
using MongoDB.Driver.Core.Connections;
using MongoDB.Driver.Core.Servers;
using SecureConnect.Common;
using SecureConnect.Integrations;
using SecureConnect.Sql;
using SecureConnect.Sql.Mongo;
using SecureConnect.Tests.ClickHouse;
using Xunit;
using ScSslMode = SecureConnect.SslMode;

namespace SecureConnect.Tests.Mongo;

/// <summary>
/// How a MongoDB connection is set up and how its failures read: -Option and connection strings, the driver's
/// settings for each SSL mode, and the driver's exceptions mapped to the common ids.
/// </summary>
public sealed class MongoConnectionTests
{
    private const string RealName = "mongo.example.internal";

    private static readonly (X509Certificate2 Ca, X509Certificate2 Server) s_chain = ClickHouseHttpDouble.MakeServerChain("Mongo test CA", RealName);
    private static readonly (X509Certificate2 Ca, X509Certificate2 Server) s_rogue = ClickHouseHttpDouble.MakeServerChain("Rogue CA", RealName);
    private static readonly ConnectionId s_connection = new(new ServerId(new ClusterId(), new DnsEndPoint("127.0.0.1", 40001)));

    [Fact]
    public void Engine_IsMongoDB_OnPort27017_WithTheCertificateCallbackAndServerSideCancel()
    {
        IEngine engine = Engines.For(IntegrationType.MongoDB);

        Assert.IsType<MongoEngine>(engine);
        Assert.Equal(27017, engine.DefaultPort(IntegrationType.MongoDB));
        Assert.True(engine.Capabilities.HasFlag(EngineCapabilities.CertificateCallback));
        Assert.True(engine.Capabilities.HasFlag(EngineCapabilities.ServerSideCancel));
        Assert.True(engine.Capabilities.HasFlag(EngineCapabilities.CollectionQueries));
        Assert.False(engine.Capabilities.HasFlag(EngineCapabilities.ServerReportsEncryption));
        Assert.False(Engines.For(IntegrationType.PostgreSQL).Capabilities.HasFlag(EngineCapabilities.CollectionQueries));
    }

    [Fact]
    public void Options_DefaultToAuthSourceAdmin_AndTakeTheAllowedKeys()
    {
        MongoOptions none = MongoOptionNames.From(new Hashtable());
        MongoOptions some = MongoOptionNames.From(new Hashtable { ["AuthSource"] = "shop", ["authMechanism"] = "scram-sha-256", ["AppName"] = "runbook", ["ReadPreference"] = "secondaryPreferred", ["MaxTimeMS"] = 5000 });

        Assert.Equal("admin", none.AuthSource);
        Assert.Null(none.AuthMechanism);
        Assert.Equal("shop", some.AuthSource);
        Assert.Equal("SCRAM-SHA-256", some.AuthMechanism);
        Assert.Equal("runbook", some.AppName);
        Assert.Equal(ReadPreferenceMode.SecondaryPreferred, some.ReadPreference!.ReadPreferenceMode);
        Assert.Equal(5000, some.MaxTimeMS);
    }

    [Theory]
    [InlineData("tls", ErrorIds.SslPolicyViolation)]
    [InlineData("tlsInsecure", ErrorIds.SslPolicyViolation)]
    [InlineData("tlsAllowInvalidCertificates", ErrorIds.SslPolicyViolation)]
    [InlineData("tlsAllowInvalidHostnames", ErrorIds.SslPolicyViolation)]
    [InlineData("tlsCAFile", ErrorIds.SslPolicyViolation)]
    [InlineData("ssl", ErrorIds.SslPolicyViolation)]
    [InlineData("directConnection", ErrorIds.InvalidOption)]
    [InlineData("replicaSet", ErrorIds.InvalidOption)]
    [InlineData("serverSelectionTimeoutMS", ErrorIds.InvalidOption)]
    [InlineData("password", ErrorIds.InvalidOption)]
    [InlineData("compressors", ErrorIds.InvalidOption)]
    public void Options_RefuseTlsEndpointAndUnlistedKeys(string key, string errorId)
    {
        var error = Assert.Throws<SecureConnectException>(() => MongoOptionNames.From(new Hashtable { [key] = "x" }));

        Assert.Equal(errorId, error.ErrorId);
    }

    [Theory]
    [InlineData("AuthMechanism", "MONGODB-X509")]
    [InlineData("AuthMechanism", "PLAIN")]
    [InlineData("ReadPreference", "fastest")]
    [InlineData("MaxTimeMS", "-1")]
    public void Options_RefuseValuesOffTheList(string key, string value)
    {
        var error = Assert.Throws<SecureConnectException>(() => MongoOptionNames.From(new Hashtable { [key] = value }));

        Assert.Equal(ErrorIds.InvalidOption, error.ErrorId);
    }

    [Fact]
    public void ConnectionString_GivesEndpointLoginDatabaseAndOptions()
    {
        ParsedConnectionString parsed = MongoOptionNames.Parse("mongodb://report:s3cret@db.internal:27018/shop?authSource=admin&appName=nightly");

        Assert.Equal("db.internal", parsed.Host);
        Assert.Equal(27018, parsed.Port);
        Assert.Equal("shop", parsed.Database);
        Assert.Equal("report", parsed.User);
        Assert.Equal("s3cret", parsed.Password);
        Assert.Equal("admin", parsed.Options["authSource"]);
        Assert.Equal("nightly", parsed.Options["appName"]);
    }

    [Theory]
    [InlineData("mongodb://db.internal/?tls=true", ErrorIds.SslPolicyViolation)]
    [InlineData("mongodb://db.internal/?ssl=false", ErrorIds.SslPolicyViolation)]
    [InlineData("mongodb://db.internal/?tlsAllowInvalidCertificates=true", ErrorIds.SslPolicyViolation)]
    [InlineData("mongodb://db.internal/?replicaSet=rs0", ErrorIds.InvalidOption)]
    [InlineData("mongodb+srv://cluster0.example.net/shop", ErrorIds.InvalidConnectionString)]
    [InlineData("mongodb://a.internal,b.internal/shop", ErrorIds.InvalidConnectionString)]
    [InlineData("Host=db.internal;Port=27017", ErrorIds.InvalidConnectionString)]
    public void ConnectionString_RefusesTlsKeys_Srv_SeveralHosts_AndOtherForms(string connectionString, string errorId)
    {
        var request = new AdHocRequest(IntegrationType.MongoDB, null, 0, null, connectionString, null, null, null, null);

        var error = Assert.Throws<SecureConnectException>(() => ConnectionPlans.ForAdHoc(request, new SslPolicyLevels(null, null)));

        Assert.Equal(errorId, error.ErrorId);
        if (connectionString.StartsWith("mongodb+srv", StringComparison.Ordinal))
        {
            Assert.Contains("tunnel", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ConnectionString_WithAPassword_IsWarnedAbout()
    {
        var request = new AdHocRequest(IntegrationType.MongoDB, null, 0, null, "mongodb://report:s3cret@db.internal/shop", null, null, null, null);

        PlannedConnection planned = ConnectionPlans.ForAdHoc(request, new SslPolicyLevels(null, null));

        Assert.Single(planned.Warnings);
        Assert.Equal(27017, planned.Plan.Port);
        Assert.Equal("report", planned.Login!.UserName);
    }

    [Theory]
    [InlineData(ScSslMode.Preferred)]
    [InlineData(ScSslMode.Required)]
    [InlineData(ScSslMode.VerifyCA)]
    [InlineData(ScSslMode.VerifyFull)]
    public void Settings_AreADirectBoundedConnection_WithTlsCheckedByTheObserver(ScSslMode mode)
    {
        ConnectionTarget target = Target(mode, new Hashtable());
        var observer = new TlsObserver(mode, RealName, s_chain.Ca);
        var seen = new MongoTlsSeen(observer);

        MongoClientSettings settings = MongoClientSetup.Build(target, MongoOptionNames.From(target.Options), tls: true, seen.Validate, null);

        Assert.True(settings.DirectConnection);
        Assert.Equal(new MongoServerAddress("127.0.0.1", 40001), settings.Server);
        Assert.Equal(TimeSpan.FromSeconds(7), settings.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(7), settings.ServerSelectionTimeout);
        Assert.Equal(1, settings.MaxConnectionPoolSize);
        Assert.Equal(ServerMonitoringMode.Poll, settings.ServerMonitoringMode);
        Assert.False(settings.RetryReads);
        Assert.False(settings.RetryWrites);
        Assert.True(settings.UseTls);
        Assert.False(settings.AllowInsecureTls);

        // The driver's callback is the observer's: it sees the certificate, and under VerifyCA and VerifyFull refuses
        // one from another CA; Required and Preferred take any certificate (encrypted, not authenticated).
        bool rogueAccepted = settings.SslSettings.ServerCertificateValidationCallback(this, s_rogue.Server, null, SslPolicyErrors.RemoteCertificateChainErrors);
        Assert.True(observer.HandshakeSeen);
        Assert.Equal(mode < ScSslMode.VerifyCA, rogueAccepted);
        Assert.Equal(mode >= ScSslMode.VerifyCA, observer.Failure is not null);
    }

    [Fact]
    public void Settings_VerifyFull_ChecksTheRealHostName_NotTheTunnelsEnd()
    {
        var observer = new TlsObserver(ScSslMode.VerifyFull, RealName, s_chain.Ca);
        MongoClientSettings settings = MongoClientSetup.Build(Target(ScSslMode.VerifyFull, new Hashtable()), MongoOptions.Default, tls: true, new MongoTlsSeen(observer).Validate, null);

        Assert.True(settings.SslSettings.ServerCertificateValidationCallback(this, s_chain.Server, null, SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.True(observer.ChainValidated);
        Assert.True(observer.HostNameVerified);
    }

    [Fact]
    public void Settings_OfPreferredsPlaintextAttempt_HaveNoTls()
    {
        MongoClientSettings settings = MongoClientSetup.Build(Target(ScSslMode.Preferred, new Hashtable()), MongoOptions.Default, tls: false, new MongoTlsSeen(new TlsObserver(ScSslMode.Preferred, RealName, (X509Certificate2?)null)).Validate, null);

        Assert.False(settings.UseTls);
        Assert.True(settings.DirectConnection);
    }

    [Fact]
    public void Settings_LogInWithScram_AgainstAdmin_OrTheChosenSourceAndMechanism()
    {
        var login = new NetworkCredential("report", "s3cret");
        ConnectionTarget target = Target(ScSslMode.Required, new Hashtable(), login);
        ConnectionTarget chosen = Target(ScSslMode.Required, new Hashtable { ["AuthSource"] = "shop", ["AuthMechanism"] = "SCRAM-SHA-1" }, login);
        RemoteCertificateValidationCallback any = (_, _, _, _) => true;

        MongoCredential negotiated = MongoClientSetup.Build(target, MongoOptionNames.From(target.Options), true, any, null).Credential;
        MongoCredential sha1 = MongoClientSetup.Build(chosen, MongoOptionNames.From(chosen.Options), true, any, null).Credential;

        Assert.Null(negotiated.Mechanism);
        Assert.Equal("admin", negotiated.Source);
        Assert.Equal("report", negotiated.Username);
        Assert.Equal("SCRAM-SHA-1", sha1.Mechanism);
        Assert.Equal("shop", sha1.Source);
    }

    [Fact]
    public void NoTls_IsAHandshakeThatEndedBeforeAnyCertificate()
    {
        var fresh = new TlsObserver(ScSslMode.Preferred, RealName, (X509Certificate2?)null);
        var eof = new MongoConnectionException(s_connection, "An exception occurred while opening a connection to the server.", new IOException("Received an unexpected EOF or 0 bytes from the transport stream."));
        var closed = new MongoConnectionException(s_connection, "opening", new AuthenticationException("Authentication failed because the remote party has closed the transport stream."));
        var refused = new MongoConnectionException(s_connection, "opening", new SocketException((int)SocketError.ConnectionRefused));
        var timedOut = new MongoConnectionException(s_connection, "opening", new IOException("timed out", new SocketException((int)SocketError.TimedOut)));

        Assert.True(MongoErrors.IsNoTls(eof, fresh));
        Assert.True(MongoErrors.IsNoTls(closed, fresh));
        Assert.False(MongoErrors.IsNoTls(refused, fresh));
        Assert.False(MongoErrors.IsNoTls(timedOut, fresh));
        Assert.False(MongoErrors.IsNoTls(new TimeoutException("A timeout occurred after 7000ms selecting a server"), fresh));

        var sawCertificate = new TlsObserver(ScSslMode.Preferred, RealName, (X509Certificate2?)null);
        sawCertificate.Validate(this, s_chain.Server, null, SslPolicyErrors.None);
        Assert.False(MongoErrors.IsNoTls(eof, sawCertificate));
    }

    [Fact]
    public void OpenFailures_MapToTheCommonIds()
    {
        var fresh = new TlsObserver(ScSslMode.Required, RealName, (X509Certificate2?)null);
        var eof = new MongoConnectionException(s_connection, "opening", new IOException("Received an unexpected EOF or 0 bytes from the transport stream."));
        var badLogin = new MongoAuthenticationException(s_connection, "Unable to authenticate using sasl protocol mechanism SCRAM-SHA-256.");
        var code18 = new MongoCommandException(s_connection, "Command saslContinue failed: Authentication failed.", new BsonDocument("saslContinue", 1), new BsonDocument { { "ok", 0 }, { "code", 18 }, { "codeName", "AuthenticationFailed" }, { "errmsg", "Authentication failed." } });
        var rejecting = new TlsObserver(ScSslMode.VerifyFull, RealName, s_chain.Ca);
        rejecting.Validate(this, s_rogue.Server, null, SslPolicyErrors.None);

        Assert.Equal(ErrorIds.SslNotAvailable, MongoErrors.ClassifyOpen(eof, ScSslMode.Required, fresh, tlsAttempt: true, 27017).ErrorId);
        Assert.Equal(ErrorIds.ConnectionFailed, MongoErrors.ClassifyOpen(eof, ScSslMode.Preferred, fresh, tlsAttempt: false, 27017).ErrorId);
        Assert.Equal(ErrorIds.DatabaseAuthenticationFailed, MongoErrors.ClassifyOpen(badLogin, ScSslMode.Required, fresh, true, 27017).ErrorId);
        Assert.Equal(ErrorIds.DatabaseAuthenticationFailed, MongoErrors.ClassifyOpen(code18, ScSslMode.Required, fresh, true, 27017).ErrorId);
        Assert.Equal(ErrorIds.SslCertificateInvalid, MongoErrors.ClassifyOpen(new MongoConnectionException(s_connection, "opening", new AuthenticationException("rejected")), ScSslMode.VerifyFull, rejecting, true, 27017).ErrorId);

        ClassifiedError timeout = MongoErrors.ClassifyOpen(new TimeoutException("A timeout occurred after 7000ms selecting a server."), ScSslMode.Required, fresh, true, 27017);
        Assert.Equal(ErrorIds.ConnectionFailed, timeout.ErrorId);
        Assert.Equal(ErrorKind.OperationTimeout, timeout.Kind);
        Assert.Contains("7000ms", timeout.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACommandTheServerRefuses_IsQueryFailed_WithCodeCodeNameAndMessage()
    {
        var refused = new MongoCommandException(s_connection, "Command find failed: unknown operator: $foo.", new BsonDocument("find", "orders"), new BsonDocument { { "ok", 0 }, { "code", 2 }, { "codeName", "BadValue" }, { "errmsg", "unknown operator: $foo" } });

        SecureConnectException error = MongoErrors.QueryFailed("shopdb", refused, 3);

        Assert.Equal(ErrorIds.QueryFailed, error.ErrorId);
        Assert.Contains("Code 2 (BadValue): unknown operator: $foo", error.Message, StringComparison.Ordinal);
        Assert.Contains("after 3 documents", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AReplyThatReportsFailedWrites_IsQueryFailed()
    {
        BsonDocument reply = BsonDocument.Parse("{ \"n\": 0, \"writeErrors\": [ { \"index\": 0, \"code\": 11000, \"codeName\": \"DuplicateKey\", \"errmsg\": \"E11000 duplicate key\" } ], \"ok\": 1 }");

        SecureConnectException? error = MongoErrors.WriteFailed("shopdb", reply);

        Assert.NotNull(error);
        Assert.Equal(ErrorIds.QueryFailed, error!.ErrorId);
        Assert.Contains("Code 11000 (DuplicateKey): E11000 duplicate key", error.Message, StringComparison.Ordinal);
        Assert.Null(MongoErrors.WriteFailed("shopdb", BsonDocument.Parse("{ \"n\": 1, \"ok\": 1 }")));
    }

    [Theory]
    [InlineData("10.0.0.5:51234", "10.0.0.5")]
    [InlineData("[::1]:51234", "::1")]
    public void TheAddressTheServerSees_IsWithoutItsPort(string endpoint, string address)
    {
        Assert.Equal(address, MongoSession.HostOf(endpoint));
    }

    private static ConnectionTarget Target(ScSslMode mode, Hashtable options, NetworkCredential? login = null)
    {
        var plan = new ConnectionPlan("shopdb", IntegrationType.MongoDB, RealName, 27017, "shop", mode, SslModeSource.Integration, null, null, null, options);
        return new ConnectionTarget(plan, "127.0.0.1", 40001, login, null, 7, null);
    }
}
