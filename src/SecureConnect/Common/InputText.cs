using System;
using System.Globalization;
using System.Text;

namespace SecureConnect.Common;

/// <summary>
/// Text a user passes that ends up in a file, a connection string, an SSH login or a message: control characters
/// (a pasted line break, a NUL, a terminal escape) are refused at the door, and shown visibly when a message quotes
/// the value, so that neither a file nor a terminal is changed by what was typed.
/// </summary>
internal static class InputText
{
    /// <summary>The index of the first control character (C0, DEL, C1), or -1.</summary>
    public static int IndexOfControl(string value)
    {
        for (int i = 0; i < value.Length; i++)
        {
            if (char.IsControl(value[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The value with every control character written as \uXXXX.</summary>
    public static string Visible(string value)
    {
        if (IndexOfControl(value) < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 8);
        foreach (char c in value)
        {
            builder.Append(char.IsControl(c) ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c.ToString());
        }

        return builder.ToString();
    }

    /// <summary>
    /// InvalidName for a user name, SSH user or database name that holds a control character: no server name
    /// holds one, and a driver or ssh would otherwise fail later with an exception of its own (or write it into a file).
    /// </summary>
    public static void CheckName(string? value, string parameter)
    {
        if (value is null)
        {
            return;
        }

        int at = IndexOfControl(value);
        if (at >= 0)
        {
            throw new SecureConnectException(
                ErrorIds.InvalidName,
                ErrorKind.InvalidArgument,
                $"-{parameter} '{Visible(value)}' holds the control character U+{(int)value[at]:X4} at position {at + 1}. " +
                "Names of users and databases hold printable characters only; check for a pasted line break.",
                parameter);
        }
    }
}
