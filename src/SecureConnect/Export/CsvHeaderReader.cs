using System.Collections.Generic;
using System.IO;
using System.Text;

namespace SecureConnect.Export;

/// <summary>
/// Reads the header of a CSV file that rows are to be appended to, and the encoding to append in: the one its byte
/// order mark names, else the one asked for (what Export-Csv -Append does).
/// </summary>
internal static class CsvHeaderReader
{
    /// <summary>The header's names (null for a file with no text), and the encoding of the file.</summary>
    public static (string[]? Header, Encoding Encoding) Read(string path, char delimiter, Encoding encoding)
    {
        using var reader = new StreamReader(path, encoding, detectEncodingFromByteOrderMarks: true);
        if (reader.Peek() == -1)
        {
            return (null, reader.CurrentEncoding);
        }

        List<string> fields = ReadRecord(reader, delimiter);
        if (fields.Count > 0 && fields[0].StartsWith("#TYPE", System.StringComparison.Ordinal))
        {
            fields = ReadRecord(reader, delimiter);
        }

        return (fields.ToArray(), reader.CurrentEncoding);
    }

    /// <summary>One record: fields split at the delimiter, "quoted" fields with "" for a quote and line breaks inside.</summary>
    private static List<string> ReadRecord(TextReader reader, char delimiter)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        int c;
        while ((c = reader.Read()) != -1)
        {
            char ch = (char)c;
            if (quoted)
            {
                if (ch != '"')
                {
                    field.Append(ch);
                }
                else if (reader.Peek() == '"')
                {
                    field.Append('"');
                    reader.Read();
                }
                else
                {
                    quoted = false;
                }
            }
            else if (ch == '"')
            {
                quoted = true;
            }
            else if (ch == delimiter)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (ch == '\n')
            {
                break;
            }
            else if (ch != '\r')
            {
                field.Append(ch);
            }
        }

        fields.Add(field.ToString());
        return fields;
    }
}
