using System;
using System.Collections;
using System.Collections.Generic;
using System.Data.Common;
using System.Threading;
using Microsoft.Data.SqlClient;
using SecureConnect.Common;

namespace SecureConnect.Sql;

/// <summary>
/// SQL Server and Azure SQL, through Microsoft.Data.SqlClient. SqlClient validates certificates itself (system
/// trust store) and has no validation callback: the policy maps to its Encrypt / TrustServerCertificate /
/// HostNameInCertificate settings, with HostNameInCertificate carrying the real host name through a tunnel.
/// </summary>
internal sealed class SqlServerProvider : ISqlProvider
{
    private static readonly OptionRules s_options = new(
        tls: new[]
        {
            "Encrypt", "Trust Server Certificate", "Host Name In Certificate", "Server Certificate", "Column Encryption Setting",
            "Attestation Protocol", "Enclave Attestation Url", "Server SPN", "Failover Partner SPN",
        },
        endpoint: new[]
        {
            "Data Source", "User ID", "Password", "Initial Catalog", "Integrated Security", "Authentication", "Failover Partner",
            "Application Intent", "Multi Subnet Failover", "Attach DB Filename", "User Instance", "Context Connection",
            "Transparent Network IP Resolution", "IP Address Preference",
        },
        allowed: new[]
        {
            "Application Name", "Connect Timeout", "Command Timeout", "Workstation ID", "Current Language", "Packet Size",
            "Pooling", "Min Pool Size", "Max Pool Size", "Load Balance Timeout", "Connect Retry Count", "Connect Retry Interval",
            "Multiple Active Result Sets", "Type System Version", "Transaction Binding", "Enlist", "Pool Blocking Period",
        });

    public IReadOnlyList<IntegrationType> Types { get; } = new[] { IntegrationType.SqlServer };

    public EngineCapabilities Capabilities => EngineCapabilities.ServerReportsEncryption | EngineCapabilities.ServerSideCancel;

    public int DefaultPort(IntegrationType type) => 1433;

    /// <summary>SqlClient: a TimeSpan is a time (of day); a DateTimeOffset is a datetimeoffset and stays one.</summary>
    public SqlValueMapping Values { get; } = new TimeSpanMapping(SqlValues.TimeOfDay);

    public DbConnection CreateConnection(ConnectionTarget target, TlsObserver observer) => new SqlConnection(Build(target).ConnectionString);

    public void CheckOptions(IDictionary options) => ProviderOptions.Apply(new SqlConnectionStringBuilder(), options, s_options);

    public string DescribeConnectionString(ConnectionTarget target)
    {
        SqlConnectionStringBuilder builder = Build(target);
        builder.Password = string.Empty;
        return builder.ConnectionString;
    }

    internal static SqlConnectionStringBuilder Build(ConnectionTarget target)
    {
        var builder = new SqlConnectionStringBuilder
        {
            ApplicationName = "SecureConnect",
            Pooling = false,
        };
        ProviderOptions.Apply(builder, target.Options, s_options);
        builder.DataSource = $"tcp:{target.ConnectHost},{target.ConnectPort}";
        if (target.Database is not null)
        {
            builder.InitialCatalog = target.Database;
        }

        if (target.Credential is not null)
        {
            builder.UserID = target.Credential.UserName;
            builder.Password = target.Credential.Password;
        }

        builder.ConnectTimeout = target.ConnectTimeoutSeconds;
        if (target.CommandTimeoutSeconds is int commandTimeout)
        {
            builder.CommandTimeout = commandTimeout;
        }

        ApplySsl(builder, target.SslMode, target.HostName, target.ConnectHost);
        var effective = new SqlConnectionStringBuilder(builder.ConnectionString);
        ProviderOptions.EnsureEffective("Encrypt", builder.Encrypt, effective.Encrypt);
        ProviderOptions.EnsureEffective("TrustServerCertificate", builder.TrustServerCertificate, effective.TrustServerCertificate);
        return builder;
    }

