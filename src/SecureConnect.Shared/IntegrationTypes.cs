using System;
using System.Collections;
using System.Collections.Generic;
using Newtonsoft.Json;
using Newtonsoft.Json.Converters;

namespace SecureConnect;

/// <summary>The kinds of data source an integration can be.</summary>
[JsonConverter(typeof(StringEnumConverter))]
public enum IntegrationType
{
    /// <summary>PostgreSQL (default port 5432).</summary>
    PostgreSQL,

    /// <summary>Amazon Redshift: the PostgreSQL protocol on port 5439.</summary>
    Redshift,

    /// <summary>MySQL (port 3306).</summary>
    MySQL,

    /// <summary>MariaDB (port 3306).</summary>
    MariaDB,

    /// <summary>MindsDB: the MySQL protocol on port 47335.</summary>
    MindsDB,

    /// <summary>Microsoft SQL Server and Azure SQL (port 1433).</summary>
    SqlServer,

    /// <summary>ClickHouse over its HTTP interface (8123 plain, 8443 HTTPS).</summary>
    ClickHouse,

    /// <summary>A saved SSH tunnel to any TCP service (Redis, MLflow, an HTTP API): no queries, no SSL mode.</summary>
    SshTunnel,

    /// <summary>MongoDB (port 27017), always a direct connection to the one server named.</summary>
    MongoDB,

    /// <summary>Trino (8080 plain, 8443 HTTPS), over its client REST protocol.</summary>
    Trino,

    /// <summary>Dremio over Arrow Flight (port 32010).</summary>
    Dremio,
}

/// <summary>SSL/TLS policies, weakest first.</summary>
[JsonConverter(typeof(StringEnumConverter))]
public enum SslMode
{
    /// <summary>TLS when the server offers it, else plaintext.</summary>
    Preferred = 0,

    /// <summary>TLS or fail; the certificate is not validated.</summary>
    Required = 1,

    /// <summary>TLS, and the certificate chain validated against the uploaded CA (or the system store).</summary>
    VerifyCA = 2,

    /// <summary>VerifyCA plus the host name in the certificate (alias: Strict).</summary>
    VerifyFull = 3,
}

/// <summary>What a CA certificate file holds, as shown on an integration.</summary>
public sealed class CaCertificateInfo
{
    /// <summary>Creates the object; used by the module.</summary>
    public CaCertificateInfo(string subject, string thumbprint, DateTime notAfter, string path)
    {
        Subject = subject;
        Thumbprint = thumbprint;
        NotAfter = notAfter;
        Path = path;
    }

    /// <summary>The certificate's subject.</summary>
    public string Subject { get; }

    /// <summary>SHA-1 thumbprint, as Windows shows it.</summary>
    public string Thumbprint { get; }

    /// <summary>Expiry.</summary>
    public DateTime NotAfter { get; }

    /// <summary>The copy in the workspace's ca/ folder.</summary>
    public string Path { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Subject} ({Thumbprint}, until {NotAfter:yyyy-MM-dd})";
}

/// <summary>A registered data source (SecureConnect.Integration).</summary>
public sealed class Integration
{
    /// <summary>Creates the object; used by the module.</summary>
    public Integration(
        string name,
        IntegrationType type,
        string hostName,
        int port,
        string? database,
        string? userName,
        SslMode? sslMode,
        string sslModeSource,
        CaCertificateInfo? caCertificate,
        string? sshBastion,
        int sshBastionPort,
        string? sshUser,
        string[] sshJumpHost,
        string? sshHostKeyFingerprint,
        IDictionary options,
        bool hasSessionCredential,
        string? localHostVariable = null,
        string? localPortVariable = null,
        string? powerShellExample = null,
        string? pythonExample = null,
        string? credentialSecret = null,
        string? crlPath = null)
    {
        Name = name;
        Type = type;
        HostName = hostName;
        Port = port;
        Database = database;
        UserName = userName;
        SslMode = sslMode;
        SslModeSource = sslModeSource;
        CaCertificate = caCertificate;
        SshBastion = sshBastion;
        SshBastionPort = sshBastionPort;
        SshUser = sshUser;
        SshJumpHost = sshJumpHost;
        SshHostKeyFingerprint = sshHostKeyFingerprint;
        Options = options;
        HasSessionCredential = hasSessionCredential;
        CredentialSecret = credentialSecret;
        CrlPath = crlPath;
        LocalHostVariable = localHostVariable;
        LocalPortVariable = localPortVariable;
        PowerShellExample = powerShellExample;
        PythonExample = pythonExample;
    }

