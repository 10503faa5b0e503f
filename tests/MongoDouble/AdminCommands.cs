using System;
using System.Security.Cryptography.X509Certificates;
using MongoDB.Bson;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>The handshake, server information and authentication commands.</summary>
internal sealed class AdminCommands
{
    public const string Version = "7.0.0-double";
    private const int MaxBsonObjectSize = 16 * 1024 * 1024;

    private readonly DoubleState _state;

    public AdminCommands(DoubleState state) => _state = state;

    public BsonDocument Hello(BsonDocument command, ConnectionState connection, bool legacy)
    {
        var reply = new BsonDocument();
        // helloOk tells a driver that asked with the legacy name that it may use "hello" from now on.
        if (command.Contains("helloOk")) reply["helloOk"] = true;
        reply[legacy ? "ismaster" : "isWritablePrimary"] = true;
        reply["maxBsonObjectSize"] = MaxBsonObjectSize;
        reply["maxMessageSizeBytes"] = WireMessages.MaxMessageSize;
        reply["maxWriteBatchSize"] = 100_000;
        reply["localTime"] = new BsonDateTime(DateTime.UtcNow);
        reply["logicalSessionTimeoutMinutes"] = 30;
        reply["connectionId"] = connection.Id;
        reply["minWireVersion"] = 0;
        reply["maxWireVersion"] = 21;
        reply["readOnly"] = false;
        // Mechanism negotiation: a driver asks for "<db>.<user>"; a server lists the mechanisms of a user it knows.
        if (command.TryGetValue("saslSupportedMechs", out var who) && who.IsString && _state.Scram is not null
            && who.AsString == "admin." + _state.Scram.User)
        {
            reply["saslSupportedMechs"] = new BsonArray { ScramSha256Server.Mechanism };
        }
        // No speculativeAuthenticate in the reply (the driver then runs saslStart), no topologyVersion (so drivers
        // poll instead of streaming hello), no compression (none is spoken).
        reply["ok"] = 1.0;
        return reply;
    }

    public BsonDocument BuildInfo() => new()
    {
        { "version", Version },
        { "gitVersion", "none: MongoDB wire-protocol test double, not a MongoDB server" },
        { "versionArray", new BsonArray { 7, 0, 0, 0 } },
        { "bits", 64 },
        { "debug", false },
        { "maxBsonObjectSize", MaxBsonObjectSize },
        { "storageEngines", new BsonArray() },
        { "modules", new BsonArray() },
        { "ok", 1.0 },
    };

    public BsonDocument ConnectionStatus(ConnectionState connection) => new()
    {
        {
            "authInfo", new BsonDocument
            {
                {
                    "authenticatedUsers", connection.AuthenticatedUser is null ? new BsonArray()
                        : new BsonArray { new BsonDocument { { "user", connection.AuthenticatedUser }, { "db", "admin" } } }
                },
                {
                    "authenticatedUserRoles", connection.AuthenticatedUser is null ? new BsonArray()
                        : new BsonArray { new BsonDocument { { "role", "root" }, { "db", "admin" } } }
                },
            }
        },
        { "ok", 1.0 },
    };

    public BsonDocument ServerStatus()
    {
        var reply = new BsonDocument
        {
            { "host", $"{_state.Options.Address}:{_state.Options.Port}" },
            { "version", Version },
            { "process", "MongoDouble" },
            { "uptime", Math.Floor((DateTime.UtcNow - _state.Started).TotalSeconds) },
            { "localTime", new BsonDateTime(DateTime.UtcNow) },
            { "connections", _state.Connections() },
        };
        // As mongod reports it: the server certificate (not the session's cipher, which no server command shows)
        // and the authentication counters; connections by TLS version under transportSecurity.
        var security = new BsonDocument();
        if (_state.Certificate is X509Certificate2 certificate)
        {
            security["SSLServerSubjectName"] = certificate.SubjectName.Name;
            security["SSLServerHasCertificateAuthority"] = false;
            security["SSLServerCertificateExpirationDate"] = new BsonDateTime(certificate.NotAfter.ToUniversalTime());
        }
        if (_state.Scram is not null) security["authentication"] = new BsonDocument("mechanisms", _state.AuthenticationMechanisms());
        if (security.ElementCount > 0) reply["security"] = security;
        if (_state.Certificate is not null) reply["transportSecurity"] = _state.TransportSecurity();
        reply["ok"] = 1.0;
        return reply;
    }

