using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SecureConnect.Common;

namespace SecureConnect.Egress;

/// <summary>The firewall kinds ConvertTo-FirewallRule renders for.</summary>
public enum FirewallRuleFormat
{
    /// <summary>pg_hba.conf lines: hostssl, scram-sha-256.</summary>
    PgHba,

    /// <summary>MySQL/MariaDB CREATE USER ... REQUIRE SSL and GRANT statements per host pattern.</summary>
    MySqlGrant,

    /// <summary>The JSON for aws ec2 authorize-security-group-ingress --ip-permissions.</summary>
    AwsSecurityGroup,

    /// <summary>New-AzSqlServerFirewallRule commands.</summary>
    AzureSqlFirewall,

    /// <summary>One gcloud sql instances patch --authorized-networks command carrying the whole list.</summary>
    GcpAuthorizedNetworks,

    /// <summary>An iptables-restore fragment.</summary>
    Iptables,

    /// <summary>An nft -f script.</summary>
    Nftables,

    /// <summary>New-NetFirewallRule commands.</summary>
    WindowsFirewall,
}

/// <summary>One allowlist entry to render.</summary>
internal sealed record AllowEntry(IpNet Network, string? Description);

/// <summary>What the rules are for.</summary>
internal sealed record RuleTarget(int? Port, string? Database, string? User, string? Name);

/// <summary>
/// Renders an allowlist as rules for each kind of firewall. Every value that ends up inside a rule is either a
/// parsed address or is checked/escaped here, so a description can never inject a rule or a command.
/// </summary>
internal static class FirewallRuleRenderer
{
    private static readonly Regex s_identifier = new("^[A-Za-z0-9_][A-Za-z0-9_.$-]{0,62}$", RegexOptions.CultureInvariant);

    public static IReadOnlyList<string> Render(FirewallRuleFormat format, IReadOnlyList<AllowEntry> entries, RuleTarget target)
    {
        if (entries.Count == 0)
        {
            throw new SecureConnectException(ErrorIds.EmptyAllowlist, ErrorKind.InvalidArgument, "There are no addresses to render. Pipe EgressAddress objects in (Get-EgressAllowlist | ConvertTo-FirewallRule ...).", format);
        }

        return format switch
        {
            FirewallRuleFormat.PgHba => PgHba(entries, target),
            FirewallRuleFormat.MySqlGrant => MySqlGrant(entries, target),
            FirewallRuleFormat.AwsSecurityGroup => new[] { Aws(entries, RequirePort(format, target)) },
            FirewallRuleFormat.AzureSqlFirewall => Azure(entries, target),
            FirewallRuleFormat.GcpAuthorizedNetworks => Gcp(entries, target),
            FirewallRuleFormat.Iptables => Iptables(entries, RequirePort(format, target), target),
            FirewallRuleFormat.Nftables => Nftables(entries, RequirePort(format, target), target),
            FirewallRuleFormat.WindowsFirewall => Windows(entries, RequirePort(format, target), target),
            _ => throw new ArgumentOutOfRangeException(nameof(format)),
        };
    }

    private static List<string> PgHba(IReadOnlyList<AllowEntry> entries, RuleTarget target)
    {
        string database = target.Database is null ? "all" : Identifier(target.Database, "-Database");
        string user = target.User is null ? "all" : Identifier(target.User, "-User");
        var lines = new List<string> { "# SecureConnect egress allowlist: TLS only (hostssl), SCRAM passwords. Put these lines before broader rules." };
        foreach (AllowEntry entry in entries)
        {
            if (entry.Description is { } description)
            {
                lines.Add("# " + Comment(description));
            }

            lines.Add($"hostssl {database} {user} {entry.Network.Cidr} scram-sha-256");
        }

        return lines;
    }

