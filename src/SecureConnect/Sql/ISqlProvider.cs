using System;
using System.Collections;
using System.Collections.Generic;
using System.Data.Common;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using SecureConnect.Common;

namespace SecureConnect.Sql;

/// <summary>What the server says about the session (Test-SecureConnection).</summary>
internal sealed record ServerSessionInfo(bool? Encrypted, string? TlsProtocol, string? CipherSuite, string? ClientAddress, string? ServerVersion);

/// <summary>How a driver failure is reported.</summary>
internal sealed record ClassifiedError(string ErrorId, ErrorKind Kind, string Message);

/// <summary>
/// One provider per engine (PostgreSQL and Redshift share the PostgreSQL one; MySQL, MariaDB and MindsDB the MySQL
/// one): how to build a connection with the SSL policy applied, how to ask the server whether the session is
/// encrypted, and how to report the driver's errors. Later engines (ClickHouse, MongoDB, Trino, Dremio) add a class.
/// </summary>
internal interface ISqlProvider
{
    /// <summary>The engines this provider serves.</summary>
    IReadOnlyList<IntegrationType> Types { get; }

    /// <summary>What the engine can do (declared, never asked by type).</summary>
    EngineCapabilities Capabilities { get; }

    /// <summary>The usual port of an engine.</summary>
    int DefaultPort(IntegrationType type);

    /// <summary>How the driver's values become the module's common types (times and intervals as ISO-8601 text).</summary>
    SqlValueMapping Values { get; }

    /// <summary>
    /// Builds an unopened connection with the SSL policy applied and <paramref name="observer"/> validating the
    /// certificate. Throws SslPolicyViolation when options would weaken the policy.
    /// </summary>
    DbConnection CreateConnection(ConnectionTarget target, TlsObserver observer);

    /// <summary>Refuses -Option values this engine does not pass on (TLS, endpoint, login, local files), at registration.</summary>
    void CheckOptions(IDictionary options);

    /// <summary>The effective connection string without the password (for Verbose output and tests).</summary>
    string DescribeConnectionString(ConnectionTarget target);

    /// <summary>Asks the server about this session: encryption, client address, version.</summary>
    ServerSessionInfo QuerySession(DbConnection connection, System.Threading.CancellationToken cancel);

    /// <summary>Maps a driver exception raised while opening a connection.</summary>
    ClassifiedError ClassifyOpenError(Exception error, ConnectionTarget target, TlsObserver observer);

    /// <summary>Maps a driver exception raised while running a command.</summary>
    ClassifiedError ClassifyQueryError(Exception error);

    /// <summary>
    /// True when the server itself reported the error (a statement that failed: the session is fine); false when the
    /// connection broke (a lost tunnel, a reset, an end of stream), which interrupts a result instead.
    /// </summary>
    bool IsServerError(Exception error);

    /// <summary>
    /// Splits a -ConnectionString into the endpoint, the login and the remaining driver options (which then go
    /// through the same checks as -Option: TLS keys are refused).
    /// </summary>
    ParsedConnectionString Parse(string connectionString);
}

/// <summary>A connection string taken apart.</summary>
internal sealed record ParsedConnectionString(string? Host, int? Port, string? Database, string? User, string? Password, IDictionary Options);
