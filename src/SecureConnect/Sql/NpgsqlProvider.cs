using System;
using System.Collections;
using System.Collections.Generic;
using System.Data.Common;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading;
using Npgsql;
using SecureConnect.Common;

namespace SecureConnect.Sql;

/// <summary>PostgreSQL and Redshift (the PostgreSQL protocol), through Npgsql.</summary>
internal sealed class NpgsqlProvider : ISqlProvider
{
    private static readonly OptionRules s_options = new(
        tls: new[]
        {
            "SSL Mode", "Trust Server Certificate", "Root Certificate", "SSL Certificate", "SSL Key", "SSL Password",
            "Check Certificate Revocation", "SSL Negotiation", "GSS Encryption Mode", "Channel Binding",
        },
        endpoint: new[] { "Host", "Port", "Username", "Password", "Passfile", "Database", "Load Balance Hosts", "Target Session Attributes", "Host Recheck Seconds" },
        allowed: new[]
        {
            "Application Name", "Search Path", "Client Encoding", "Encoding", "Timezone", "Options", "Timeout", "Command Timeout",
            "Cancellation Timeout", "Keepalive", "Tcp Keepalive", "Tcp Keepalive Time", "Tcp Keepalive Interval",
            "Read Buffer Size", "Write Buffer Size", "Socket Receive Buffer Size", "Socket Send Buffer Size",
            "Pooling", "Minimum Pool Size", "Maximum Pool Size", "Connection Idle Lifetime", "Connection Pruning Interval",
            "Connection Lifetime", "Include Error Detail", "Log Parameters", "No Reset On Close", "Max Auto Prepare",
            "Auto Prepare Min Usages", "Array Nullability Mode", "Server Compatibility Mode",
        });

    public IReadOnlyList<IntegrationType> Types { get; } = new[] { IntegrationType.PostgreSQL, IntegrationType.Redshift };

    public EngineCapabilities Capabilities => EngineCapabilities.CertificateCallback | EngineCapabilities.ServerReportsEncryption | EngineCapabilities.ServerSideCancel;

    public int DefaultPort(IntegrationType type) => type == IntegrationType.Redshift ? 5439 : 5432;

    /// <summary>
    /// Npgsql: a TimeSpan is an interval (a time is a TimeOnly) and a DateTimeOffset a time with time zone (a
    /// timestamptz is a DateTime in UTC). Intervals are read as NpgsqlInterval, which keeps months, days and the time
    /// apart as PostgreSQL does (a TimeSpan cannot hold a month).
    /// </summary>
    public SqlValueMapping Values { get; } = new NpgsqlValueMapping();

    public DbConnection CreateConnection(ConnectionTarget target, TlsObserver observer)
    {
        NpgsqlConnectionStringBuilder builder = Build(target);
        var connection = new NpgsqlConnection(builder.ConnectionString)
        {
            // Npgsql validates nothing under Require; the observer validates chain and name for every mode, and
            // the SNI/target host is the integration's real name even when the driver connects to a tunnel.
            SslClientAuthenticationOptionsCallback = options =>
            {
                options.TargetHost = target.HostName;
                options.RemoteCertificateValidationCallback = observer.Validate;
            },
        };
        return connection;
    }

    public void CheckOptions(IDictionary options) => ProviderOptions.Apply(new NpgsqlConnectionStringBuilder(), options, s_options);

    public string DescribeConnectionString(ConnectionTarget target)
    {
        NpgsqlConnectionStringBuilder builder = Build(target);
        builder.Password = null;
        return builder.ConnectionString;
    }

    /// <summary>The driver's SSL mode for a policy: TLS is negotiated by Npgsql, validated by the observer.</summary>
    internal static Npgsql.SslMode MapSslMode(SslMode mode) => mode == SslMode.Preferred ? Npgsql.SslMode.Prefer : Npgsql.SslMode.Require;

