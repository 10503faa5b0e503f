using System;
using System.Collections;
using System.Net;
using Microsoft.Data.SqlClient;
using MySqlConnector;
using Npgsql;
using SecureConnect.Common;
using SecureConnect.Sql;
using Xunit;
using ScSslMode = SecureConnect.SslMode;

namespace SecureConnect.Tests.Sql;

public sealed class ProviderMappingTests
{
    private static ConnectionTarget Target(IntegrationType type, ScSslMode mode, IDictionary? options = null, string connectHost = "127.0.0.1") => new(
        Plan(type, "db.example.internal", 5432, "app", mode, options ?? new Hashtable()), connectHost, 40000, new NetworkCredential("report", "s3cret-pw"), null, 15, 30);

    private static ConnectionPlan Plan(IntegrationType type, string host, int port, string? database, ScSslMode mode, IDictionary options) =>
        new("test", type, host, port, database, mode, SecureConnect.Integrations.SslModeSource.Integration, null, null, null, options);

    [Theory]
    [InlineData(ScSslMode.Preferred, Npgsql.SslMode.Prefer)]
    [InlineData(ScSslMode.Required, Npgsql.SslMode.Require)]
    [InlineData(ScSslMode.VerifyCA, Npgsql.SslMode.Require)]
    [InlineData(ScSslMode.VerifyFull, Npgsql.SslMode.Require)]
    public void Npgsql_MapsEveryMode_AndConnectsToTheTunnelEnd(ScSslMode mode, Npgsql.SslMode expected)
    {
        NpgsqlConnectionStringBuilder builder = NpgsqlProvider.Build(Target(IntegrationType.PostgreSQL, mode));
        Assert.Equal(expected, builder.SslMode);
        Assert.Equal("127.0.0.1", builder.Host);
        Assert.Equal(40000, builder.Port);
        Assert.Equal(30, builder.CommandTimeout);
        Assert.False(builder.Pooling);
    }

    [Theory]
    [InlineData(ScSslMode.Preferred, MySqlSslMode.Preferred)]
    [InlineData(ScSslMode.Required, MySqlSslMode.Required)]
    [InlineData(ScSslMode.VerifyCA, MySqlSslMode.Required)]
    [InlineData(ScSslMode.VerifyFull, MySqlSslMode.Required)]
    public void MySql_MapsEveryMode(ScSslMode mode, MySqlSslMode expected)
    {
        MySqlConnectionStringBuilder builder = MySqlProvider.Build(Target(IntegrationType.MariaDB, mode));
        Assert.Equal(expected, builder.SslMode);
        Assert.Equal("127.0.0.1", builder.Server);
        Assert.Equal(40000u, builder.Port);
    }

    [Theory]
    [InlineData(ScSslMode.Preferred, "Optional", true, "")]
    [InlineData(ScSslMode.Required, "Mandatory", true, "")]
    [InlineData(ScSslMode.VerifyCA, "Mandatory", false, "db.example.internal")]
    [InlineData(ScSslMode.VerifyFull, "Mandatory", false, "db.example.internal")]
    public void SqlServer_MapsEveryMode_WithTheRealHostNameThroughATunnel(ScSslMode mode, string encrypt, bool trust, string hostNameInCertificate)
    {
        SqlConnectionStringBuilder builder = SqlServerProvider.Build(Target(IntegrationType.SqlServer, mode));
        SqlConnectionEncryptOption expected = encrypt == "Optional" ? SqlConnectionEncryptOption.Optional : SqlConnectionEncryptOption.Mandatory;
        Assert.Equal(expected, builder.Encrypt);
        Assert.Equal(trust, builder.TrustServerCertificate);
        Assert.Equal(hostNameInCertificate, builder.HostNameInCertificate);
        Assert.Equal("tcp:127.0.0.1,40000", builder.DataSource);
    }

    [Fact]
    public void SqlServer_Direct_NeedsNoHostNameOverride()
    {
        SqlConnectionStringBuilder builder = SqlServerProvider.Build(Target(IntegrationType.SqlServer, ScSslMode.VerifyFull, connectHost: "db.example.internal"));
        Assert.Equal(string.Empty, builder.HostNameInCertificate);
        Assert.False(builder.TrustServerCertificate);
    }

