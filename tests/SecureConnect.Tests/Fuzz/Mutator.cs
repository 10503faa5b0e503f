using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace SecureConnect.Tests.Fuzz;

/// <summary>
/// Makes inputs from a seed corpus: bit flips, byte inserts and deletes, truncation, duplicated chunks, splices of two
/// inputs, numbers replaced by extremes, random bytes, very long runs, control characters, invalid UTF-8, deep nesting
/// of the format's own brackets, and (for formats that carry base64) the same mutations on the decoded bytes, with SSH
/// wire length fields set to extremes (4 GB claimed by a 60-byte key). Deterministic for a given Random.
/// </summary>
internal sealed class Mutator
{
    private static readonly byte[] s_interestingBytes = { 0, 1, 0x7F, 0x80, 0xFF, (byte)'\n', (byte)'\r', (byte)'\t', (byte)' ', (byte)'\\', (byte)'"', (byte)'\'', (byte)',', (byte)':', (byte)'|', (byte)'@', (byte)'[', (byte)']', (byte)'{', (byte)'}', (byte)'(', (byte)')', (byte)'=', (byte)';', (byte)'/', (byte)'-', (byte)'.', (byte)'*', (byte)'!', (byte)'#' };

    private static readonly string[] s_extremeNumbers =
    {
        "0", "-1", "1", "-0", "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "99999999999999999999999999999999999999999", "1e309", "-1e309", "1e-400", "0.5", "1.7976931348623157E+308",
        "65535", "65536", "256", "33", "129", "NaN", "Infinity",
    };

    private static readonly byte[][] s_controls =
    {
        new byte[] { 0 }, new byte[] { 0x1B }, new byte[] { (byte)'\r' }, new byte[] { (byte)'\n' }, new byte[] { 0x7F },
        new byte[] { 0x0B }, new byte[] { 0x0C }, new byte[] { 0xE2, 0x80, 0xA8 }, new byte[] { 0xC2, 0x85 }, new byte[] { 0xEF, 0xBB, 0xBF },
        new byte[] { 0xE2, 0x80, 0xAE }, new byte[] { 0x1E },
    };

    private static readonly byte[][] s_invalidUtf8 =
    {
        new byte[] { 0xC3 }, new byte[] { 0xED, 0xA0, 0x80 }, new byte[] { 0xF8, 0x88, 0x80, 0x80, 0x80 }, new byte[] { 0xFF, 0xFE },
        new byte[] { 0xC0, 0xAF }, new byte[] { 0xF4, 0x90, 0x80, 0x80 }, new byte[] { 0x80 }, new byte[] { 0xE2, 0x82 },
    };

    private static readonly uint[] s_extremeLengths = { 0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x00FFFFFF, 65536 };

    private readonly Random _random;
    private readonly List<byte[]> _corpus;
    private readonly FuzzTarget _target;

    public Mutator(Random random, List<byte[]> corpus, FuzzTarget target)
    {
        _random = random;
        _corpus = corpus;
        _target = target;
    }

    /// <summary>The next input: a corpus entry with one to four mutations stacked.</summary>
    public byte[] Next()
    {
        List<byte> data = Pick().ToList();
        int count = 1 + _random.Next(4);
        for (int i = 0; i < count; i++)
        {
            Mutate(data);
        }

        if (data.Count > _target.MaxLength)
        {
            data.RemoveRange(_target.MaxLength, data.Count - _target.MaxLength);
        }

        return data.ToArray();
    }

    private byte[] Pick() => _corpus[_random.Next(_corpus.Count)];

    private void Mutate(List<byte> data)
    {
        int choice = _random.Next(_target.Base64Payloads ? 20 : 17);
        switch (choice)
        {
            case 0: FlipBits(data); break;
            case 1: SetByte(data); break;
            case 2: InsertBytes(data); break;
            case 3: DeleteRange(data); break;
            case 4: Truncate(data); break;
            case 5: DuplicateChunk(data); break;
            case 6: Splice(data); break;
            case 7: ReplaceNumber(data); break;
            case 8: RandomBytes(data); break;
            case 9: LongRun(data); break;
            case 10: InsertAt(data, s_controls[_random.Next(s_controls.Length)]); break;
            case 11: InsertAt(data, s_invalidUtf8[_random.Next(s_invalidUtf8.Length)]); break;
            case 12: DeepNesting(data); break;
            case 13:
            case 14: InsertToken(data); break;
            case 15: ReplaceNumber(data); break;
            case 16: SwapLines(data); break;
            default: MutateBase64(data); break;
        }
    }

    private int Position(List<byte> data) => data.Count == 0 ? 0 : _random.Next(data.Count + 1);

