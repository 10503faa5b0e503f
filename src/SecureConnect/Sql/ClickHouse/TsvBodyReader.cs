using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;

namespace SecureConnect.Sql.ClickHouse;

/// <summary>
/// The server reported an error inside a result body it had already started with HTTP 200 (ClickHouse appends the
/// exception text after the rows it sent, because the status line went out with the first rows).
/// </summary>
internal sealed class ClickHouseServerException : Exception
{
    public ClickHouseServerException(int code, string serverMessage, long rowsBefore)
        : base(serverMessage)
    {
        Code = code;
        ServerMessage = serverMessage;
        RowsBefore = rowsBefore;
    }

    /// <summary>ClickHouse's error code (0 when the text names none).</summary>
    public int Code { get; }

    public string ServerMessage { get; }

    /// <summary>The complete rows that came before the exception.</summary>
    public long RowsBefore { get; }
}

/// <summary>A result body that is not TabSeparatedWithNamesAndTypes (a row with the wrong number of fields, no header).</summary>
internal sealed class ClickHouseFormatException : Exception
{
    public ClickHouseFormatException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// Reads a TabSeparatedWithNamesAndTypes body line by line as it arrives (never the whole body): the header of names
/// and types, then each row as raw fields (the bytes between tabs, still escaped, so that each column's type decides
/// how to read them). Detects the exception ClickHouse appends to a body it already started: a line that begins with
/// "Code: N, e.displayText() = DB::Exception" (18.x-20.x) or "Code: N. DB::Exception" (21.x and later), or newer
/// servers' "__exception__" block, and that nothing but at most <see cref="ExceptionWindow"/> bytes (the rest of its
/// message) follows up to the end of the body. Such a line followed by more than that was a row. A last row of a
/// String column that reads exactly like an exception is taken for one: a false error, never a short result. A body that ends inside a row is an
/// <see cref="EndOfStreamException"/>: the connection broke, never a short result.
/// </summary>
internal sealed class TsvBodyReader
{
    /// <summary>How much may follow an exception's first line (its message can span lines; a stack trace is longer).</summary>
    public const int ExceptionWindow = 256 * 1024;

    // 18.x-20.x "Code: 395, e.displayText() = DB::Exception: ..."; 21.x and later "Code: 395. DB::Exception: ...".
    private static readonly Regex s_exceptionStart = new(@"^Code: \d+(, e\.displayText\(\) = |\. )DB::Exception", RegexOptions.CultureInvariant);

    private readonly Stream _body;
    private readonly Queue<byte[]> _pending = new();
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _eof;
    private int _columns = -1;

    /// <summary>
    /// The longest line read (1 GiB): a row longer than that is a format error, not a buffer doubled until the process
    /// runs out of memory (a .NET array stops at 2 GiB anyway). Limit the result on the server with max_result_bytes.
    /// </summary>
    public const long MaxLineBytes = 1024L * 1024 * 1024;

    private readonly long _maxLineBytes;

    public TsvBodyReader(Stream body, long maxLineBytes = MaxLineBytes)
    {
        _body = body;
        _maxLineBytes = maxLineBytes;
    }

    /// <summary>Complete rows read so far (not counting the header).</summary>
    public long Rows { get; private set; }

    /// <summary>
    /// Reads the two header lines: names and types (unescaped); none for an empty body (a statement without a result).
    /// Throws ClickHouseServerException for an exception instead.
    /// </summary>
    public (string[] Names, string[] Types) ReadHeader()
    {
        byte[]? names = NextLine(expectRow: false);
        if (names is null)
        {
            // A statement without a result (CREATE, INSERT): an empty body.
            _columns = 0;
            return (Array.Empty<string>(), Array.Empty<string>());
        }

        byte[]? types = NextLine(expectRow: false);
        if (types is null)
        {
            throw new ClickHouseFormatException("the result has no TabSeparatedWithNamesAndTypes header (names and types)");
        }

        string[] nameFields = Split(names).ConvertAll(f => TsvText.UnescapeToString(f)).ToArray();
        string[] typeFields = Split(types).ConvertAll(f => TsvText.UnescapeToString(f)).ToArray();
        if (nameFields.Length != typeFields.Length)
        {
            throw new ClickHouseFormatException($"the header names {nameFields.Length} columns but types {typeFields.Length}");
        }

        _columns = nameFields.Length;
        return (nameFields, typeFields);
    }

    /// <summary>The next row's raw fields, or null at the end of the result.</summary>
    public List<ArraySegment<byte>>? ReadRow()
    {
        if (_columns == 0)
        {
            return null;
        }

        byte[]? line = NextLine(expectRow: true);
        if (line is null)
        {
            return null;
        }

        List<ArraySegment<byte>> fields = Split(line);
        Rows++;
        return fields;
    }