    public BsonDocument SaslStart(BsonDocument command, string db, ConnectionState connection)
    {
        string mechanism = command.GetValue("mechanism", "").AsString;
        var scram = _state.Scram;
        if (scram is null)
            throw new CommandException(334, "MechanismUnavailable", $"Received authentication for mechanism {mechanism} which is not enabled");
        if (mechanism != ScramSha256Server.Mechanism)
        {
            _state.CountAuthentication(false);
            // The double's user has SCRAM-SHA-256 credentials only (as if created with mechanisms: ["SCRAM-SHA-256"]).
            throw mechanism == "SCRAM-SHA-1"
                ? new CommandException(334, "MechanismUnavailable", "Unable to use SCRAM-SHA-1 based authentication for user without any SCRAM-SHA-1 credentials registered")
                : new CommandException(334, "MechanismUnavailable", $"Received authentication for mechanism {mechanism} which is not enabled");
        }
        var conversation = new ScramSha256Server.Conversation(scram);
        if (db != "admin" || !conversation.TryStart(Payload(command), out byte[] serverFirst))
        {
            _state.CountAuthentication(false);
            throw AuthenticationFailed();
        }
        connection.Conversation = conversation;
        connection.SkipEmptyExchange = command.GetValue("options", new BsonDocument()) is BsonDocument options
            && options.GetValue("skipEmptyExchange", false).ToBoolean();
        return SaslReply(serverFirst, done: false);
    }

    public BsonDocument SaslContinue(BsonDocument command, ConnectionState connection)
    {
        var conversation = connection.Conversation ?? throw new CommandException(17, "ProtocolError", "No SASL session state found");
        if (conversation.Done)
        {
            // The empty last exchange of a client that did not ask for skipEmptyExchange.
            connection.Conversation = null;
            return SaslReply(Array.Empty<byte>(), done: true);
        }
        bool ok = conversation.TryFinish(Payload(command), out byte[] serverFinal);
        _state.CountAuthentication(ok);
        if (!ok)
        {
            connection.Conversation = null;
            throw AuthenticationFailed();
        }
        connection.AuthenticatedUser = _state.Scram!.User;
        // With options {skipEmptyExchange: true} (current drivers) the conversation ends here; else one more round.
        if (connection.SkipEmptyExchange) connection.Conversation = null;
        return SaslReply(serverFinal, done: connection.SkipEmptyExchange);
    }

    public BsonDocument DoubleStats(ConnectionState connection)
    {
        var reply = new BsonDocument
        {
            { "double", "MongoDB wire-protocol test double" },
            { "connections", _state.Connections() },
        };
        reply.Merge(_state.Cursors.Stats());
        reply["commands"] = _state.CommandCounts();
        reply["connection"] = new BsonDocument
        {
            { "id", connection.Id },
            { "tls", connection.TlsProtocol is not null },
            { "tlsProtocol", connection.TlsProtocol is { } p ? "TLS " + DoubleState.TlsVersionName(p) : BsonNull.Value },
            { "tlsCipher", connection.TlsCipher is { } c ? c : BsonNull.Value },
            { "authenticatedUser", connection.AuthenticatedUser is { } u ? u : BsonNull.Value },
        };
        reply["ok"] = 1.0;
        return reply;
    }

    private static byte[] Payload(BsonDocument command) => command.GetValue("payload", BsonNull.Value) switch
    {
        BsonBinaryData binary => binary.Bytes,
        BsonString text => Convert.FromBase64String(text.Value),
        _ => throw CommandException.BadValue("payload is missing"),
    };

    private static BsonDocument SaslReply(byte[] payload, bool done) => new()
    {
        { "conversationId", 1 },
        { "done", done },
        { "payload", new BsonBinaryData(payload) },
        { "ok", 1.0 },
    };

    private static CommandException AuthenticationFailed() => new(18, "AuthenticationFailed", "Authentication failed.");
}