    private void FlipBits(List<byte> data)
    {
        if (data.Count == 0)
        {
            return;
        }

        int flips = 1 + _random.Next(8);
        for (int i = 0; i < flips; i++)
        {
            int at = _random.Next(data.Count);
            data[at] ^= (byte)(1 << _random.Next(8));
        }
    }

    private void SetByte(List<byte> data)
    {
        if (data.Count == 0)
        {
            data.Add(s_interestingBytes[_random.Next(s_interestingBytes.Length)]);
            return;
        }

        data[_random.Next(data.Count)] = _random.Next(2) == 0 ? s_interestingBytes[_random.Next(s_interestingBytes.Length)] : (byte)_random.Next(256);
    }

    private void InsertBytes(List<byte> data)
    {
        var bytes = new byte[1 + _random.Next(16)];
        _random.NextBytes(bytes);
        InsertAt(data, bytes);
    }

    private void InsertAt(List<byte> data, byte[] bytes) => data.InsertRange(Position(data), bytes);

    private void DeleteRange(List<byte> data)
    {
        if (data.Count == 0)
        {
            return;
        }

        int at = _random.Next(data.Count);
        int length = Math.Min(data.Count - at, 1 + _random.Next(_random.Next(2) == 0 ? 8 : 256));
        data.RemoveRange(at, length);
    }

    private void Truncate(List<byte> data)
    {
        if (data.Count > 0)
        {
            int cut = _random.Next(data.Count);
            data.RemoveRange(cut, data.Count - cut);
        }
    }

    private void DuplicateChunk(List<byte> data)
    {
        if (data.Count == 0)
        {
            return;
        }

        int at = _random.Next(data.Count);
        int length = Math.Min(data.Count - at, 1 + _random.Next(512));
        byte[] chunk = data.GetRange(at, length).ToArray();
        int times = _random.Next(4) == 0 ? 2 + _random.Next(64) : 1;
        int into = Position(data);
        for (int i = 0; i < times && data.Count < _target.MaxLength; i++)
        {
            data.InsertRange(into, chunk);
        }
    }

    private void Splice(List<byte> data)
    {
        byte[] other = Pick();
        int cut = Position(data);
        int from = other.Length == 0 ? 0 : _random.Next(other.Length);
        data.RemoveRange(cut, data.Count - cut);
        data.AddRange(other.AsSpan(from).ToArray());
    }

    private void ReplaceNumber(List<byte> data)
    {
        // Every run of digits is a candidate: ports, lengths, prefix lengths, versions, counts, row values.
        var runs = new List<(int Start, int Length)>();
        for (int i = 0; i < data.Count;)
        {
            if (data[i] is >= (byte)'0' and <= (byte)'9')
            {
                int start = i;
                while (i < data.Count && data[i] is >= (byte)'0' and <= (byte)'9')
                {
                    i++;
                }

                runs.Add((start, i - start));
            }
            else
            {
                i++;
            }
        }

        if (runs.Count == 0)
        {
            InsertAt(data, Encoding.ASCII.GetBytes(s_extremeNumbers[_random.Next(s_extremeNumbers.Length)]));
            return;
        }

        (int at, int length) = runs[_random.Next(runs.Count)];
        data.RemoveRange(at, length);
        data.InsertRange(at, Encoding.ASCII.GetBytes(s_extremeNumbers[_random.Next(s_extremeNumbers.Length)]));
    }

    private void RandomBytes(List<byte> data)
    {
        if (_random.Next(8) == 0)
        {
            // Now and then nothing of the format at all.
            data.Clear();
        }

        var bytes = new byte[_random.Next(_random.Next(2) == 0 ? 64 : 4096)];
        _random.NextBytes(bytes);
        InsertAt(data, bytes);
    }

    private void LongRun(List<byte> data)
    {
        byte fill = _random.Next(3) == 0 ? (byte)_random.Next(256) : s_interestingBytes[_random.Next(s_interestingBytes.Length)];
        if (_random.Next(3) == 0)
        {
            fill = (byte)'a';
        }

        int length = Math.Min(_target.MaxLength, 256 << _random.Next(9));
        InsertAt(data, Enumerable.Repeat(fill, length).ToArray());
    }

