using System;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>A command error as a server reports it: {ok: 0, errmsg, code, codeName}.</summary>
internal sealed class CommandException : Exception
{
    public CommandException(int code, string codeName, string message) : base(message)
    {
        Code = code;
        CodeName = codeName;
    }

    public int Code { get; }
    public string CodeName { get; }

    public static CommandException BadValue(string message) => new(2, "BadValue", message);
    public static CommandException TypeMismatch(string message) => new(14, "TypeMismatch", message);
}
