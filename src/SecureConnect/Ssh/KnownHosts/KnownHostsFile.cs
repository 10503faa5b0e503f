using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using SecureConnect.Common;

namespace SecureConnect.Ssh.KnownHosts;

/// <summary>
/// A known_hosts file held as its lines. Comments, blank lines and lines that do not parse are kept verbatim
/// and written back unchanged: the file may be shared with OpenSSH or edited by hand, and dropping a line we
/// do not understand (a newer key type, a typo the user is about to fix) would silently lose trust data.
/// </summary>
internal sealed class KnownHostsFile
{
    private const int DefaultPort = 22;

    private readonly List<Line> _lines = new();
    private readonly List<KnownHostsParseWarning> _warnings = new();

    private KnownHostsFile(string path)
    {
        Path = path;
    }

    /// <summary>The file the text came from (for messages and <see cref="SshKnownHost.Path"/>).</summary>
    public string Path { get; }

    /// <summary>The key lines, in file order.</summary>
    public IReadOnlyList<KnownHostEntry> Entries => _lines.Where(l => l.Entry is not null).Select(l => l.Entry!).ToList();

    /// <summary>Lines that are neither comments, blank nor valid entries, with the reason.</summary>
    public IReadOnlyList<KnownHostsParseWarning> Warnings => _warnings;

    /// <summary>True once Add, Remove or Merge changed the content.</summary>
    public bool IsModified { get; private set; }

    /// <summary>An empty file (no known_hosts yet).</summary>
    public static KnownHostsFile Empty(string path) => new(path);

    /// <summary>Parses known_hosts text; never fails, unreadable lines become warnings.</summary>
    public static KnownHostsFile Parse(string text, string path)
    {
        ArgumentNullException.ThrowIfNull(text);
        var file = new KnownHostsFile(path);

        // A byte order mark from a Windows editor would otherwise glue itself to the first host pattern.
        if (text.StartsWith('\uFEFF'))
        {
            text = text.Substring(1);
        }

        if (text.Length == 0)
        {
            return file;
        }

        string[] rawLines = text.Split('\n');

        // Text ending in a newline has no line after it, not an empty one.
        int count = text.EndsWith('\n') ? rawLines.Length - 1 : rawLines.Length;
        for (int i = 0; i < count; i++)
        {
            // Every carriage return at the end goes, not one: a line that kept one would lose it at the next write and
            // read back differently each time the file is saved (fuzzing found it).
            string lineText = rawLines[i].TrimEnd('\r');
            int lineNumber = i + 1;
            KnownHostEntry? entry = null;
            if (!IsBlankOrComment(lineText))
            {
                entry = TryParseEntry(lineText, lineNumber, out string reason);
                if (entry is null)
                {
                    file._warnings.Add(new KnownHostsParseWarning(path, lineNumber, reason));
                }
            }

            file._lines.Add(new Line(lineText, entry));
        }

        return file;
    }