    /// <summary>The integration's name.</summary>
    public string Name { get; }

    /// <summary>The engine.</summary>
    public IntegrationType Type { get; }

    /// <summary>The database server's host name, as its certificate names it.</summary>
    public string HostName { get; }

    /// <summary>The database port.</summary>
    public int Port { get; }

    /// <summary>The database (or catalog) to connect to.</summary>
    public string? Database { get; }

    /// <summary>The user name (never a password).</summary>
    public string? UserName { get; }

    /// <summary>
    /// The effective SSL mode (the integration's own, else the workspace default); null for an SshTunnel integration,
    /// whose traffic SecureConnect does not speak.
    /// </summary>
    public SslMode? SslMode { get; }

    /// <summary>Where the effective mode comes from: Integration, Default or BuiltIn; NotApplicable for an SshTunnel integration.</summary>
    public string SslModeSource { get; }

    /// <summary>The uploaded CA certificate, if any.</summary>
    public CaCertificateInfo? CaCertificate { get; }

    /// <summary>
    /// The integration's copy of its certificate revocation list in the workspace's ca/ folder, if it has one (so that
    /// Get-SecureIntegration | New-SecureIntegration -Name copy binds it to -CrlPath).
    /// </summary>
    public string? CrlPath { get; }

    /// <summary>The SSH bastion the database is reached through, if any.</summary>
    public string? SshBastion { get; }

    /// <summary>The bastion's SSH port.</summary>
    public int SshBastionPort { get; }

    /// <summary>The user on the bastion.</summary>
    public string? SshUser { get; }

    /// <summary>Jump hosts before the bastion.</summary>
    public string[] SshJumpHost { get; }

    /// <summary>The pinned bastion host key, if any.</summary>
    public string? SshHostKeyFingerprint { get; }

    /// <summary>Extra driver options (never SSL settings, never secrets).</summary>
    public IDictionary Options { get; }

    /// <summary>True when a credential for it is held in this process's memory.</summary>
    public bool HasSessionCredential { get; }

    /// <summary>The name of the SecretManagement secret the credential is read from at query time (never its value); null when none.</summary>
    public string? CredentialSecret { get; }

    /// <summary>
    /// The environment variable that Start-SshTunnel -Integration sets to the tunnel's local host (&lt;NAME&gt;_LOCAL_HOST,
    /// e.g. MY_SSH_TUNNEL_LOCAL_HOST for 'My SSH tunnel'); null when the integration has no SSH bastion.
    /// </summary>
    public string? LocalHostVariable { get; }

    /// <summary>The environment variable that Start-SshTunnel -Integration sets to the tunnel's local port (&lt;NAME&gt;_LOCAL_PORT); null without a bastion.</summary>
    public string? LocalPortVariable { get; }

    /// <summary>For an SshTunnel integration: a PowerShell line that reaches the service through the two variables (an HTTP request).</summary>
    public string? PowerShellExample { get; }

    /// <summary>For an SshTunnel integration: a Python line (requests) that reaches the service through the two variables.</summary>
    public string? PythonExample { get; }

    /// <summary>The name, so an Integration passed to -Integration binds as its name.</summary>
    public override string ToString() => Name;
}

/// <summary>One level of the SSL policy (Get-SslPolicy).</summary>
public sealed class SslPolicySetting
{
    /// <summary>Creates the object; used by the module.</summary>
    public SslPolicySetting(string scope, string? integration, SslMode? mode, SslMode? effectiveMode, string source, bool belowMinimum)
    {
        Scope = scope;
        Integration = integration;
        Mode = mode;
        EffectiveMode = effectiveMode;
        Source = source;
        BelowMinimum = belowMinimum;
    }

    /// <summary>Minimum, Default or Integration.</summary>
    public string Scope { get; }

    /// <summary>The integration, for Scope Integration.</summary>
    public string? Integration { get; }

    /// <summary>The mode set at this level (null when not set).</summary>
    public SslMode? Mode { get; }

    /// <summary>For an integration: the mode its queries use.</summary>
    public SslMode? EffectiveMode { get; }

    /// <summary>Where the effective mode comes from: Integration, Default, BuiltIn.</summary>
    public string Source { get; }

