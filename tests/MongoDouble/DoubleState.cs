using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using MongoDB.Bson;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>One client connection: its TLS session (if any) and who it authenticated as.</summary>
internal sealed class ConnectionState
{
    public ConnectionState(int id) => Id = id;

    public int Id { get; }

    /// <summary>The client's address and port as the double sees them (whatsmyuri).</summary>
    public string? Peer { get; set; }
    public SslProtocols? TlsProtocol { get; set; }
    public string? TlsCipher { get; set; }
    public string? AuthenticatedUser { get; set; }
    public ScramSha256Server.Conversation? Conversation { get; set; }
    public bool SkipEmptyExchange { get; set; }
}

/// <summary>What the whole double shares: data, cursors, the user, and the counters doubleStats reports.</summary>
internal sealed class DoubleState
{
    private readonly ConcurrentDictionary<string, long> _commands = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _tlsVersions = new(StringComparer.Ordinal);
    private int _connectionsAccepted;
    private int _connectionsOpen;
    private long _authReceived;
    private long _authSucceeded;

    public DoubleState(DoubleOptions options, X509Certificate2? certificate)
    {
        Options = options;
        Certificate = certificate;
        Data = new SeedData(options.Numbers);
        Scram = options.User is null ? null : new ScramSha256Server(options.User, options.Password!);
    }

    public DoubleOptions Options { get; }
    public X509Certificate2? Certificate { get; }
    public SeedData Data { get; }
    public CursorRegistry Cursors { get; } = new();
    public ScramSha256Server? Scram { get; }
    public DateTime Started { get; } = DateTime.UtcNow;

    public ConnectionState OpenConnection()
    {
        Interlocked.Increment(ref _connectionsOpen);
        return new ConnectionState(Interlocked.Increment(ref _connectionsAccepted));
    }

    public void CloseConnection() => Interlocked.Decrement(ref _connectionsOpen);

    public void CountCommand(string name) => _commands.AddOrUpdate(name, 1, (_, n) => n + 1);

    public void CountTls(SslProtocols protocol) => _tlsVersions.AddOrUpdate(TlsVersionName(protocol), 1, (_, n) => n + 1);

    public void CountAuthentication(bool succeeded)
    {
        Interlocked.Increment(ref _authReceived);
        if (succeeded) Interlocked.Increment(ref _authSucceeded);
    }

    public BsonDocument Connections() => new()
    {
        { "current", _connectionsOpen },
        { "totalCreated", _connectionsAccepted },
    };

    public BsonDocument CommandCounts() =>
        new(_commands.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new BsonElement(p.Key, p.Value)));

    /// <summary>serverStatus.transportSecurity: connections by TLS version, as servers count them.</summary>
    public BsonDocument TransportSecurity() => new()
    {
        { "1.0", _tlsVersions.GetValueOrDefault("1.0") },
        { "1.1", _tlsVersions.GetValueOrDefault("1.1") },
        { "1.2", _tlsVersions.GetValueOrDefault("1.2") },
        { "1.3", _tlsVersions.GetValueOrDefault("1.3") },
        { "unknown", _tlsVersions.GetValueOrDefault("unknown") },
    };

    public BsonDocument AuthenticationMechanisms() => new(ScramSha256Server.Mechanism, new BsonDocument
    {
        { "authenticate", new BsonDocument { { "received", Interlocked.Read(ref _authReceived) }, { "successful", Interlocked.Read(ref _authSucceeded) } } },
    });

    public static string TlsVersionName(SslProtocols protocol) => protocol switch
    {
#pragma warning disable SYSLIB0039 // only named, never offered
        SslProtocols.Tls => "1.0",
        SslProtocols.Tls11 => "1.1",
#pragma warning restore SYSLIB0039
        SslProtocols.Tls12 => "1.2",
        SslProtocols.Tls13 => "1.3",
        _ => "unknown",
    };
}