    /// <summary>
    /// The name ssh looks up and hashes: <c>host</c> on port 22, <c>[host]:port</c> on any other port, lowercased
    /// because ssh lowercases the host name before it consults known_hosts.
    /// </summary>
    public static string LookupName(string host, int port)
    {
        ValidateHost(host, forWriting: false);
        if (port is < 1 or > 65535)
        {
            throw new SecureConnectException(
                ErrorIds.InvalidPort,
                ErrorKind.InvalidArgument,
                string.Format(CultureInfo.InvariantCulture, "The port {0} is not valid. Use a port from 1 to 65535.", port),
                port);
        }

        string name = host.ToLowerInvariant();
        return port == DefaultPort ? name : "[" + name + "]:" + port.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The entries that apply to host:port, @revoked ones included (so the verifier can reject a revoked key);
    /// @cert-authority lines are left out because they vouch for certificates, not for a host key.
    /// </summary>
    public IEnumerable<KnownHostEntry> Find(string host, int port)
    {
        // Validate now rather than on first enumeration, so a bad host fails where it is passed.
        LookupName(host, port);
        return FindIterator(host, port);
    }

    /// <summary>
    /// Appends <c>host keytype base64</c> (<c>[host]:port</c> off port 22; hashed with a random salt when
    /// <paramref name="hash"/> is set) and returns the new entry. Does not look for an existing entry.
    /// </summary>
    public KnownHostEntry Add(string host, int port, string keyType, byte[] blob, bool hash = false)
    {
        ArgumentNullException.ThrowIfNull(keyType);
        ArgumentNullException.ThrowIfNull(blob);
        ValidateHost(host, forWriting: true);
        if (hash && host.AsSpan().IndexOfAny('*', '?') >= 0)
        {
            // A hash covers one literal name; a hashed pattern would never match anything.
            throw new SecureConnectException(
                ErrorIds.InvalidHostName,
                ErrorKind.InvalidArgument,
                "The host name '" + host + "' contains wildcards, which cannot be hashed. Add it without hashing, or add each host by name.",
                host);
        }

        if (!KnownHostEntry.TryValidateKey(keyType, blob, out string problem))
        {
            throw new SecureConnectException(
                ErrorIds.InvalidHostKey,
                ErrorKind.InvalidArgument,
                "The host key cannot be added: " + problem + ". Pass the key exactly as the server presented it.",
                keyType);
        }

        string name = LookupName(host, port);
        string hostField = hash ? KnownHostEntry.HashName(name) : name;
        var entry = new KnownHostEntry(_lines.Count + 1, marker: null, hostField, keyType, blob.ToArray(), comment: null);
        _lines.Add(new Line(entry.ToLine(), entry));
        IsModified = true;
        return entry;
    }

    /// <summary>Removes the entries <paramref name="predicate"/> selects; returns how many.</summary>
    public int Remove(Func<KnownHostEntry, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        int removed = _lines.RemoveAll(l => l.Entry is not null && predicate(l.Entry));
        if (removed > 0)
        {
            IsModified = true;
            Renumber();
        }

        return removed;
    }

    /// <summary>
    /// Appends the entries of <paramref name="other"/> that this file does not hold yet (same marker, host field
    /// and key); returns how many were added. Hashed entries are compared by their hashed text, so the same host
    /// hashed with another salt counts as a different entry.
    /// </summary>
    public int Merge(KnownHostsFile other)
    {
        ArgumentNullException.ThrowIfNull(other);
        int added = 0;
        foreach (KnownHostEntry candidate in other.Entries)
        {
            if (_lines.Any(l => l.Entry is not null && l.Entry.SameAs(candidate)))
            {
                continue;
            }

            var entry = new KnownHostEntry(
                _lines.Count + 1,
                candidate.Marker,
                candidate.HostField,
                candidate.KeyType,
                candidate.KeyBlob.ToArray(),
                candidate.Comment);
            _lines.Add(new Line(entry.ToLine(), entry));
            added++;
        }

        if (added > 0)
        {
            IsModified = true;
        }

        return added;
    }

    /// <summary>The file content: every line, '\n' line endings, a trailing newline (empty for no lines).</summary>
    public string Render()
    {
        var builder = new StringBuilder();
        foreach (Line line in _lines)
        {
            builder.Append(line.Text).Append('\n');
        }

        return builder.ToString();
    }

    private IEnumerable<KnownHostEntry> FindIterator(string host, int port)
    {
        foreach (Line line in _lines)
        {
            if (line.Entry is { IsCertAuthority: false } entry && entry.Matches(host, port))
            {
                yield return entry;
            }
        }
    }

    private void Renumber()
    {
        for (int i = 0; i < _lines.Count; i++)
        {
            if (_lines[i].Entry is { } entry)
            {
                entry.LineNumber = i + 1;
            }
        }
    }

    private static bool IsBlankOrComment(string line)
    {
        string trimmed = line.TrimStart(' ', '\t');
        return trimmed.Length == 0 || trimmed[0] == '#';
    }

    private static KnownHostEntry? TryParseEntry(string lineText, int lineNumber, out string reason)
    {
        var fields = new List<string>();
        int position = 0;

        // Up to four fields; whatever follows the key is the comment, spaces and all.
        string? comment = null;
        while (true)
        {
            position = SkipBlanks(lineText, position);
            if (position >= lineText.Length)
            {
                break;
            }

            int wantedFields = fields.Count > 0 && fields[0].StartsWith('@') ? 4 : 3;
            if (fields.Count == wantedFields)
            {
                comment = lineText.Substring(position).TrimEnd(' ', '\t');
                break;
            }

            int end = position;
            while (end < lineText.Length && lineText[end] is not (' ' or '\t'))
            {
                end++;
            }

            fields.Add(lineText.Substring(position, end - position));
            position = end;
        }

        string? marker = null;
        if (fields.Count > 0 && fields[0].StartsWith('@'))
        {
            marker = fields[0];
            fields.RemoveAt(0);
            if (marker is not (KnownHostEntry.RevokedMarker or KnownHostEntry.CertAuthorityMarker))
            {
                reason = "unknown marker '" + marker + "'; only @revoked and @cert-authority exist";
                return null;
            }
        }

        if (fields.Count < 3)
        {
            reason = "expected '[marker] hosts keytype key', found " + fields.Count.ToString(CultureInfo.InvariantCulture) + " field(s) after the marker";
            return null;
        }

        string hostField = fields[0];
        if (hostField.StartsWith(KnownHostEntry.HashMagic, StringComparison.Ordinal)
            && !KnownHostEntry.TryDecodeHashedField(hostField, out _, out _))
        {
            reason = "the hashed host name is not '|1|salt|hash' with 20-byte base64 parts";
            return null;
        }

        string keyType = fields[1];
        byte[]? blob = DecodeBase64(fields[2]);
        if (blob is null)
        {
            reason = "the key data is not valid base64";
            return null;
        }

        if (!KnownHostEntry.TryValidateKey(keyType, blob, out reason))
        {
            return null;
        }

        reason = string.Empty;
        return new KnownHostEntry(lineNumber, marker, hostField, keyType, blob, comment);
    }

    private static byte[]? DecodeBase64(string text)
    {
        byte[] buffer = new byte[(text.Length * 3 / 4) + 3];
        if (text.Length == 0 || !Convert.TryFromBase64String(text, buffer, out int written))
        {
            return null;
        }

        return buffer.AsSpan(0, written).ToArray();
    }

    private static int SkipBlanks(string text, int position)
    {
        while (position < text.Length && text[position] is ' ' or '\t')
        {
            position++;
        }

        return position;
    }

    private static void ValidateHost(string host, bool forWriting)
    {
        ArgumentNullException.ThrowIfNull(host);
        string? problem = null;
        if (host.Length == 0)
        {
            problem = "is empty";
        }
        else if (host.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            problem = "contains spaces or control characters";
        }
        else if (forWriting && host.Contains(','))
        {
            // A comma would split the written host field into two patterns.
            problem = "contains a comma";
        }
        else if (forWriting && host[0] is '!' or '#' or '@' or '|')
        {
            // These would turn the line into a negation, a comment, a marker or a hashed name.
            problem = "starts with '" + host[0] + "'";
        }
        else if (forWriting && host.AsSpan().IndexOfAny('[', ']') >= 0)
        {
            problem = "contains brackets; pass the port separately";
        }
        else if (forWriting && host.AsSpan().IndexOfAny('/', '\\') >= 0)
        {
            // No host name holds one; a line for 'a/b' or '../x' would trust a name ssh never looks up.
            problem = "contains a path separator";
        }

        if (problem is not null)
        {
            throw new SecureConnectException(
                ErrorIds.InvalidHostName,
                ErrorKind.InvalidArgument,
                "The host name '" + Show(host) + "' " + problem + ". Use a DNS name or an IP address (without brackets).",
                host);
        }
    }

    private static string Show(string value)
    {
        // Make hidden characters visible, and keep a pasted line break from splitting the message.
        var builder = new StringBuilder(value.Length);
        foreach (char c in value)
        {
            builder.Append(char.IsControl(c) ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c.ToString());
        }

        return builder.ToString();
    }

    /// <summary>One line of the file: its text and, for a key line, the parsed entry.</summary>
    private sealed record Line(string Text, KnownHostEntry? Entry);
}