    /// <summary>True when queries to it are refused because its mode is below the workspace minimum.</summary>
    public bool BelowMinimum { get; }
}

/// <summary>What Test-SecureConnection found (SecureConnect.ConnectionReport).</summary>
public sealed class ConnectionReport
{
    /// <summary>Creates the object; used by the module.</summary>
    public ConnectionReport(
        string integration,
        IntegrationType type,
        string endpoint,
        string via,
        SslMode sslMode,
        bool encrypted,
        string? tlsProtocol,
        string? cipherSuite,
        bool certificateValidated,
        bool hostNameVerified,
        string? certificateSubject,
        string? certificateIssuer,
        DateTime? certificateNotAfter,
        string? serverVersion,
        string? clientAddressSeenByServer,
        double roundTripMs,
        string[] warnings)
    {
        Integration = integration;
        Type = type;
        Endpoint = endpoint;
        Via = via;
        SslMode = sslMode;
        Encrypted = encrypted;
        TlsProtocol = tlsProtocol;
        CipherSuite = cipherSuite;
        CertificateValidated = certificateValidated;
        HostNameVerified = hostNameVerified;
        CertificateSubject = certificateSubject;
        CertificateIssuer = certificateIssuer;
        CertificateNotAfter = certificateNotAfter;
        ServerVersion = serverVersion;
        ClientAddressSeenByServer = clientAddressSeenByServer;
        RoundTripMs = roundTripMs;
        Warnings = warnings;
        Connected = true;
    }

    /// <summary>Creates the report of a connection that failed; used by the module.</summary>
    public ConnectionReport(
        string integration,
        IntegrationType type,
        string endpoint,
        string via,
        SslMode sslMode,
        double roundTripMs,
        string errorId,
        string reason,
        string fix)
    {
        Integration = integration;
        Type = type;
        Endpoint = endpoint;
        Via = via;
        SslMode = sslMode;
        RoundTripMs = roundTripMs;
        Warnings = System.Array.Empty<string>();
        Connected = false;
        ErrorId = errorId;
        Reason = reason;
        Fix = fix;
    }

    /// <summary>True when the session opened and the server answered; false for a report of a failure (see ErrorId, Reason, Fix).</summary>
    public bool Connected { get; }

    /// <summary>When the connection failed: the error id a query would fail with (e.g. HostKeyUnknown), else null.</summary>
    public string? ErrorId { get; }

    /// <summary>When the connection failed: what happened, as the error message says it, else null.</summary>
    public string? Reason { get; }

    /// <summary>When the connection failed: what to do about it, else null.</summary>
    public string? Fix { get; }

    /// <summary>The integration tested.</summary>
    public string Integration { get; }

    /// <summary>The engine.</summary>
    public IntegrationType Type { get; }

    /// <summary>host:port of the database.</summary>
    public string Endpoint { get; }

    /// <summary>Direct, or the tunnel (bastion and local port).</summary>
    public string Via { get; }

    /// <summary>The SSL mode used.</summary>
    public SslMode SslMode { get; }

    /// <summary>Whether the server reports this session as encrypted.</summary>
    public bool Encrypted { get; }

    /// <summary>The TLS protocol version, as the server reports it.</summary>
    public string? TlsProtocol { get; }

    /// <summary>The cipher suite, as the server reports it.</summary>
    public string? CipherSuite { get; }

    /// <summary>True when the certificate chain was validated.</summary>
    public bool CertificateValidated { get; }

    /// <summary>True when the certificate's name was checked against the integration's host name.</summary>
    public bool HostNameVerified { get; }

    /// <summary>The server certificate's subject.</summary>
    public string? CertificateSubject { get; }

    /// <summary>The server certificate's issuer.</summary>
    public string? CertificateIssuer { get; }

    /// <summary>The server certificate's expiry.</summary>
    public DateTime? CertificateNotAfter { get; }

    /// <summary>The server's version.</summary>
    public string? ServerVersion { get; }

    /// <summary>The address the server sees this connection come from (through a tunnel: the bastion's).</summary>
    public string? ClientAddressSeenByServer { get; }

    /// <summary>Time to connect and run the checks, in milliseconds.</summary>
    public double RoundTripMs { get; }

    /// <summary>Things to look at (plaintext fallback, a certificate expiring soon).</summary>
    public string[] Warnings { get; }
}
