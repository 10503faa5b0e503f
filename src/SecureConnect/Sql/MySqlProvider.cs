using System;
using System.Collections;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;
using MySqlConnector;
using SecureConnect.Common;

namespace SecureConnect.Sql;

/// <summary>MySQL, MariaDB and MindsDB (the MySQL protocol), through MySqlConnector.</summary>
internal sealed class MySqlProvider : ISqlProvider
{
    private static readonly OptionRules s_options = new(
        tls: new[]
        {
            "SSL Mode", "SSL CA", "SSL Cert", "SSL Key", "Certificate File", "Certificate Password", "Certificate Store Location",
            "Certificate Thumbprint", "TLS Version", "TLS Cipher Suites", "Allow Public Key Retrieval",
        },
        endpoint: new[] { "Server", "Port", "User ID", "Password", "Database", "Connection Protocol", "Pipe Name", "Server Redirection Mode", "Load Balance", "Server SPN", "Server RSA Public Key File" },
        allowed: new[]
        {
            "Application Name", "Allow User Variables", "Allow Zero DateTime", "Convert Zero DateTime", "Character Set",
            "Connection Reset", "Defer Connection Reset", "Keep Alive", "Use Compression", "GUID Format", "Treat Tiny As Boolean",
            "DateTime Kind", "Ignore Command Transaction", "Ignore Prepare", "Interactive Session", "No Backslash Escapes",
            "Old Guids", "Use Affected Rows", "Pipelining", "Cancellation Timeout", "Pooling", "Minimum Pool Size",
            "Maximum Pool Size", "Connection Lifetime", "Connection Idle Timeout", "Connection Timeout", "Default Command Timeout",
            "Auto Enlist", "Use XA Transactions",
        });

    public IReadOnlyList<IntegrationType> Types { get; } = new[] { IntegrationType.MySQL, IntegrationType.MariaDB, IntegrationType.MindsDB };

    public EngineCapabilities Capabilities => EngineCapabilities.CertificateCallback | EngineCapabilities.ServerReportsEncryption | EngineCapabilities.ServerSideCancel;

    public int DefaultPort(IntegrationType type) => type == IntegrationType.MindsDB ? 47335 : 3306;

    /// <summary>MySqlConnector: a TimeSpan is a TIME, a time of day or up to 838 hours either way.</summary>
    public SqlValueMapping Values { get; } = new TimeSpanMapping(SqlValues.TimeOrElapsed);

    public DbConnection CreateConnection(ConnectionTarget target, TlsObserver observer)
    {
        MySqlConnectionStringBuilder builder = Build(target);
        // MySqlConnector has no target-host override: the observer validates chain and the real host name itself.
        return new MySqlConnection(builder.ConnectionString)
        {
            RemoteCertificateValidationCallback = observer.Validate,
        };
    }

    public void CheckOptions(IDictionary options) => ProviderOptions.Apply(new MySqlConnectionStringBuilder(), options, s_options);

    public string DescribeConnectionString(ConnectionTarget target)
    {
        MySqlConnectionStringBuilder builder = Build(target);
        builder.Password = string.Empty;
        return builder.ConnectionString;
    }

    /// <summary>The driver's SSL mode for a policy: TLS is negotiated by the driver, validated by the observer.</summary>
    internal static MySqlSslMode MapSslMode(SslMode mode) => mode == SslMode.Preferred ? MySqlSslMode.Preferred : MySqlSslMode.Required;

    internal static MySqlConnectionStringBuilder Build(ConnectionTarget target)
    {
        var builder = new MySqlConnectionStringBuilder
        {
            ApplicationName = "SecureConnect",
            Pooling = false,
            AllowUserVariables = true,
        };
        ProviderOptions.Apply(builder, target.Options, s_options);
        builder.Server = target.ConnectHost;
        builder.Port = (uint)target.ConnectPort;
        builder.Database = target.Database ?? string.Empty;
        builder.UserID = target.Credential?.UserName ?? string.Empty;
        builder.Password = target.Credential?.Password ?? string.Empty;
        builder.ConnectionTimeout = (uint)target.ConnectTimeoutSeconds;
        if (target.CommandTimeoutSeconds is int commandTimeout)
        {
            builder.DefaultCommandTimeout = (uint)commandTimeout;
        }

        builder.SslMode = MapSslMode(target.SslMode);
        ProviderOptions.EnsureEffective("SslMode", MapSslMode(target.SslMode), new MySqlConnectionStringBuilder(builder.ConnectionString).SslMode);
        return builder;
    }