    private void DeepNesting(List<byte> data)
    {
        string opener = _target.Openers.Count > 0 ? _target.Openers[_random.Next(_target.Openers.Count)] : "[";
        int depth = Math.Min(_target.MaxLength / Math.Max(1, opener.Length), 64 << _random.Next(10));
        var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(opener, depth)));
        InsertAt(data, bytes);
    }

    private void InsertToken(List<byte> data)
    {
        if (_target.Tokens.Count == 0)
        {
            InsertAt(data, new[] { s_interestingBytes[_random.Next(s_interestingBytes.Length)] });
            return;
        }

        string token = _target.Tokens[_random.Next(_target.Tokens.Count)];
        int times = _random.Next(8) == 0 ? 2 + _random.Next(100) : 1;
        InsertAt(data, Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(token, times))));
    }

    private void SwapLines(List<byte> data)
    {
        string[] lines = Encoding.UTF8.GetString(data.ToArray()).Split('\n');
        if (lines.Length < 2)
        {
            DuplicateChunk(data);
            return;
        }

        int a = _random.Next(lines.Length);
        int b = _random.Next(lines.Length);
        if (_random.Next(2) == 0)
        {
            (lines[a], lines[b]) = (lines[b], lines[a]);
        }
        else
        {
            lines[a] = lines[b];
        }

        data.Clear();
        data.AddRange(Encoding.UTF8.GetBytes(string.Join('\n', lines)));
    }

    /// <summary>
    /// Decodes one base64 run (a PEM body across its lines, or a key blob on a line), mutates the bytes, and puts the
    /// base64 of the result back: the parser then gets past its base64 check and meets damaged SSH wire data.
    /// </summary>
    private void MutateBase64(List<byte> data)
    {
        string text = Encoding.Latin1.GetString(data.ToArray());
        (int start, int end) = FindBase64Run(text);
        if (end - start < 16)
        {
            FlipBits(data);
            return;
        }

        string run = text[start..end];
        bool wrapped = run.Contains('\n', StringComparison.Ordinal);
        string compact = new(run.Where(c => !char.IsWhiteSpace(c)).ToArray());
        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(compact.Length % 4 == 0 ? compact : compact[..(compact.Length - (compact.Length % 4))]);
        }
        catch (FormatException)
        {
            FlipBits(data);
            return;
        }

        var bytes = decoded.ToList();
        switch (_random.Next(6))
        {
            case 0:
            case 1:
                SetWireLength(bytes);
                break;
            case 2: FlipBits(bytes); break;
            case 3: Truncate(bytes); break;
            case 4: DuplicateChunk(bytes); break;
            default: SetByte(bytes); break;
        }

        string encoded = Convert.ToBase64String(bytes.ToArray());
        if (wrapped)
        {
            var lines = new StringBuilder();
            for (int i = 0; i < encoded.Length; i += 70)
            {
                lines.Append(encoded, i, Math.Min(70, encoded.Length - i)).Append('\n');
            }

            encoded = lines.ToString();
        }

        string result = text[..start] + encoded + text[end..];
        data.Clear();
        data.AddRange(Encoding.Latin1.GetBytes(result));
    }

    /// <summary>Sets a big-endian uint32 that reads as a plausible length (the start of an SSH string) to an extreme.</summary>
    private void SetWireLength(List<byte> bytes)
    {
        var candidates = new List<int>();
        for (int i = 0; i + 4 <= bytes.Count; i++)
        {
            uint value = BinaryPrimitives.ReadUInt32BigEndian(new[] { bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3] });
            if (value <= bytes.Count - i - 4 && (i == 0 || value > 0))
            {
                candidates.Add(i);
            }
        }

        if (candidates.Count == 0)
        {
            FlipBits(bytes);
            return;
        }

        int at = candidates[_random.Next(candidates.Count)];
        uint current = BinaryPrimitives.ReadUInt32BigEndian(new[] { bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3] });
        uint replacement = _random.Next(3) == 0 ? current + (uint)_random.Next(-2, 3) : s_extremeLengths[_random.Next(s_extremeLengths.Length)];
        Span<byte> encoded = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(encoded, replacement);
        for (int i = 0; i < 4; i++)
        {
            bytes[at + i] = encoded[i];
        }
    }

    /// <summary>A random one of the longest-looking base64 runs (newlines inside a run allowed, for PEM bodies).</summary>
    private (int Start, int End) FindBase64Run(string text)
    {
        var runs = new List<(int, int)>();
        int i = 0;
        while (i < text.Length)
        {
            if (!IsBase64(text[i]))
            {
                i++;
                continue;
            }

            int start = i;
            while (i < text.Length && (IsBase64(text[i]) || (text[i] == '\n' && i + 1 < text.Length && IsBase64(text[i + 1]) && text[i + 1] != '-')))
            {
                i++;
            }

            while (i < text.Length && text[i] == '=')
            {
                i++;
            }

            if (i - start >= 16)
            {
                runs.Add((start, i));
            }
        }

        return runs.Count == 0 ? (0, 0) : runs[_random.Next(runs.Count)];
    }

    private static bool IsBase64(char c) => char.IsAsciiLetterOrDigit(c) || c is '+' or '/';
}
