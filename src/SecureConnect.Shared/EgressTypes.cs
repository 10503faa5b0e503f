using Newtonsoft.Json;
using Newtonsoft.Json.Converters;

namespace SecureConnect;

/// <summary>Where an egress address comes from.</summary>
[JsonConverter(typeof(StringEnumConverter))]
public enum EgressSource
{
    /// <summary>Declared in the workspace (Add-EgressAddress): the NAT gateways or public IPs runbooks leave from.</summary>
    Configured,

    /// <summary>This machine's own non-loopback addresses.</summary>
    Interface,

    /// <summary>The address a database reports for this connection (through a tunnel: the bastion's).</summary>
    Observed,

    /// <summary>A well-known service's published egress addresses, kept as data in the module.</summary>
    Preset,
}

/// <summary>An address or network a database firewall must allow (SecureConnect.EgressAddress).</summary>
public sealed class EgressAddress
{
    /// <summary>Creates the object; used by the module.</summary>
    public EgressAddress(string address, int prefixLength, string family, EgressSource source, string? description)
    {
        Address = address;
        PrefixLength = prefixLength;
        Family = family;
        Source = source;
        Description = description;
    }

    /// <summary>The network address (host bits zero).</summary>
    public string Address { get; }

    /// <summary>The prefix length (32 or 128 for a single address).</summary>
    public int PrefixLength { get; }

    /// <summary>address/prefix.</summary>
    public string Cidr => $"{Address}/{PrefixLength}";

    /// <summary>IPv4 or IPv6.</summary>
    public string Family { get; }

    /// <summary>Where the address comes from.</summary>
    public EgressSource Source { get; }

    /// <summary>What it is.</summary>
    public string? Description { get; }

    /// <inheritdoc/>
    public override string ToString() => Cidr;
}

/// <summary>The result of Test-EgressAllowlist.</summary>
public sealed class EgressTestResult
{
    /// <summary>Creates the object; used by the module.</summary>
    public EgressTestResult(string integration, string? observedAddress, string via, bool covered, string? coveredBy, string? coveredByDescription, int allowlistCount, string message)
    {
        Integration = integration;
        ObservedAddress = observedAddress;
        Via = via;
        Covered = covered;
        CoveredBy = coveredBy;
        CoveredByDescription = coveredByDescription;
        AllowlistCount = allowlistCount;
        Message = message;
    }

    /// <summary>The integration tested.</summary>
    public string Integration { get; }

    /// <summary>The address the database sees for this connection.</summary>
    public string? ObservedAddress { get; }

    /// <summary>Direct, or the tunnel.</summary>
    public string Via { get; }

    /// <summary>True when an allowlist entry covers the observed address.</summary>
    public bool Covered { get; }

    /// <summary>The entry that covers it (CIDR).</summary>
    public string? CoveredBy { get; }

    /// <summary>That entry's description.</summary>
    public string? CoveredByDescription { get; }

    /// <summary>How many configured entries were compared.</summary>
    public int AllowlistCount { get; }

    /// <summary>What to do.</summary>
    public string Message { get; }
}
