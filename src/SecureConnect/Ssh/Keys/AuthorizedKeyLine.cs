using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SecureConnect.Ssh.Keys;

/// <summary>
/// Renders authorized_keys lines (sshd(8), AUTHORIZED_KEYS FILE FORMAT) that limit a key to the tunnels it is
/// meant for.
/// </summary>
internal static class AuthorizedKeyLine
{
    /// <summary>
    /// Returns <c>options key-line</c>, or the bare key line when there are no options.
    /// </summary>
    /// <param name="publicKeyLine">A public key line: <c>type base64 [comment]</c>.</param>
    /// <param name="permitOpen">
    /// Forwarding destinations, each <c>host:port</c>: host a DNS name, IPv4 address, <c>[IPv6]</c> or <c>*</c>;
    /// port 1-65535 or <c>*</c>. Each becomes its own <c>permitopen="..."</c> option.
    /// </param>
    /// <param name="from">
    /// Client host patterns: names or addresses with <c>*</c>/<c>?</c> wildcards, optionally negated with
    /// <c>!</c>, or CIDR <c>address/masklen</c>. All go into one <c>from="a,b"</c> option.
    /// </param>
    /// <param name="restrict">
    /// Adds <c>restrict</c> (no PTY, agent, X11 or forwarding); with <paramref name="permitOpen"/> entries it
    /// is followed by <c>port-forwarding</c>, because restrict alone would also block the permitted tunnels.
    /// </param>
    /// <exception cref="SshKeyException">
    /// InvalidPermitOpen or InvalidFromPattern naming the bad entry, or KeyFileCorrupt for a malformed key line.
    /// </exception>
    public static string Render(
        string publicKeyLine,
        IReadOnlyList<string>? permitOpen,
        IReadOnlyList<string>? from,
        bool restrict)
    {
        string keyLine = NormalizePublicKeyLine(publicKeyLine);

        var options = new List<string>();
        if (restrict)
        {
            options.Add("restrict");
            if (permitOpen is { Count: > 0 })
            {
                options.Add("port-forwarding");
            }
        }

        if (permitOpen is not null)
        {
            foreach (string? entry in permitOpen)
            {
                ValidatePermitOpen(entry);
                options.Add("permitopen=\"" + entry + "\"");
            }
        }

        if (from is { Count: > 0 })
        {
            foreach (string? pattern in from)
            {
                ValidateFromPattern(pattern);
            }

            options.Add("from=\"" + string.Join(",", from) + "\"");
        }

        return options.Count == 0 ? keyLine : string.Join(",", options) + " " + keyLine;
    }

    /// <summary>
    /// Checks that <paramref name="publicKeyLine"/> is one public key line whose base64 blob names the same
    /// key type as the line, and returns it as <c>type base64[ comment]</c> with single spaces.
    /// </summary>
    internal static string NormalizePublicKeyLine(string publicKeyLine)
    {
        ArgumentNullException.ThrowIfNull(publicKeyLine);
        string line = publicKeyLine.Trim();

        // A line break would let the comment start a second, unrestricted authorized_keys entry.
        foreach (char c in line)
        {
            if (char.IsControl(c) && c != '\t')
            {
                throw MalformedKeyLine();
            }
        }

        int typeEnd = IndexOfWhiteSpace(line, 0);
        if (typeEnd <= 0)
        {
            throw MalformedKeyLine();
        }

        string type = line.Substring(0, typeEnd);
        int blobStart = SkipWhiteSpace(line, typeEnd);
        int blobEnd = IndexOfWhiteSpace(line, blobStart);
        if (blobEnd < 0)
        {
            blobEnd = line.Length;
        }

        string base64 = line.Substring(blobStart, blobEnd - blobStart);
        string comment = line.Substring(blobEnd).Trim();

        foreach (char c in type)
        {
            if (!(IsAsciiLetterOrDigit(c) || c is '-' or '@' or '.' or '_'))
            {
                throw MalformedKeyLine();
            }
        }

        byte[] blob = new byte[base64.Length * 3 / 4];
        if (base64.Length == 0 || !Convert.TryFromBase64String(base64, blob, out int written))
        {
            throw MalformedKeyLine();
        }

        string embeddedType;
        try
        {
            embeddedType = new SshWireReader(blob.AsSpan(0, written).ToArray()).ReadUtf8String();
        }
        catch (SshKeyException)
        {
            throw MalformedKeyLine();
        }

        if (!string.Equals(embeddedType, type, StringComparison.Ordinal))
        {
            throw MalformedKeyLine();
        }

        return comment.Length == 0 ? type + " " + base64 : type + " " + base64 + " " + comment;
    }

    private static void ValidatePermitOpen(string? entry)
    {
        if (string.IsNullOrEmpty(entry) || !HasOnlyOptionSafeCharacters(entry))
        {
            throw InvalidPermitOpen(entry);
        }

        string host;
        string port;
        if (entry[0] == '[')
        {
            int close = entry.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= entry.Length || entry[close + 1] != ':')
            {
                throw InvalidPermitOpen(entry);
            }

            host = entry.Substring(1, close - 1);
            port = entry.Substring(close + 2);
            if (!IsIPv6(host))
            {
                throw InvalidPermitOpen(entry);
            }
        }
        else
        {
            int colon = entry.IndexOf(':', StringComparison.Ordinal);

            // A second colon means an IPv6 address without brackets, which sshd would split in the wrong place.
            if (colon <= 0 || entry.IndexOf(':', colon + 1) >= 0)
            {
                throw InvalidPermitOpen(entry);
            }

            host = entry.Substring(0, colon);
            port = entry.Substring(colon + 1);
            if (host != "*" && !IsIPv4(host) && !IsDnsName(host))
            {
                throw InvalidPermitOpen(entry);
            }
        }

