using System;
using System.Linq;

namespace SecureConnect.Common;

/// <summary>Pieces of PowerShell command lines that messages suggest, so that they work when pasted.</summary>
internal static class CommandText
{
    /// <summary>A name as it is typed at a prompt: bare when it is one word, else in single quotes ('My SSH tunnel').</summary>
    public static string Argument(string name) =>
        name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.')
            ? name
            : "'" + name.Replace("'", "''", StringComparison.Ordinal) + "'";
}
