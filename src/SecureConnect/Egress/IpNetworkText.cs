using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using SecureConnect.Common;

namespace SecureConnect.Egress;

/// <summary>A parsed address or CIDR network, strict about what a firewall would accept.</summary>
internal readonly record struct IpNet(IPAddress Address, int PrefixLength)
{
    public bool IsIPv6 => Address.AddressFamily == AddressFamily.InterNetworkV6;

    public int MaxPrefix => IsIPv6 ? 128 : 32;

    /// <summary>True for 0.0.0.0/0 and ::/0: a rule with it lets every address in.</summary>
    public bool AllowsEveryone => PrefixLength == 0;

    public bool IsSingleAddress => PrefixLength == MaxPrefix;

    public string Family => IsIPv6 ? "IPv6" : "IPv4";

    public string Cidr => $"{Address}/{PrefixLength.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The last address of the network (for range-based firewalls).</summary>
    public IPAddress LastAddress
    {
        get
        {
            byte[] bytes = Address.GetAddressBytes();
            for (int bit = PrefixLength; bit < bytes.Length * 8; bit++)
            {
                bytes[bit / 8] |= (byte)(0x80 >> (bit % 8));
            }

            return new IPAddress(bytes);
        }
    }

    /// <summary>The IPv4 netmask (e.g. 255.255.255.0).</summary>
    public string Netmask
    {
        get
        {
            uint mask = PrefixLength == 0 ? 0 : uint.MaxValue << (32 - PrefixLength);
            return new IPAddress(new[] { (byte)(mask >> 24), (byte)(mask >> 16), (byte)(mask >> 8), (byte)mask }).ToString();
        }
    }

    public bool Contains(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != Address.AddressFamily)
        {
            return false;
        }

        byte[] a = address.GetAddressBytes();
        byte[] n = Address.GetAddressBytes();
        for (int bit = 0; bit < PrefixLength; bit++)
        {
            int mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (n[bit / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Parses "a.b.c.d", "a.b.c.d/nn", "v6", "v6/nn". Host bits set in a CIDR are an error (a firewall would either
    /// refuse it or silently widen it), as is anything that is not an address. IPv4 is four decimal numbers 0-255
    /// without leading zeros: the inet_aton forms that IPAddress.Parse also takes read "010" as octal 8 and "0x0a" as
    /// 10, so "010.1.1.1" would allow another host than the one the user read.
    /// </summary>
    public static IpNet Parse(string text)
    {
        string value = text.Trim();
        string addressPart = value;
        int? prefix = null;
        int slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            addressPart = value[..slash];
            if (!int.TryParse(value[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int parsed))
            {
                throw Invalid(text, "the prefix length after '/' is not a number");
            }

            prefix = parsed;
        }

        bool isV6 = addressPart.Contains(':', StringComparison.Ordinal);
        if (!(isV6 ? IsIPv6Text(addressPart) : IsDottedDecimal(addressPart)) ||
            !IPAddress.TryParse(addressPart, out IPAddress? address) ||
            address.AddressFamily != (isV6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork))
        {
            throw Invalid(text, "it is not an IPv4 address in dotted decimal (four numbers 0-255 without leading zeros) or an IPv6 address");
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        int max = address.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32;
        int length = prefix ?? max;
        if (length < 0 || length > max)
        {
            throw Invalid(text, $"the prefix length must be 0 to {max}");
        }

        var net = new IpNet(address, length);
        IPAddress networkAddress = net.NetworkAddress();
        if (!networkAddress.Equals(address))
        {
            throw new SecureConnectException(
                ErrorIds.HostBitsSet,
                ErrorKind.InvalidArgument,
                $"'{text}' has host bits set: the network of /{length} that holds {address} is {networkAddress}/{length}. Write that (or {address}/{max} for the single address).",
                text);
        }

        return net;
    }

    /// <summary>Four parts, each 0-255 in decimal, "0" the only one that starts with 0.</summary>
    private static bool IsDottedDecimal(string text)
    {
        string[] parts = text.Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        foreach (string part in parts)
        {
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || !part.All(char.IsAsciiDigit) ||
                int.Parse(part, NumberStyles.None, CultureInfo.InvariantCulture) > 255)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Hex groups and colons, optionally ending in a dotted decimal IPv4 part; no zone, no brackets.</summary>
    private static bool IsIPv6Text(string text)
    {
        int lastColon = text.LastIndexOf(':');
        string tail = text[(lastColon + 1)..];
        if (tail.Contains('.', StringComparison.Ordinal) && !IsDottedDecimal(tail))
        {
            return false;
        }

        string head = tail.Contains('.', StringComparison.Ordinal) ? text[..(lastColon + 1)] : text;
        return head.All(c => c == ':' || char.IsAsciiHexDigit(c));
    }

    private IPAddress NetworkAddress()
    {
        byte[] bytes = Address.GetAddressBytes();
        for (int bit = PrefixLength; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPAddress(bytes);
    }

    private static SecureConnectException Invalid(string text, string why) => new(
        ErrorIds.InvalidAddress,
        ErrorKind.InvalidArgument,
        $"'{text}' is not a valid address or CIDR network: {why}. Examples: 203.0.113.7, 198.51.100.0/24, 2001:db8::/48.",
        text);
}