    private static List<string> MySqlGrant(IReadOnlyList<AllowEntry> entries, RuleTarget target)
    {
        if (target.User is null)
        {
            throw new SecureConnectException(ErrorIds.UserRequired, ErrorKind.InvalidArgument, "MySqlGrant needs -User: the account to create for each allowed address.", "User");
        }

        string user = Identifier(target.User, "-User");
        string scope = target.Database is null ? "*.*" : $"`{Identifier(target.Database, "-Database")}`.*";
        var lines = new List<string>
        {
            $"-- SecureConnect egress allowlist for '{user}': one account per allowed address, TLS required.",
            "-- Replace <password> with the account's password before running (it is never written by SecureConnect).",
        };
        foreach (AllowEntry entry in entries)
        {
            string? host = MySqlHost(entry.Network);
            if (host is null)
            {
                lines.Add($"-- {entry.Network.Cidr}: MySQL host patterns cannot express an IPv6 network; allow single IPv6 addresses instead.");
                continue;
            }

            if (entry.Description is { } description)
            {
                lines.Add("-- " + Comment(description));
            }

            lines.Add($"CREATE USER IF NOT EXISTS '{user}'@'{host}' IDENTIFIED BY '<password>' REQUIRE SSL;");
            lines.Add($"GRANT SELECT ON {scope} TO '{user}'@'{host}';");
        }

        return lines;
    }

    /// <summary>A MySQL account host for a network: the address, or address/netmask for an IPv4 network.</summary>
    internal static string? MySqlHost(IpNet network) =>
        network.IsSingleAddress ? network.Address.ToString()
        : network.IsIPv6 ? null
        : $"{network.Address}/{network.Netmask}";