    /// <summary>The SqlClient settings for a policy.</summary>
    internal static void ApplySsl(SqlConnectionStringBuilder builder, SslMode mode, string hostName, string connectHost)
    {
        switch (mode)
        {
            case SslMode.Preferred:
                builder.Encrypt = SqlConnectionEncryptOption.Optional;
                builder.TrustServerCertificate = true;
                break;
            case SslMode.Required:
                builder.Encrypt = SqlConnectionEncryptOption.Mandatory;
                builder.TrustServerCertificate = true;
                break;
            default:
                // SqlClient always checks the name when it validates; VerifyCA is therefore as strict as VerifyFull.
                builder.Encrypt = SqlConnectionEncryptOption.Mandatory;
                builder.TrustServerCertificate = false;
                if (!string.Equals(hostName, connectHost, StringComparison.OrdinalIgnoreCase))
                {
                    builder.HostNameInCertificate = hostName;
                }

                break;
        }
    }

    public ServerSessionInfo QuerySession(DbConnection connection, CancellationToken cancel)
    {
        using DbCommand command = connection.CreateCommand();
        command.CommandText = "SELECT encrypt_option, client_net_address, @@VERSION FROM sys.dm_exec_connections WHERE session_id = @@SPID";
        using DbDataReader reader = command.ExecuteReaderAsync(cancel).GetAwaiter().GetResult();
        if (reader.Read())
        {
            bool encrypted = string.Equals(reader.GetString(0), "TRUE", StringComparison.OrdinalIgnoreCase);
            return new ServerSessionInfo(encrypted, null, null, reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }

        return new ServerSessionInfo(null, null, null, null, ((SqlConnection)connection).ServerVersion);
    }

    public ClassifiedError ClassifyOpenError(Exception error, ConnectionTarget target, TlsObserver observer)
    {
        if (error is SqlException sql)
        {
            if (sql.Number == 18456)
            {
                return new ClassifiedError(ErrorIds.DatabaseAuthenticationFailed, ErrorKind.AuthenticationError, $"SQL Server error {sql.Number}: {sql.Message}");
            }

            if (DriverErrors.Mentions(sql, "certificate"))
            {
                return new ClassifiedError(ErrorIds.SslCertificateInvalid, ErrorKind.SecurityError, sql.Message);
            }
        }

        return new ClassifiedError(ErrorIds.ConnectionFailed, ErrorKind.ConnectionError, DriverErrors.Innermost(error));
    }

    public ParsedConnectionString Parse(string connectionString)
    {
        var builder = new SqlConnectionStringBuilder(connectionString);
        string source = builder.DataSource.StartsWith("tcp:", StringComparison.OrdinalIgnoreCase) ? builder.DataSource[4..] : builder.DataSource;
        int? port = null;
        int comma = source.LastIndexOf(',');
        if (comma > 0 && int.TryParse(source[(comma + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int parsedPort))
        {
            port = parsedPort;
            source = source[..comma];
        }

        var parsed = new ParsedConnectionString(
            string.IsNullOrEmpty(source) ? null : source,
            port,
            string.IsNullOrEmpty(builder.InitialCatalog) ? null : builder.InitialCatalog,
            string.IsNullOrEmpty(builder.UserID) ? null : builder.UserID,
            string.IsNullOrEmpty(builder.Password) ? null : builder.Password,
            new System.Collections.Hashtable(StringComparer.OrdinalIgnoreCase));
        ConnectionStrings.CopyRemaining(connectionString, parsed.Options, "Server", "Data Source", "Address", "Addr", "Network Address", "Database", "Initial Catalog", "User ID", "UID", "User", "Password", "PWD");
        return parsed;
    }

    // Severity 20 and above ends the connection; below it the statement failed and the session goes on.
    public bool IsServerError(Exception error) => error is SqlException { Class: > 0 and < 20 };

    public ClassifiedError ClassifyQueryError(Exception error) => error is SqlException sql
        ? new ClassifiedError(ErrorIds.QueryFailed, ErrorKind.InvalidOperation, $"SQL Server error {sql.Number} (state {sql.State}, line {sql.LineNumber}): {sql.Message}")
        : new ClassifiedError(ErrorIds.QueryFailed, ErrorKind.InvalidOperation, DriverErrors.Innermost(error));
}
