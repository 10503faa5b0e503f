using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Text.Json;
using SecureConnect.Common;
using SecureConnect.Egress;
using Xunit;

namespace SecureConnect.Tests.Egress;

public sealed class EgressTests
{
    private static readonly AllowEntry[] s_entries =
    {
        new(IpNet.Parse("203.0.113.7"), "NAT \"gw\"; drop table"),
        new(IpNet.Parse("198.51.100.0/24"), null),
        new(IpNet.Parse("2001:db8::/48"), "v6 net"),
        new(IpNet.Parse("2001:db8:1::5"), null),
    };

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7/32", "IPv4")]
    [InlineData("198.51.100.0/24", "198.51.100.0/24", "IPv4")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0", "IPv4")]
    [InlineData("2001:db8::/48", "2001:db8::/48", "IPv6")]
    [InlineData("2001:DB8::1", "2001:db8::1/128", "IPv6")]
    [InlineData(" 10.0.0.0/8 ", "10.0.0.0/8", "IPv4")]
    public void Parse_AcceptsAddressesAndNetworks(string text, string cidr, string family)
    {
        IpNet net = IpNet.Parse(text);
        Assert.Equal(cidr, net.Cidr);
        Assert.Equal(family, net.Family);
    }

    [Theory]
    [InlineData("10.0.0.1/8", "10.0.0.0/8")]
    [InlineData("192.168.1.130/25", "192.168.1.128/25")]
    [InlineData("2001:db8::1/64", "2001:db8::/64")]
    public void Parse_RefusesHostBits_AndNamesTheNetwork(string text, string network)
    {
        var error = Assert.Throws<SecureConnectException>(() => IpNet.Parse(text));
        Assert.Equal("HostBitsSet", error.ErrorId);
        Assert.Contains(network, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.1")]
    [InlineData("1")]
    [InlineData("example.com")]
    [InlineData("10.0.0.0/33")]
    [InlineData("2001:db8::/129")]
    [InlineData("10.0.0.0/x")]
    [InlineData("256.1.1.1")]
    [InlineData("fe80::1%eth0")]
    [InlineData("")]
    public void Parse_RefusesWhatIsNotAnAddress(string text)
    {
        var error = Assert.Throws<SecureConnectException>(() => IpNet.Parse(text));
        Assert.Equal("InvalidAddress", error.ErrorId);
    }

    // Octal and hex parts (010 = 8, 0x0a = 10 for inet_aton) name another host than the one the user read; only
    // dotted decimal without leading zeros is taken, and the error names what was typed.
    [Theory]
    [InlineData("010.1.1.1")]
    [InlineData("0x0a.1.1.1")]
    [InlineData("10.01.1.1")]
    [InlineData("10.1.1.00")]
    [InlineData("010.0.0.1/32")]
    [InlineData("0xa000001")]
    [InlineData("167772161")]
    [InlineData("012.1.1")]
    [InlineData("1.2.3.4.5")]
    [InlineData("1.2.3.")]
    [InlineData("+1.2.3.4")]
    [InlineData("1 .2.3.4")]
    [InlineData("::ffff:010.1.1.1")]
    [InlineData("[2001:db8::1]")]
    [InlineData("2001:db8::g")]
    public void Parse_RefusesNonDecimalOrAmbiguousText_NamingTheInput(string text)
    {
        var error = Assert.Throws<SecureConnectException>(() => IpNet.Parse(text));
        Assert.Equal("InvalidAddress", error.ErrorId);
        Assert.Contains($"'{text}'", error.Message, StringComparison.Ordinal);
        Assert.Equal(text, error.Target);
    }

    [Theory]
    [InlineData("0.0.0.0", "0.0.0.0/32")]
    [InlineData("10.0.0.1", "10.0.0.1/32")]
    [InlineData("255.255.255.255/32", "255.255.255.255/32")]
    [InlineData("100.64.0.0/10", "100.64.0.0/10")]
    [InlineData("::ffff:10.1.1.1", "10.1.1.1/32")]
    [InlineData("::/0", "::/0")]
    [InlineData("2001:0db8:0000::1", "2001:db8::1/128")]
    public void Parse_AcceptsDecimalWithoutLeadingZeros_AndStandardIPv6(string text, string cidr)
    {
        Assert.Equal(cidr, IpNet.Parse(text).Cidr);
    }

    [Theory]
    [InlineData("0.0.0.0/0", true)]
    [InlineData("::/0", true)]
    [InlineData("0.0.0.0/1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("2001:db8::/32", false)]
    public void AllowsEveryone_OnlyForTheWholeAddressSpace(string text, bool everyone)
    {
        Assert.Equal(everyone, IpNet.Parse(text).AllowsEveryone);
    }

    [Fact]
    public void Contains_MatchesByPrefix_AndFamily()
    {
        IpNet net = IpNet.Parse("198.51.100.0/24");
        Assert.True(net.Contains(IPAddress.Parse("198.51.100.255")));
        Assert.False(net.Contains(IPAddress.Parse("198.51.101.0")));
        Assert.True(net.Contains(IPAddress.Parse("::ffff:198.51.100.9")));
        Assert.False(IpNet.Parse("2001:db8::/48").Contains(IPAddress.Parse("198.51.100.9")));
        Assert.True(IpNet.Parse("0.0.0.0/0").Contains(IPAddress.Parse("8.8.8.8")));
    }

    [Fact]
    public void Ranges_AndNetmasks()
    {
        IpNet net = IpNet.Parse("198.51.100.0/24");
        Assert.Equal("198.51.100.255", net.LastAddress.ToString());
        Assert.Equal("255.255.255.0", net.Netmask);
        Assert.Equal("198.51.100.0/255.255.255.0", FirewallRuleRenderer.MySqlHost(net));
        Assert.Equal("203.0.113.7", FirewallRuleRenderer.MySqlHost(IpNet.Parse("203.0.113.7")));
        Assert.Null(FirewallRuleRenderer.MySqlHost(IpNet.Parse("2001:db8::/48")));
    }

    [Fact]
    public void PgHba_HostsslScram_PerEntry_WithSanitisedComments()
    {
        IReadOnlyList<string> lines = Render(FirewallRuleFormat.PgHba, new RuleTarget(null, "scdemo", "app", null));
        Assert.Contains("hostssl scdemo app 203.0.113.7/32 scram-sha-256", lines);
        Assert.Contains("hostssl scdemo app 198.51.100.0/24 scram-sha-256", lines);
        Assert.Contains("hostssl scdemo app 2001:db8::/48 scram-sha-256", lines);
        Assert.All(lines, l => Assert.True(l.StartsWith('#') || l.StartsWith("hostssl ", StringComparison.Ordinal)));
        Assert.DoesNotContain(lines, l => l.Contains('"', StringComparison.Ordinal));
        Assert.Equal(new[] { "hostssl all all 203.0.113.7/32 scram-sha-256" }, Render(FirewallRuleFormat.PgHba, new RuleTarget(null, null, null, null), s_entries.Take(1)).Where(l => !l.StartsWith('#')));
    }

    [Fact]
    public void MySqlGrant_RequiresSsl_UsesNetmasks_SkipsIPv6Networks()
    {
        IReadOnlyList<string> lines = Render(FirewallRuleFormat.MySqlGrant, new RuleTarget(null, "scdemo", "app", null));
        Assert.Contains("CREATE USER IF NOT EXISTS 'app'@'203.0.113.7' IDENTIFIED BY '<password>' REQUIRE SSL;", lines);
        Assert.Contains("GRANT SELECT ON `scdemo`.* TO 'app'@'198.51.100.0/255.255.255.0';", lines);
        Assert.Contains("CREATE USER IF NOT EXISTS 'app'@'2001:db8:1::5' IDENTIFIED BY '<password>' REQUIRE SSL;", lines);
        Assert.Contains(lines, l => l.StartsWith("-- 2001:db8::/48", StringComparison.Ordinal));
        var error = Assert.Throws<SecureConnectException>(() => Render(FirewallRuleFormat.MySqlGrant, new RuleTarget(null, null, null, null)));
        Assert.Equal("UserRequired", error.ErrorId);
    }

    [Fact]
    public void Aws_IsTheIpPermissionsJson()
    {
        string json = Render(FirewallRuleFormat.AwsSecurityGroup, new RuleTarget(5432, null, null, null)).Single();
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement permission = document.RootElement.EnumerateArray().Single();
        Assert.Equal("tcp", permission.GetProperty("IpProtocol").GetString());
        Assert.Equal(5432, permission.GetProperty("FromPort").GetInt32());
        Assert.Equal(5432, permission.GetProperty("ToPort").GetInt32());
        Assert.Equal(new[] { "203.0.113.7/32", "198.51.100.0/24" }, permission.GetProperty("IpRanges").EnumerateArray().Select(r => r.GetProperty("CidrIp").GetString()));
        Assert.Equal(new[] { "2001:db8::/48", "2001:db8:1::5/128" }, permission.GetProperty("Ipv6Ranges").EnumerateArray().Select(r => r.GetProperty("CidrIpv6").GetString()));
        Assert.Contains("\"Description\": \"NAT _gw_; drop table\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Azure_RangesPerIPv4Entry()
    {
        IReadOnlyList<string> lines = Render(FirewallRuleFormat.AzureSqlFirewall, new RuleTarget(null, null, null, "runbooks"));
        Assert.Contains(lines, l => l.StartsWith("New-AzSqlServerFirewallRule", StringComparison.Ordinal) && l.Contains("-StartIpAddress '198.51.100.0' -EndIpAddress '198.51.100.255'", StringComparison.Ordinal) && l.Contains("'runbooks-2'", StringComparison.Ordinal));
        Assert.Equal(2, lines.Count(l => l.StartsWith("New-AzSqlServerFirewallRule", StringComparison.Ordinal)));
    }

    [Fact]
    public void Gcp_OneCommandCarriesTheWholeIPv4List()
    {
        IReadOnlyList<string> lines = Render(FirewallRuleFormat.GcpAuthorizedNetworks, new RuleTarget(null, null, null, "orders-db"));
        Assert.Equal("gcloud sql instances patch orders-db --authorized-networks=203.0.113.7/32,198.51.100.0/24", lines.Single(l => !l.StartsWith('#')));
    }

    [Fact]
    public void Iptables_AcceptsTheList_ThenDrops()
    {
        IReadOnlyList<string> lines = Render(FirewallRuleFormat.Iptables, new RuleTarget(5432, null, null, null));
        Assert.Equal("*filter", lines[1]);
        Assert.Equal("COMMIT", lines[^1]);
        Assert.Equal("-A SECURECONNECT-ALLOW -p tcp -m tcp --dport 5432 -j DROP", lines[^2]);
        Assert.Contains("-A SECURECONNECT-ALLOW -s 198.51.100.0/24 -p tcp -m tcp --dport 5432 -j ACCEPT", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("-A", StringComparison.Ordinal) && l.Contains("2001:db8", StringComparison.Ordinal));
    }

    [Fact]
    public void Nftables_BothFamilies()
    {
        IReadOnlyList<string> lines = Render(FirewallRuleFormat.Nftables, new RuleTarget(5432, null, null, null));
        Assert.Contains("    ip6 saddr 2001:db8::/48 tcp dport 5432 accept comment \"v6 net\"", lines);
        Assert.Contains("    ip saddr 198.51.100.0/24 tcp dport 5432 accept", lines);
        Assert.Contains("    tcp dport 5432 drop", lines);
    }

    [Fact]
    public void Windows_OneRuleWithEveryAddress()
    {
        string rule = Render(FirewallRuleFormat.WindowsFirewall, new RuleTarget(1433, null, null, null)).Single(l => !l.StartsWith('#'));
        Assert.Equal("New-NetFirewallRule -DisplayName 'SecureConnect allowlist tcp/1433' -Direction Inbound -Protocol TCP -LocalPort 1433 -RemoteAddress '203.0.113.7','198.51.100.0/24','2001:db8::/48','2001:db8:1::5' -Action Allow", rule);
    }

    [Theory]
    [InlineData(FirewallRuleFormat.AwsSecurityGroup)]
    [InlineData(FirewallRuleFormat.Iptables)]
    [InlineData(FirewallRuleFormat.Nftables)]
    [InlineData(FirewallRuleFormat.WindowsFirewall)]
    public void NetworkFormats_NeedAPort(FirewallRuleFormat format)
    {
        var error = Assert.Throws<SecureConnectException>(() => Render(format, new RuleTarget(null, null, null, null)));
        Assert.Equal("PortRequired", error.ErrorId);
    }

    [Theory]
    [InlineData("db; drop", null, null)]
    [InlineData(null, "app' or '1", null)]
    [InlineData(null, null, "x\"; rm -rf /")]
    public void ValuesThatGoIntoRules_AreChecked(string? database, string? user, string? name)
    {
        var error = Assert.Throws<SecureConnectException>(() =>
        {
            Render(FirewallRuleFormat.PgHba, new RuleTarget(5432, database, user, name));
            Render(FirewallRuleFormat.Nftables, new RuleTarget(5432, database, user, name));
        });
        Assert.Equal("InvalidRuleValue", error.ErrorId);
    }

    [Fact]
    public void EmptyList_IsAnError()
    {
        var error = Assert.Throws<SecureConnectException>(() => FirewallRuleRenderer.Render(FirewallRuleFormat.PgHba, Array.Empty<AllowEntry>(), new RuleTarget(null, null, null, null)));
        Assert.Equal("EmptyAllowlist", error.ErrorId);
    }

    private static IReadOnlyList<string> Render(FirewallRuleFormat format, RuleTarget target, IEnumerable<AllowEntry>? entries = null) =>
        FirewallRuleRenderer.Render(format, (entries ?? s_entries).ToList(), target);
}