    private static string Aws(IReadOnlyList<AllowEntry> entries, int port)
    {
        var v4 = new JsonArray();
        var v6 = new JsonArray();
        foreach (AllowEntry entry in entries)
        {
            var range = new JsonObject { [entry.Network.IsIPv6 ? "CidrIpv6" : "CidrIp"] = entry.Network.Cidr };
            if (entry.Description is { } description)
            {
                // AWS allows only these characters in a rule description.
                range["Description"] = Regex.Replace(description, "[^A-Za-z0-9 ._\\-:/()#,@\\[\\]+=&;{}!$*]", "_").Trim();
            }

            (entry.Network.IsIPv6 ? v6 : v4).Add(range);
        }

        var permission = new JsonObject
        {
            ["IpProtocol"] = "tcp",
            ["FromPort"] = port,
            ["ToPort"] = port,
            ["IpRanges"] = v4,
            ["Ipv6Ranges"] = v6,
        };
        return new JsonArray(permission).ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static List<string> Azure(IReadOnlyList<AllowEntry> entries, RuleTarget target)
    {
        string name = target.Name is null ? "SecureConnect" : Identifier(target.Name, "-Name");
        var lines = new List<string>
        {
            "# SecureConnect egress allowlist for an Azure SQL server. Set $ResourceGroupName and $ServerName first.",
        };
        int index = 0;
        foreach (AllowEntry entry in entries)
        {
            index++;
            if (entry.Network.IsIPv6)
            {
                lines.Add($"# {entry.Network.Cidr}: the Azure SQL firewall accepts IPv4 ranges only.");
                continue;
            }

            string rule = $"{name}-{index.ToString(CultureInfo.InvariantCulture)}";
            string description = entry.Description is null ? string.Empty : $"  # {Comment(entry.Description)}";
            lines.Add($"New-AzSqlServerFirewallRule -ResourceGroupName $ResourceGroupName -ServerName $ServerName -FirewallRuleName '{rule}' -StartIpAddress '{entry.Network.Address}' -EndIpAddress '{entry.Network.LastAddress}'{description}");
        }

        return lines;
    }

    private static List<string> Gcp(IReadOnlyList<AllowEntry> entries, RuleTarget target)
    {
        string instance = target.Name is null ? "INSTANCE" : Identifier(target.Name, "-Name");
        var v4 = entries.Where(e => !e.Network.IsIPv6).Select(e => e.Network.Cidr).Distinct().ToList();
        var lines = new List<string>
        {
            "# --authorized-networks REPLACES the instance's whole list: this command carries all of it.",
        };
        foreach (AllowEntry entry in entries.Where(e => e.Network.IsIPv6))
        {
            lines.Add($"# {entry.Network.Cidr}: Cloud SQL authorized networks accept IPv4 only.");
        }

        lines.Add($"gcloud sql instances patch {instance} --authorized-networks={string.Join(',', v4)}");
        return lines;
    }

    private static List<string> Iptables(IReadOnlyList<AllowEntry> entries, int port, RuleTarget target)
    {
        string chain = Chain(target);
        string p = port.ToString(CultureInfo.InvariantCulture);
        var lines = new List<string>
        {
            "# SecureConnect egress allowlist: iptables-restore --noflush < this-file",
            "*filter",
            $":{chain} - [0:0]",
            $"-A INPUT -p tcp -m tcp --dport {p} -j {chain}",
        };
        foreach (AllowEntry entry in entries)
        {
            if (entry.Network.IsIPv6)
            {
                lines.Add($"# {entry.Network.Cidr}: IPv6, use the Nftables format or ip6tables-restore.");
                continue;
            }

            string comment = entry.Description is null ? string.Empty : $" -m comment --comment \"{Comment(entry.Description, 200)}\"";
            lines.Add($"-A {chain} -s {entry.Network.Cidr} -p tcp -m tcp --dport {p}{comment} -j ACCEPT");
        }

        lines.Add($"-A {chain} -p tcp -m tcp --dport {p} -j DROP");
        lines.Add("COMMIT");
        return lines;
    }

    private static List<string> Nftables(IReadOnlyList<AllowEntry> entries, int port, RuleTarget target)
    {
        string table = Chain(target).ToLowerInvariant().Replace('-', '_');
        string p = port.ToString(CultureInfo.InvariantCulture);
        var lines = new List<string>
        {
            "# SecureConnect egress allowlist: nft -f this-file",
            $"table inet {table} {{",
            "  chain input {",
            "    type filter hook input priority filter; policy accept;",
        };
        foreach (AllowEntry entry in entries)
        {
            string family = entry.Network.IsIPv6 ? "ip6" : "ip";
            string comment = entry.Description is null ? string.Empty : $" comment \"{Comment(entry.Description, 120)}\"";
            lines.Add($"    {family} saddr {entry.Network.Cidr} tcp dport {p} accept{comment}");
        }

        lines.Add($"    tcp dport {p} drop");
        lines.Add("  }");
        lines.Add("}");
        return lines;
    }

    private static List<string> Windows(IReadOnlyList<AllowEntry> entries, int port, RuleTarget target)
    {
        string name = target.Name is null ? "SecureConnect allowlist" : Identifier(target.Name, "-Name");
        string addresses = string.Join(',', entries.Select(e => $"'{(e.Network.IsSingleAddress ? e.Network.Address.ToString() : e.Network.Cidr)}'"));
        return new List<string>
        {
            "# SecureConnect egress allowlist: run in an elevated PowerShell on the database server.",
            $"New-NetFirewallRule -DisplayName '{name} tcp/{port.ToString(CultureInfo.InvariantCulture)}' -Direction Inbound -Protocol TCP -LocalPort {port.ToString(CultureInfo.InvariantCulture)} -RemoteAddress {addresses} -Action Allow",
        };
    }

    private static int RequirePort(FirewallRuleFormat format, RuleTarget target) =>
        target.Port ?? throw new SecureConnectException(ErrorIds.PortRequired, ErrorKind.InvalidArgument, $"The {format} format needs -Port: the database port to allow.", format);

    private static string Chain(RuleTarget target) =>
        target.Name is null ? "SECURECONNECT-ALLOW" : Identifier(target.Name, "-Name").ToUpperInvariant().Replace('.', '-');

    private static string Identifier(string value, string parameter)
    {
        if (!s_identifier.IsMatch(value))
        {
            throw new SecureConnectException(
                ErrorIds.InvalidRuleValue,
                ErrorKind.InvalidArgument,
                $"{parameter} '{value}' may hold only letters, digits, '_', '.', '$' and '-' (it goes into a rule verbatim).",
                value);
        }

        return value;
    }

    private static string Comment(string text, int max = 500)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            builder.Append(char.IsControl(c) || c is '"' or '\'' or '`' or '\\' or '$' ? ' ' : c);
        }

        string result = builder.ToString().Trim();
        return result.Length > max ? result[..max] : result;
    }
}