    internal static NpgsqlConnectionStringBuilder Build(ConnectionTarget target)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            ApplicationName = "SecureConnect",
            Pooling = false,
        };
        ProviderOptions.Apply(builder, target.Options, s_options);
        builder.Host = target.ConnectHost;
        builder.Port = target.ConnectPort;
        builder.Database = target.Database;
        builder.Username = target.Credential?.UserName;
        builder.Password = target.Credential?.Password;
        builder.Timeout = target.ConnectTimeoutSeconds;
        if (target.CommandTimeoutSeconds is int commandTimeout)
        {
            builder.CommandTimeout = commandTimeout;
        }

        builder.SslMode = MapSslMode(target.SslMode);
        ProviderOptions.EnsureEffective("SSL Mode", MapSslMode(target.SslMode), new NpgsqlConnectionStringBuilder(builder.ConnectionString).SslMode);
        return builder;
    }

    public ServerSessionInfo QuerySession(DbConnection connection, CancellationToken cancel)
    {
        using DbCommand command = connection.CreateCommand();
        command.CommandText =
            "select s.ssl, s.version, s.cipher, host(inet_client_addr()), current_setting('server_version') " +
            "from pg_stat_ssl s where s.pid = pg_backend_pid()";
        try
        {
            using DbDataReader reader = command.ExecuteReaderAsync(cancel).GetAwaiter().GetResult();
            if (reader.Read())
            {
                return new ServerSessionInfo(
                    reader.GetBoolean(0),
                    reader.IsDBNull(1) ? null : reader.GetString(1),
                    reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4));
            }
        }
        catch (PostgresException)
        {
            // Redshift has no pg_stat_ssl: fall back to what the client saw.
        }

        return new ServerSessionInfo(null, null, null, null, ((NpgsqlConnection)connection).PostgreSqlVersion.ToString());
    }

    public ClassifiedError ClassifyOpenError(Exception error, ConnectionTarget target, TlsObserver observer)
    {
        if (observer.Failure is not null)
        {
            return new ClassifiedError(ErrorIds.SslCertificateInvalid, ErrorKind.SecurityError, observer.Failure);
        }

        if (error is PostgresException pg)
        {
            return pg.SqlState is "28P01" or "28000"
                ? new ClassifiedError(ErrorIds.DatabaseAuthenticationFailed, ErrorKind.AuthenticationError, $"SQLSTATE {pg.SqlState}: {pg.MessageText}")
                : new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, $"SQLSTATE {pg.SqlState}: {pg.MessageText}");
        }

        if (error is NpgsqlException && error.Message.Contains("password", StringComparison.OrdinalIgnoreCase))
        {
            return new ClassifiedError(ErrorIds.DatabaseAuthenticationFailed, ErrorKind.AuthenticationError, "the server asks for a password and none was given (pass -Credential, or set one with Set-SecureIntegration -Credential)");
        }

        if (target.SslMode >= SslMode.Required && !observer.HandshakeSeen && DriverErrors.Mentions(error, "SSL"))
        {
            return new ClassifiedError(ErrorIds.SslNotAvailable, ErrorKind.SecurityError, "the server does not offer TLS");
        }

        return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, DriverErrors.Innermost(error));
    }

    public ParsedConnectionString Parse(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var parsed = new ParsedConnectionString(builder.Host, builder.Port, builder.Database, builder.Username, builder.Password, new System.Collections.Hashtable(StringComparer.OrdinalIgnoreCase));
        ConnectionStrings.CopyRemaining(connectionString, parsed.Options, "Host", "Server", "Port", "Database", "Username", "User Id", "User", "Password", "Pwd");
        return parsed;
    }

    public bool IsServerError(Exception error) => error is PostgresException;

    public ClassifiedError ClassifyQueryError(Exception error) => error is PostgresException pg
        ? new ClassifiedError(ErrorIds.QueryFailed, ErrorKind.InvalidOperation, $"SQLSTATE {pg.SqlState}: {pg.MessageText}" + (pg.Position > 0 ? $" (at character {pg.Position})" : string.Empty))
        : new ClassifiedError(ErrorIds.QueryFailed, ErrorKind.InvalidOperation, DriverErrors.Innermost(error));
}