        if (port != "*" && !IsPort(port))
        {
            throw InvalidPermitOpen(entry);
        }
    }

    private static void ValidateFromPattern(string? pattern)
    {
        if (string.IsNullOrEmpty(pattern) || !HasOnlyOptionSafeCharacters(pattern))
        {
            throw InvalidFromPattern(pattern);
        }

        string body = pattern[0] == '!' ? pattern.Substring(1) : pattern;
        if (body.Length == 0)
        {
            throw InvalidFromPattern(pattern);
        }

        int slash = body.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (!IsCidr(body.Substring(0, slash), body.Substring(slash + 1)))
            {
                throw InvalidFromPattern(pattern);
            }

            return;
        }

        // sshd matches everything else as a wildcard pattern against the client's name and address.
        foreach (char c in body)
        {
            if (!(IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':' or '*' or '?'))
            {
                throw InvalidFromPattern(pattern);
            }
        }
    }

    private static bool IsCidr(string address, string maskLength)
    {
        int maxLength;
        byte[] bytes;
        if (IsIPv4(address))
        {
            maxLength = 32;
            bytes = IPAddress.Parse(address).GetAddressBytes();
        }
        else if (IsIPv6(address))
        {
            maxLength = 128;
            bytes = IPAddress.Parse(address).GetAddressBytes();
        }
        else
        {
            return false;
        }

        if (maskLength.Length is 0 or > 3 || !IsAsciiDigits(maskLength)
            || !int.TryParse(maskLength, NumberStyles.None, CultureInfo.InvariantCulture, out int length)
            || length > maxLength)
        {
            return false;
        }

        // sshd (addr_pton_cidr) rejects a network with host bits set, and then refuses the whole from= option,
        // locking the key out entirely; catch that here instead.
        for (int bit = length; bit < maxLength; bit++)
        {
            if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPort(string port) =>
        port.Length is > 0 and <= 5
        && IsAsciiDigits(port)
        && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int value)
        && value is >= 1 and <= 65535;

    private static bool IsIPv4(string host)
    {
        // Only the dotted-quad form: IPAddress.TryParse also takes "10.1" or "0x0a.1", which sshd would not.
        string[] parts = host.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        foreach (string part in parts)
        {
            if (part.Length is 0 or > 3 || !IsAsciiDigits(part)
                || !int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value > 255)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsIPv6(string host)
    {
        if (host.Length == 0 || host.IndexOf(':', StringComparison.Ordinal) < 0)
        {
            return false;
        }

        foreach (char c in host)
        {
            if (!(char.IsAsciiHexDigit(c) || c is ':' or '.'))
            {
                return false;
            }
        }

        return IPAddress.TryParse(host, out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetworkV6;
    }

    private static bool IsDnsName(string host)
    {
        string name = host.EndsWith('.') ? host.Substring(0, host.Length - 1) : host;
        if (name.Length is 0 or > 253)
        {
            return false;
        }

        bool allNumeric = true;
        foreach (string label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (char c in label)
            {
                // Underscores are not valid in host names but do occur in internal DNS zones.
                if (!(IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                {
                    return false;
                }
            }

            allNumeric &= IsAsciiDigits(label);
        }

        // All-numeric names are malformed IPv4 addresses (e.g. 10.0.0.300), not names.
        return !allNumeric;
    }

    private static bool HasOnlyOptionSafeCharacters(string value)
    {
        // Quotes would end the option value, commas would split it, whitespace would end the options.
        foreach (char c in value)
        {
            if (c > '~' || char.IsControl(c) || char.IsWhiteSpace(c) || c is '"' or ',' or '\\' or '\'')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAsciiDigits(string value)
    {
        foreach (char c in value)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAsciiLetterOrDigit(char c) => char.IsAsciiLetterOrDigit(c);

    private static int IndexOfWhiteSpace(string value, int start)
    {
        for (int i = start; i < value.Length; i++)
        {
            if (value[i] is ' ' or '\t')
            {
                return i;
            }
        }

        return -1;
    }

    private static int SkipWhiteSpace(string value, int start)
    {
        int i = start;
        while (i < value.Length && value[i] is ' ' or '\t')
        {
            i++;
        }

        return i;
    }

    private static SshKeyException InvalidPermitOpen(string? entry) => new(
        SshKeyException.InvalidPermitOpen,
        "The permitopen entry '" + Show(entry) + "' is not valid. Use host:port, where host is a DNS name, an IPv4 "
            + "address, an IPv6 address in brackets ([2001:db8::1]) or *, and port is 1-65535 or *.",
        "permitOpen");

    private static SshKeyException InvalidFromPattern(string? pattern) => new(
        SshKeyException.InvalidFromPattern,
        "The from pattern '" + Show(pattern) + "' is not valid. Use a host name or address, optionally with * and ? "
            + "wildcards or a leading ! to exclude it, or a network as address/masklen (10.0.0.0/8) with no host "
            + "bits set; no quotes, commas or spaces.",
        "from");

    private static SshKeyException MalformedKeyLine() => new(
        SshKeyException.KeyFileCorrupt,
        "The public key is not a single well-formed OpenSSH public key line ('type base64 comment' whose key data "
            + "matches the type). Use the contents of the .pub file unchanged.",
        "publicKeyLine");

    private static string Show(string? value)
    {
        if (value is null)
        {
            return "(null)";
        }

        var builder = new StringBuilder(value.Length);
        foreach (char c in value)
        {
            // Make hidden characters visible so the user can see what is wrong with the entry.
            builder.Append(char.IsControl(c) ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c.ToString());
        }

        return builder.ToString();
    }
}