    [Theory]
    [InlineData(IntegrationType.PostgreSQL, "SslMode", "Disable")]
    [InlineData(IntegrationType.PostgreSQL, "Trust Server Certificate", "true")]
    [InlineData(IntegrationType.PostgreSQL, "sslmode", "disable")]
    [InlineData(IntegrationType.MySQL, "SslMode", "None")]
    [InlineData(IntegrationType.MySQL, "ssl-ca", "/tmp/other.pem")]
    [InlineData(IntegrationType.SqlServer, "Encrypt", "false")]
    [InlineData(IntegrationType.SqlServer, "TrustServerCertificate", "true")]
    public void Options_CanNeverWeakenThePolicy(IntegrationType type, string key, string value)
    {
        var error = Assert.Throws<SecureConnectException>(() => SqlProviders.For(type).DescribeConnectionString(
            Target(type, ScSslMode.VerifyFull, new Hashtable { [key] = value })));
        Assert.Equal("SslPolicyViolation", error.ErrorId);
    }

    [Theory]
    [InlineData(IntegrationType.PostgreSQL, "Host", "evil.example")]
    [InlineData(IntegrationType.PostgreSQL, "Password", "x")]
    [InlineData(IntegrationType.MariaDB, "Server", "evil.example")]
    [InlineData(IntegrationType.SqlServer, "Data Source", "evil.example")]
    public void Options_CannotMoveTheEndpointOrCarryCredentials(IntegrationType type, string key, string value)
    {
        var error = Assert.Throws<SecureConnectException>(() => SqlProviders.For(type).DescribeConnectionString(
            Target(type, ScSslMode.Required, new Hashtable { [key] = value })));
        Assert.Equal("InvalidOption", error.ErrorId);
    }

