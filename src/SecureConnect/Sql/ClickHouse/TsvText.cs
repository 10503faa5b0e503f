using System;
using System.Collections.Generic;
using System.Text;

namespace SecureConnect.Sql.ClickHouse;

/// <summary>
/// ClickHouse's text escapes, as its TabSeparated output writes them: a top-level value is "escaped" (\t \n \\ \'
/// \0 \b \f \r \a \v \e \xHH; \N alone is NULL), and the elements of an array or tuple are "quoted" (strings in single
/// quotes with the same escapes, NULL as the word NULL) and are not escaped a second time. Strings are bytes on the
/// server; they are read as UTF-8 (an invalid sequence becomes U+FFFD).
/// </summary>
internal static class TsvText
{
    /// <summary>True for the raw field \N (NULL); an escaped value can never be that.</summary>
    public static bool IsNull(ReadOnlySpan<byte> raw) => raw.Length == 2 && raw[0] == (byte)'\\' && raw[1] == (byte)'N';

    public static string UnescapeToString(ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOf((byte)'\\') < 0)
        {
            return Encoding.UTF8.GetString(raw);
        }

        return Encoding.UTF8.GetString(Unescape(raw));
    }

    public static byte[] Unescape(ReadOnlySpan<byte> raw)
    {
        var bytes = new List<byte>(raw.Length);
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] != (byte)'\\' || i + 1 == raw.Length)
            {
                bytes.Add(raw[i]);
                continue;
            }

            i++;
            i += AppendEscape(raw, i, bytes);
        }

        return bytes.ToArray();
    }

    /// <summary>Appends the byte of the escape whose letter is at <paramref name="at"/>; returns how many bytes after the letter it used.</summary>
    private static int AppendEscape(ReadOnlySpan<byte> raw, int at, List<byte> into)
    {
        byte letter = raw[at];
        switch (letter)
        {
            case (byte)'t': into.Add((byte)'\t'); return 0;
            case (byte)'n': into.Add((byte)'\n'); return 0;
            case (byte)'r': into.Add((byte)'\r'); return 0;
            case (byte)'0': into.Add(0); return 0;
            case (byte)'b': into.Add((byte)'\b'); return 0;
            case (byte)'f': into.Add((byte)'\f'); return 0;
            case (byte)'a': into.Add((byte)'\a'); return 0;
            case (byte)'v': into.Add((byte)'\v'); return 0;
            case (byte)'e': into.Add(0x1B); return 0;
            case (byte)'x' when at + 2 < raw.Length && IsHex(raw[at + 1]) && IsHex(raw[at + 2]):
                into.Add((byte)((Hex(raw[at + 1]) << 4) | Hex(raw[at + 2])));
                return 2;
            default:
                // \\ \' \" and any other escaped character stand for themselves.
                into.Add(letter);
                return 0;
        }
    }

    private static bool IsHex(byte b) => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'f' or >= (byte)'A' and <= (byte)'F';

    private static int Hex(byte b) => b <= (byte)'9' ? b - '0' : (b | 0x20) - 'a' + 10;

    /// <summary>
    /// Splits a quoted composite ([1,'a',NULL], ('x',2), nested ones) into its elements: each element's text as it
    /// stands (a string still in its quotes), or null for NULL. Throws FormatException when it is not one.
    /// </summary>
    public static List<byte[]?> SplitComposite(ReadOnlySpan<byte> raw, byte open, byte close)
    {
        if (raw.Length < 2 || raw[0] != open || raw[^1] != close)
        {
            throw new FormatException($"'{Encoding.UTF8.GetString(raw)}' is not a {(char)open}...{(char)close} value");
        }

        var elements = new List<byte[]?>();
        ReadOnlySpan<byte> inner = raw[1..^1];
        if (inner.IsEmpty)
        {
            return elements;
        }

        int depth = 0;
        int start = 0;
        bool quoted = false;
        for (int i = 0; i <= inner.Length; i++)
        {
            if (i < inner.Length)
            {
                byte b = inner[i];
                if (quoted)
                {
                    if (b == (byte)'\\')
                    {
                        i++;
                    }
                    else if (b == (byte)'\'')
                    {
                        quoted = false;
                    }

                    continue;
                }

                if (b == (byte)'\'')
                {
                    quoted = true;
                    continue;
                }

                if (b is (byte)'[' or (byte)'(' or (byte)'{')
                {
                    depth++;
                    continue;
                }

                if (b is (byte)']' or (byte)')' or (byte)'}')
                {
                    depth--;
                    continue;
                }

                if (b != (byte)',' || depth != 0)
                {
                    continue;
                }
            }

            if (quoted || depth != 0)
            {
                throw new FormatException($"'{Encoding.UTF8.GetString(raw)}' has an unclosed quote or bracket");
            }

            ReadOnlySpan<byte> element = inner[start..i].Trim((byte)' ');
            elements.Add(element.SequenceEqual("NULL"u8) ? null : element.ToArray());
            start = i + 1;
        }

        return elements;
    }

    /// <summary>The string of a quoted element ('a\'b' is a'b); an unquoted element is taken as it stands.</summary>
    public static string UnquoteToString(ReadOnlySpan<byte> element) =>
        element.Length >= 2 && element[0] == (byte)'\'' && element[^1] == (byte)'\''
            ? UnescapeToString(element[1..^1])
            : Encoding.UTF8.GetString(element);

    /// <summary>The bytes of a quoted element.</summary>
    public static byte[] UnquoteToBytes(ReadOnlySpan<byte> element) =>
        element.Length >= 2 && element[0] == (byte)'\'' && element[^1] == (byte)'\''
            ? Unescape(element[1..^1])
            : element.ToArray();

    /// <summary>A string as a ClickHouse escaped text value (a query parameter): backslash, tab, newline and the rest escaped.</summary>
    public static string Escape(string value, bool quote)
    {
        var text = new StringBuilder(value.Length + 2);
        if (quote)
        {
            text.Append('\'');
        }

        foreach (char c in value)
        {
            _ = c switch
            {
                '\\' => text.Append("\\\\"),
                '\t' => text.Append("\\t"),
                '\n' => text.Append("\\n"),
                '\r' => text.Append("\\r"),
                '\0' => text.Append("\\0"),
                '\b' => text.Append("\\b"),
                '\f' => text.Append("\\f"),
                '\'' => text.Append("\\'"),
                _ => text.Append(c),
            };
        }

        if (quote)
        {
            text.Append('\'');
        }

        return text.ToString();
    }
}