    private byte[]? NextLine(bool expectRow)
    {
        byte[]? line = _pending.Count > 0 ? _pending.Dequeue() : ReadRawLine();
        if (line is null)
        {
            return null;
        }

        bool looksLikeException = IsExceptionStart(line);
        bool malformed = expectRow && _columns >= 0 && FieldCount(line) != _columns;
        if (!looksLikeException && !malformed)
        {
            return line;
        }

        // Only the end of the body tells an appended exception from a row that reads like one: look ahead.
        var following = new List<byte[]>();
        long size = 0;
        while (size <= ExceptionWindow)
        {
            byte[]? next = _pending.Count > 0 ? _pending.Dequeue() : ReadRawLine();
            if (next is null)
            {
                string text = Text(line, following);
                if (looksLikeException || text.Contains("DB::Exception", StringComparison.Ordinal))
                {
                    throw new ClickHouseServerException(ClickHouseErrors.CodeOf(text), text.Trim(), Rows);
                }

                throw new ClickHouseFormatException($"row {Rows + 1} has {FieldCount(line)} fields where the header has {_columns}");
            }

            following.Add(next);
            size += next.Length + 1;
        }

        if (malformed)
        {
            throw new ClickHouseFormatException($"row {Rows + 1} has {FieldCount(line)} fields where the header has {_columns}");
        }

        foreach (byte[] next in following)
        {
            _pending.Enqueue(next);
        }

        return line;
    }

    private static string Text(byte[] first, List<byte[]> following)
    {
        var text = new StringBuilder(Encoding.UTF8.GetString(first));
        foreach (byte[] line in following)
        {
            text.Append('\n').Append(Encoding.UTF8.GetString(line));
        }

        return text.ToString();
    }

    internal static bool IsExceptionStart(byte[] line)
    {
        // Cheap byte test first: almost every row fails it at the first byte.
        if (line.Length >= 6 && line[0] == (byte)'C' && line[1] == (byte)'o' && line[2] == (byte)'d' && line[3] == (byte)'e' && line[4] == (byte)':')
        {
            return s_exceptionStart.IsMatch(Encoding.UTF8.GetString(line, 0, Math.Min(line.Length, 80)));
        }

        // Servers with exception tagging open the block with a line of its own.
        ReadOnlySpan<byte> tag = "__exception__"u8;
        ReadOnlySpan<byte> span = line;
        return span.StartsWith(tag) && span[tag.Length..].TrimEnd((byte)'\r').IsEmpty;
    }

    private static int FieldCount(byte[] line)
    {
        int count = 1;
        foreach (byte b in line)
        {
            if (b == (byte)'\t')
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Tabs inside values are always escaped (\t), so every raw tab separates fields.</summary>
    private static List<ArraySegment<byte>> Split(byte[] line)
    {
        var fields = new List<ArraySegment<byte>>();
        int start = 0;
        for (int i = 0; i <= line.Length; i++)
        {
            if (i == line.Length || line[i] == (byte)'\t')
            {
                fields.Add(new ArraySegment<byte>(line, start, i - start));
                start = i + 1;
            }
        }

        return fields;
    }

    /// <summary>One line without its \n (newlines inside values are always escaped); null at the end of the body.</summary>
    private byte[]? ReadRawLine()
    {
        int scanned = 0;
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start + scanned, _end - _start - scanned);
            if (newline >= 0)
            {
                byte[] line = _buffer.AsSpan(_start, newline - _start).ToArray();
                _start = newline + 1;
                return line;
            }

            if (_eof)
            {
                if (_start == _end)
                {
                    return null;
                }

                byte[] partial = _buffer.AsSpan(_start, _end - _start).ToArray();
                _start = _end;
                if (IsExceptionStart(partial) || Encoding.UTF8.GetString(partial).Contains("DB::Exception", StringComparison.Ordinal))
                {
                    // An exception without its final newline: still the server's word.
                    return partial;
                }

                throw new EndOfStreamException($"the result ended in the middle of row {Rows + 1} (after {partial.Length} bytes of it)");
            }

            scanned = _end - _start;
            Fill();
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= _maxLineBytes)
            {
                throw new ClickHouseFormatException($"row {Rows + 1} is longer than {_maxLineBytes / 1024} KiB without ending; SecureConnect reads no longer line (limit the result with -Option @{{ max_result_bytes = ... }})");
            }

            Array.Resize(ref _buffer, (int)Math.Min(_buffer.Length * 2L, _maxLineBytes));
        }

        int read = _body.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
        {
            _eof = true;
        }

        _end += read;
    }
}