    public ServerSessionInfo QuerySession(DbConnection connection, CancellationToken cancel)
    {
        string? version = null;
        string? cipher = null;
        string? client = null;
        try
        {
            using DbCommand status = connection.CreateCommand();
            status.CommandText = "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_version', 'Ssl_cipher')";
            using (DbDataReader reader = status.ExecuteReaderAsync(cancel).GetAwaiter().GetResult())
            {
                while (reader.Read())
                {
                    string value = reader.IsDBNull(1) ? string.Empty : reader.GetString(1);
                    if (string.Equals(reader.GetString(0), "Ssl_version", StringComparison.OrdinalIgnoreCase))
                    {
                        version = value;
                    }
                    else
                    {
                        cipher = value;
                    }
                }
            }

            using DbCommand host = connection.CreateCommand();
            host.CommandText = "SELECT host FROM information_schema.processlist WHERE id = CONNECTION_ID()";
            client = host.ExecuteScalarAsync(cancel).GetAwaiter().GetResult() as string;
            int colon = client?.LastIndexOf(':') ?? -1;
            if (client is not null && colon > 0)
            {
                client = client[..colon];
            }
        }
        catch (MySqlException)
        {
            // MindsDB speaks the protocol but has no session status: fall back to what the client saw.
            return new ServerSessionInfo(null, null, null, null, ((MySqlConnection)connection).ServerVersion);
        }

        bool encrypted = !string.IsNullOrEmpty(cipher);
        return new ServerSessionInfo(encrypted, string.IsNullOrEmpty(version) ? null : version, string.IsNullOrEmpty(cipher) ? null : cipher, client, ((MySqlConnection)connection).ServerVersion);
    }

    public ClassifiedError ClassifyOpenError(Exception error, ConnectionTarget target, TlsObserver observer)
    {
        if (observer.Failure is not null)
        {
            return new ClassifiedError(ErrorIds.SslCertificateInvalid, ErrorKind.SecurityError, observer.Failure);
        }

        if (error is MySqlException my)
        {
            if (my.ErrorCode is MySqlErrorCode.AccessDenied or MySqlErrorCode.DatabaseAccessDenied)
            {
                string noPassword = DriverErrors.NoPasswordSent(my) is { } hint ? $" ({hint})" : string.Empty;
                return new ClassifiedError(ErrorIds.DatabaseAuthenticationFailed, ErrorKind.AuthenticationError, $"MySQL error {my.Number}: {my.Message}{noPassword}");
            }

            if (target.SslMode >= SslMode.Required && !observer.HandshakeSeen && DriverErrors.Mentions(error, "SSL"))
            {
                return new ClassifiedError(ErrorIds.SslNotAvailable, ErrorKind.SecurityError, "the server does not offer TLS");
            }

            return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, $"MySQL error {my.Number}: {DriverErrors.Innermost(my)}");
        }

        return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, DriverErrors.Innermost(error));
    }

    public ParsedConnectionString Parse(string connectionString)
    {
        var builder = new MySqlConnectionStringBuilder(connectionString);
        var parsed = new ParsedConnectionString(
            string.IsNullOrEmpty(builder.Server) ? null : builder.Server,
            (int)builder.Port,
            string.IsNullOrEmpty(builder.Database) ? null : builder.Database,
            string.IsNullOrEmpty(builder.UserID) ? null : builder.UserID,
            string.IsNullOrEmpty(builder.Password) ? null : builder.Password,
            new System.Collections.Hashtable(StringComparer.OrdinalIgnoreCase));
        ConnectionStrings.CopyRemaining(connectionString, parsed.Options, "Server", "Host", "Data Source", "Port", "Database", "Initial Catalog", "User ID", "UserID", "Uid", "User", "Username", "Password", "Pwd");
        return parsed;
    }

    // Server errors are numbered below 2000; 2000 and up are the client's own (lost connection, end of stream).
    public bool IsServerError(Exception error) => error is MySqlException { Number: > 0 and < 2000 };

    public ClassifiedError ClassifyQueryError(Exception error) => error is MySqlException my
        ? new ClassifiedError(ErrorIds.QueryFailed, ErrorKind.InvalidOperation, $"MySQL error {my.Number} (SQLSTATE {my.SqlState}): {my.Message}")
        : new ClassifiedError(ErrorIds.QueryFailed, ErrorKind.InvalidOperation, DriverErrors.Innermost(error));
}
