using System;
using System.IO;
using System.Linq;
using System.Text;
using SecureConnect.Common;

namespace SecureConnect.Export;

/// <summary>
/// Writes rows as CSV exactly as PowerShell 7's Export-Csv writes the objects Invoke-SecureQuery makes of them: the
/// first row's names are the header, a later row's values are found by header name (ignoring case; a missing one is an
/// empty field), each value is its ToString() in the current culture (so numbers and dates follow the session's
/// culture, an array is "System.Object[]"), NULL is an empty field without quotes whatever -UseQuotes says, quotes are
/// doubled, AsNeeded quotes a field only when it holds the delimiter, a double quote or a line feed (not a lone carriage
/// return), and every line ends with Environment.NewLine.
/// </summary>
internal sealed class CsvRowWriter : IRowWriter
{
    private readonly StreamWriter _writer;
    private readonly char _delimiter;
    private readonly CsvQuoteKind _quotes;
    private readonly string[]? _existingHeader;
    private readonly string _target;
    private readonly char[] _scratch = new char[128];
    private string[]? _header;
    private string[]? _mapFor;
    private int[] _map = Array.Empty<int>();

    /// <param name="stream">Where the CSV goes; a byte order mark is written when it is at its start and the encoding has one.</param>
    /// <param name="encoding">The file's encoding (Export-Csv's -Encoding).</param>
    /// <param name="delimiter">Between fields (Export-Csv's -Delimiter).</param>
    /// <param name="quotes">Which fields are quoted (Export-Csv's -UseQuotes).</param>
    /// <param name="existingHeader">When appending: the header of the file appended to; no header is written and the rows follow its order.</param>
    /// <param name="target">The file, for error messages.</param>
    public CsvRowWriter(Stream stream, Encoding encoding, char delimiter, CsvQuoteKind quotes, string[]? existingHeader, string target)
    {
        _writer = new StreamWriter(stream, encoding, bufferSize: 1 << 15, leaveOpen: true);
        _delimiter = delimiter;
        _quotes = quotes;
        _existingHeader = existingHeader;
        _target = target;
    }

    public long Rows { get; private set; }

    public void Row(string[] names, object?[] values)
    {
        if (_header is null)
        {
            StartWith(names);
        }

        int[] map = MapFor(names);
        for (int i = 0; i < map.Length; i++)
        {
            if (i > 0)
            {
                _writer.Write(_delimiter);
            }

            int index = map[i];
            if (index >= 0)
            {
                WriteValue(values[index]);
            }
        }

        _writer.WriteLine();
        Rows++;
    }

    public void Finish() => _writer.Flush();

    // The stream belongs to the ExportFile, which may have closed it already: disposing the StreamWriter would flush into it.
    public void Dispose()
    {
    }

    private void StartWith(string[] names)
    {
        if (_existingHeader is null)
        {
            _header = names;
            for (int i = 0; i < names.Length; i++)
            {
                if (i > 0)
                {
                    _writer.Write(_delimiter);
                }

                WriteText(names[i]);
            }

            _writer.WriteLine();
            return;
        }

        // Export-Csv -Append lets the new rows drop columns of the file silently; a file whose columns are not the
        // query's is refused here instead, before anything reaches it.
        bool same = _existingHeader.Length == names.Length && names.All(n => _existingHeader.Contains(n, StringComparer.OrdinalIgnoreCase));
        if (!same)
        {
            throw new SecureConnectException(
                ErrorIds.ExportHeaderMismatch,
                ErrorKind.InvalidData,
                $"'{_target}' has the columns {Describe(_existingHeader)}, and the query returns {Describe(names)}; nothing was appended. " +
                "Select the same columns (in any order) in the query, or write to a new file (without -Append).",
                _target);
        }

        _header = _existingHeader;
    }

    private static string Describe(string[] names) => names.Length == 0 ? "(none)" : string.Join(", ", names);

    /// <summary>For each header column, the index of its value in a row with these names (-1: not there).</summary>
    private int[] MapFor(string[] names)
    {
        // Most results repeat one names array for every row: the map is built once per array.
        if (ReferenceEquals(names, _mapFor))
        {
            return _map;
        }

        string[] header = _header!;
        var map = new int[header.Length];
        for (int i = 0; i < header.Length; i++)
        {
            map[i] = Array.FindIndex(names, n => string.Equals(n, header[i], StringComparison.OrdinalIgnoreCase));
        }

        _mapFor = names;
        _map = map;
        return map;
    }

    private void WriteValue(object? value)
    {
        switch (value)
        {
            case null:
                return;
            case string text:
                WriteText(text);
                return;
            case bool flag:
                WriteText(flag ? bool.TrueString : bool.FalseString);
                return;
        }

        // What Export-Csv writes is value.ToString(); for these types that is TryFormat with no format and the
        // current culture, which needs no string per value.
        if (IsCultureFormattable(value) && ((ISpanFormattable)value).TryFormat(_scratch, out int written, default, null))
        {
            WriteText(_scratch.AsSpan(0, written));
            return;
        }

        // A ToString() that returns null is skipped by Export-Csv, like NULL.
        if (value.ToString() is { } other)
        {
            WriteText(other);
        }
    }

    private static bool IsCultureFormattable(object value) =>
        value is int or long or decimal or double or float or short or byte or sbyte or ushort or uint or ulong
            or DateTime or DateTimeOffset or Guid or TimeSpan;

    private void WriteText(ReadOnlySpan<char> text)
    {
        bool quote = _quotes switch
        {
            CsvQuoteKind.Always => true,
            CsvQuoteKind.AsNeeded => text.IndexOfAny(_delimiter, '\n', '"') >= 0,
            _ => false,
        };
        if (!quote)
        {
            _writer.Write(text);
            return;
        }

        _writer.Write('"');
        int at;
        while ((at = text.IndexOf('"')) >= 0)
        {
            _writer.Write(text[..(at + 1)]);
            _writer.Write('"');
            text = text[(at + 1)..];
        }

        _writer.Write(text);
        _writer.Write('"');
    }
}
