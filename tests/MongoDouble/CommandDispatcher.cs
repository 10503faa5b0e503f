using System;
using System.Collections.Generic;
using MongoDB.Bson;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>
/// Routes a command by its name (the first field), logs it on stderr ("cmd &lt;name&gt; &lt;db&gt;"), counts it, refuses it
/// before authentication when the double has a user (as a server with authorization enabled does), and turns a
/// failure into the server's error reply.
/// </summary>
internal sealed class CommandDispatcher
{
    // What a server answers before authentication; everything else is code 13 Unauthorized.
    private static readonly HashSet<string> s_withoutAuthentication = new(StringComparer.Ordinal)
    {
        "hello", "isMaster", "ismaster", "ping", "buildInfo", "buildinfo", "saslStart", "saslContinue", "endSessions",
        "connectionStatus", "doubleStats",
    };

    private readonly DoubleState _state;
    private readonly AdminCommands _admin;
    private readonly DataCommands _data;

    public CommandDispatcher(DoubleState state)
    {
        _state = state;
        _admin = new AdminCommands(state);
        _data = new DataCommands(state);
    }

    public BsonDocument Handle(WireRequest request, ConnectionState connection)
    {
        if (request.Command.ElementCount == 0) return Error(new CommandException(59, "CommandNotFound", "no such command: ''"));
        string name = request.Command.GetElement(0).Name;
        Console.Error.WriteLine($"cmd {name} {request.Database}");
        _state.CountCommand(name);
        try
        {
            if (_state.Scram is not null && connection.AuthenticatedUser is null && !s_withoutAuthentication.Contains(name))
                throw new CommandException(13, "Unauthorized", $"Command {name} requires authentication");
            return Run(name, request, connection);
        }
        catch (CommandException e)
        {
            return Error(e);
        }
        catch (InvalidCastException e)
        {
            // A field of the wrong BSON type (MongoDB.Bson's AsString and friends).
            return Error(CommandException.TypeMismatch($"{name}: a field has the wrong type ({e.Message})"));
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or InvalidOperationException)
        {
            // A request the double cannot take apart: an error reply, as a server gives, rather than a dropped connection.
            Console.Error.WriteLine($"cmd {name} failed in the double: {e}");
            return Error(new CommandException(1, "InternalError", $"{name} failed in the MongoDB wire-protocol test double: {e.Message}"));
        }
    }

    private BsonDocument Run(string name, WireRequest request, ConnectionState connection)
    {
        BsonDocument command = request.Command;
        string db = request.Database;
        return name switch
        {
            "hello" or "isMaster" or "ismaster" => _admin.Hello(command, connection, legacy: name != "hello"),
            "ping" => Ok(),
            "whatsmyuri" => new BsonDocument { { "you", connection.Peer ?? string.Empty }, { "ok", 1.0 } },
            "buildInfo" or "buildinfo" => _admin.BuildInfo(),
            "connectionStatus" => _admin.ConnectionStatus(connection),
            "serverStatus" => _admin.ServerStatus(),
            "endSessions" => Ok(),
            "saslStart" => _admin.SaslStart(command, db, connection),
            "saslContinue" => _admin.SaslContinue(command, connection),
            "doubleStats" => _admin.DoubleStats(connection),
            "listDatabases" => _data.ListDatabases(),
            "listCollections" => _data.ListCollections(command, db),
            "find" => _data.Find(command, db),
            "getMore" => _data.GetMore(command, db),
            "killCursors" => _data.KillCursors(command),
            "aggregate" => _data.Aggregate(command, db),
            "count" => _data.Count(command, db),
            "distinct" => _data.Distinct(command, db),
            _ => throw new CommandException(59, "CommandNotFound", $"no such command: '{name}'"),
        };
    }

    public static BsonDocument Ok() => new("ok", 1.0);

    private static BsonDocument Error(CommandException e) => new()
    {
        { "ok", 0.0 },
        { "errmsg", e.Message },
        { "code", e.Code },
        { "codeName", e.CodeName },
    };
}