    [Theory]
    [InlineData(IntegrationType.MySQL, "Tls-Version", "Tls12", "SslPolicyViolation")]
    [InlineData(IntegrationType.MySQL, "TLS Version", "Tls12", "SslPolicyViolation")]
    [InlineData(IntegrationType.MySQL, "Ssl-Cert", "/tmp/client.pem", "SslPolicyViolation")]
    [InlineData(IntegrationType.MySQL, "Ssl-Key", "/tmp/client.key", "SslPolicyViolation")]
    [InlineData(IntegrationType.MariaDB, "Connection Protocol", "Unix", "InvalidOption")]
    [InlineData(IntegrationType.MariaDB, "Server Redirection Mode", "Required", "InvalidOption")]
    [InlineData(IntegrationType.MariaDB, "AllowLoadLocalInfile", "true", "InvalidOption")]
    [InlineData(IntegrationType.SqlServer, "Failover Partner", "evil.example", "InvalidOption")]
    [InlineData(IntegrationType.SqlServer, "Trusted_Connection", "true", "InvalidOption")]
    [InlineData(IntegrationType.SqlServer, "ApplicationIntent", "ReadOnly", "InvalidOption")]
    [InlineData(IntegrationType.PostgreSQL, "PSW", "s3cret", "InvalidOption")]
    [InlineData(IntegrationType.PostgreSQL, "Target Session Attributes", "any", "InvalidOption")]
    [InlineData(IntegrationType.PostgreSQL, "Kerberos Service Name", "x", "InvalidOption")]
    public void Options_OnlyThoseOnTheEnginesAllowList_ByTheDriversOwnName(IntegrationType type, string key, string value, string errorId)
    {
        var error = Assert.Throws<SecureConnectException>(() => SqlProviders.For(type).DescribeConnectionString(
            Target(type, ScSslMode.VerifyFull, new Hashtable { [key] = value })));
        Assert.Equal(errorId, error.ErrorId);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(IntegrationType.PostgreSQL, "Search Path", "public")]
    [InlineData(IntegrationType.PostgreSQL, "Keepalive", "17")]
    [InlineData(IntegrationType.PostgreSQL, "Connection Lifetime", "60")]
    [InlineData(IntegrationType.MySQL, "Application Name", "etl")]
    [InlineData(IntegrationType.MySQL, "Connection Idle Timeout", "77")]
    [InlineData(IntegrationType.MariaDB, "Character Set", "utf8mb4")]
    [InlineData(IntegrationType.SqlServer, "Application Name", "etl")]
    [InlineData(IntegrationType.SqlServer, "Packet Size", "8192")]
    public void Options_OnTheAllowListPass(IntegrationType type, string key, string value)
    {
        string described = SqlProviders.For(type).DescribeConnectionString(Target(type, ScSslMode.VerifyFull, new Hashtable { [key] = value }));
        Assert.Contains(value, described, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_TuneTheDriver()
    {
        NpgsqlConnectionStringBuilder builder = NpgsqlProvider.Build(Target(IntegrationType.PostgreSQL, ScSslMode.VerifyFull, new Hashtable { ["Application Name"] = "nightly", ["Keepalive"] = "10" }));
        Assert.Equal("nightly", builder.ApplicationName);
        Assert.Equal(10, builder.KeepAlive);
    }

    [Theory]
    [InlineData(IntegrationType.PostgreSQL)]
    [InlineData(IntegrationType.Redshift)]
    [InlineData(IntegrationType.MySQL)]
    [InlineData(IntegrationType.MariaDB)]
    [InlineData(IntegrationType.MindsDB)]
    [InlineData(IntegrationType.SqlServer)]
    public void DescribedConnectionString_NeverHoldsThePassword(IntegrationType type)
    {
        string described = SqlProviders.For(type).DescribeConnectionString(Target(type, ScSslMode.VerifyFull));
        Assert.DoesNotContain("s3cret-pw", described, StringComparison.Ordinal);
        Assert.Contains("report", described, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(IntegrationType.PostgreSQL, 5432)]
    [InlineData(IntegrationType.Redshift, 5439)]
    [InlineData(IntegrationType.MySQL, 3306)]
    [InlineData(IntegrationType.MariaDB, 3306)]
    [InlineData(IntegrationType.MindsDB, 47335)]
    [InlineData(IntegrationType.SqlServer, 1433)]
    public void DefaultPorts(IntegrationType type, int port)
    {
        Assert.Equal(port, SqlProviders.For(type).DefaultPort(type));
    }

    [Fact]
    public void ColumnNames_AreMadeUnique()
    {
        // PowerShell property names ignore case, so ID collides with id and id1.
        Assert.Equal(new[] { "id", "id1", "name", "ID2", "Column5" }, SecureConnect.Sql.ColumnNames.Unique(new[] { "id", "id", "name", "ID", "" }));
    }

    [Theory]
    [InlineData(IntegrationType.PostgreSQL, "Host=db.internal;Port=6432;Database=orders;Username=report;Password=pw;Application Name=nightly", "db.internal", 6432, "orders", "report", "pw", "Application Name")]
    [InlineData(IntegrationType.MariaDB, "Server=db.internal;Port=3307;Database=orders;User ID=report;Password=pw;ConnectionTimeout=5", "db.internal", 3307, "orders", "report", "pw", "ConnectionTimeout")]
    [InlineData(IntegrationType.SqlServer, "Server=tcp:db.internal,1444;Database=orders;User ID=report;Password=pw;Application Name=nightly", "db.internal", 1444, "orders", "report", "pw", "Application Name")]
    public void ConnectionString_IsTakenApart(IntegrationType type, string connectionString, string host, int port, string database, string user, string password, string remainingKey)
    {
        ParsedConnectionString parsed = SqlProviders.For(type).Parse(connectionString);
        Assert.Equal(host, parsed.Host);
        Assert.Equal(port, parsed.Port);
        Assert.Equal(database, parsed.Database);
        Assert.Equal(user, parsed.User);
        Assert.Equal(password, parsed.Password);
        Assert.True(parsed.Options.Contains(remainingKey));
        Assert.False(parsed.Options.Contains("Password"));
    }

    [Theory]
    [InlineData(IntegrationType.PostgreSQL, "Host=db;SSL Mode=Disable")]
    [InlineData(IntegrationType.MySQL, "Server=db;SslMode=None")]
    [InlineData(IntegrationType.SqlServer, "Server=db;Encrypt=False")]
    public void ConnectionString_CannotWeakenThePolicy(IntegrationType type, string connectionString)
    {
        ParsedConnectionString parsed = SqlProviders.For(type).Parse(connectionString);
        var target = new ConnectionTarget(Plan(type, "db", 1, null, ScSslMode.Required, parsed.Options), "db", 1, null, null, 15, null);
        var error = Assert.Throws<SecureConnectException>(() => SqlProviders.For(type).DescribeConnectionString(target));
        Assert.Equal("SslPolicyViolation", error.ErrorId);
    }
}
