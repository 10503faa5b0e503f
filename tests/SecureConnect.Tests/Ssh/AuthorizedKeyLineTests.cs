using System;
using SecureConnect.Ssh.Keys;
using Xunit;

namespace SecureConnect.Tests.Ssh;

public sealed class AuthorizedKeyLineTests
{
    private const string Key = SshTestKeys.Ed25519EncryptedPublicLine;

    [Fact]
    public void Render_RestrictWithPermitOpen_AddsPortForwardingAndThePermit()
    {
        string line = AuthorizedKeyLine.Render(Key, new[] { "db.internal:5432" }, null, restrict: true);

        Assert.Equal("restrict,port-forwarding,permitopen=\"db.internal:5432\" " + Key, line);
    }

    [Fact]
    public void Render_RestrictWithoutPermitOpen_IsRestrictOnly()
    {
        Assert.Equal("restrict " + Key, AuthorizedKeyLine.Render(Key, null, null, restrict: true));
        Assert.Equal("restrict " + Key, AuthorizedKeyLine.Render(Key, Array.Empty<string>(), Array.Empty<string>(), restrict: true));
    }

    [Fact]
    public void Render_EverythingTogether_KeepsTheOptionOrder()
    {
        string line = AuthorizedKeyLine.Render(
            Key,
            new[] { "db.internal:5432", "[2001:db8::10]:1433", "10.1.2.3:*" },
            new[] { "10.0.0.0/8", "!10.9.0.0/16", "*.corp.example" },
            restrict: true);

        Assert.Equal(
            "restrict,port-forwarding,permitopen=\"db.internal:5432\",permitopen=\"[2001:db8::10]:1433\","
                + "permitopen=\"10.1.2.3:*\",from=\"10.0.0.0/8,!10.9.0.0/16,*.corp.example\" " + Key,
            line);
    }

    [Fact]
    public void Render_NoOptions_IsTheBareKeyLine()
    {
        Assert.Equal(Key, AuthorizedKeyLine.Render(Key, null, null, restrict: false));
        Assert.Equal(Key, AuthorizedKeyLine.Render("  " + Key + "\n", Array.Empty<string>(), null, restrict: false));
    }

    [Fact]
    public void Render_WithoutRestrict_WritesOnlyTheGivenOptions()
    {
        string line = AuthorizedKeyLine.Render(Key, new[] { "db:5432" }, new[] { "192.0.2.7" }, restrict: false);

        Assert.Equal("permitopen=\"db:5432\",from=\"192.0.2.7\" " + Key, line);
    }

    [Fact]
    public void Render_KeyLineWithoutComment_StaysWithoutComment()
    {
        string bare = string.Join(' ', Key.Split(' ')[..2]);

        Assert.Equal("restrict " + bare, AuthorizedKeyLine.Render(bare, null, null, restrict: true));
    }

    [Fact]
    public void Render_KeyLineWithExtraSpaces_IsNormalized()
    {
        string[] parts = Key.Split(' ');

        string line = AuthorizedKeyLine.Render(parts[0] + "   " + parts[1] + " \t" + parts[2], null, null, restrict: false);

        Assert.Equal(Key, line);
    }

    [Theory]
    [InlineData("db.internal:5432")]
    [InlineData("db:1")]
    [InlineData("db:65535")]
    [InlineData("db:*")]
    [InlineData("*:5432")]
    [InlineData("10.0.0.5:22")]
    [InlineData("[2001:db8::1]:443")]
    [InlineData("[::1]:5432")]
    [InlineData("[::ffff:192.0.2.1]:5432")]
    [InlineData("host-1.example.com.:3306")]
    [InlineData("sql_01.corp.internal:1433")]
    public void Render_AcceptsValidPermitOpen(string entry)
    {
        Assert.Equal("restrict,port-forwarding,permitopen=\"" + entry + "\" " + Key, AuthorizedKeyLine.Render(Key, new[] { entry }, null, restrict: true));
    }

    [Theory]
    [InlineData("")]
    [InlineData("db.internal")]
    [InlineData("db.internal:")]
    [InlineData(":5432")]
    [InlineData("db.internal:0")]
    [InlineData("db.internal:65536")]
    [InlineData("db.internal:99999")]
    [InlineData("db.internal:+22")]
    [InlineData("db.internal:22a")]
    [InlineData("db.internal:٣")]
    [InlineData("2001:db8::1:22")]
    [InlineData("[2001:db8::1]22")]
    [InlineData("[2001:db8::1]")]
    [InlineData("[db.internal]:22")]
    [InlineData("[10.0.0.1]:22")]
    [InlineData("10.0.0.300:22")]
    [InlineData("-db.internal:22")]
    [InlineData("db-.internal:22")]
    [InlineData("db..internal:22")]
    [InlineData("db internal:22")]
    [InlineData("db\"internal:22")]
    [InlineData("db,internal:22")]
    [InlineData("db.internal:22\n")]
    [InlineData("db\u0000:22")]
    [InlineData("dbé.internal:22")]
    [InlineData("db/x:22")]
    public void Render_RejectsInvalidPermitOpen_NamingTheEntry(string entry)
    {
        var error = Assert.Throws<SshKeyException>(() => AuthorizedKeyLine.Render(Key, new[] { "ok.example:22", entry }, null, restrict: true));

        Assert.Equal(SshKeyException.InvalidPermitOpen, error.ErrorId);
        Assert.IsAssignableFrom<ArgumentException>(error);
        Assert.Contains("'" + entry.Replace("\n", "\\u000a", StringComparison.Ordinal).Replace("\0", "\\u0000", StringComparison.Ordinal) + "'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RejectsNullPermitOpenEntry()
    {
        var error = Assert.Throws<SshKeyException>(() => AuthorizedKeyLine.Render(Key, new string[] { null! }, null, restrict: true));

        Assert.Equal(SshKeyException.InvalidPermitOpen, error.ErrorId);
    }

    [Theory]
    [InlineData("10.0.0.0/8")]
    [InlineData("!10.1.0.0/16")]
    [InlineData("192.0.2.7")]
    [InlineData("192.0.2.7/32")]
    [InlineData("0.0.0.0/0")]
    [InlineData("2001:db8::/32")]
    [InlineData("2001:db8::1")]
    [InlineData("*.example.com")]
    [InlineData("!*.evil.example")]
    [InlineData("host?.example.com")]
    [InlineData("192.168.*")]
    [InlineData("*")]
    public void Render_AcceptsValidFromPatterns(string pattern)
    {
        Assert.Equal("restrict,from=\"" + pattern + "\" " + Key, AuthorizedKeyLine.Render(Key, null, new[] { pattern }, restrict: true));
    }

    [Theory]
    [InlineData("")]
    [InlineData("!")]
    [InlineData("10.0.0.1/8")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/8/8")]
    [InlineData("/8")]
    [InlineData("10.0.0/8")]
    [InlineData("10.0.0.*/8")]
    [InlineData("host.example/24")]
    [InlineData("2001:db8::/129")]
    [InlineData("2001:db8::1/32")]
    [InlineData("a b")]
    [InlineData("a,b")]
    [InlineData("a\"b")]
    [InlineData("a'b")]
    [InlineData("a\\b")]
    [InlineData("a\tb")]
    [InlineData("host\r")]
    [InlineData("!!host")]
    [InlineData("hôst")]
    [InlineData("host=1")]
    public void Render_RejectsInvalidFromPatterns_NamingThePattern(string pattern)
    {
        var error = Assert.Throws<SshKeyException>(() => AuthorizedKeyLine.Render(Key, null, new[] { "10.0.0.0/8", pattern }, restrict: true));

        Assert.Equal(SshKeyException.InvalidFromPattern, error.ErrorId);
        Assert.IsAssignableFrom<ArgumentException>(error);
        Assert.Contains("'" + pattern.Replace("\t", "\\u0009", StringComparison.Ordinal).Replace("\r", "\\u000d", StringComparison.Ordinal) + "'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ssh-ed25519")]
    [InlineData("ssh-ed25519 ")]
    [InlineData("ssh-ed25519 not*base64")]
    [InlineData("ssh-ed25519 AAAA")]
    [InlineData("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIJpnU+Nsg+GKrFN42ug2qySDoV3emzom8KIz62w1KH27 type-mismatch")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJpnU+Nsg+GKrFN42ug2qySDoV3emzom8KIz62w1KH27 two\nlines")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJpnU+Nsg+GKrFN42ug2qySDoV3emzom8KIz62w1KH27\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJpnU+Nsg+GKrFN42ug2qySDoV3emzom8KIz62w1KH27")]
    [InlineData("restrict ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJpnU+Nsg+GKrFN42ug2qySDoV3emzom8KIz62w1KH27")]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----")]
    public void Render_RejectsMalformedPublicKeyLine(string publicKeyLine)
    {
        var error = Assert.Throws<SshKeyException>(() => AuthorizedKeyLine.Render(publicKeyLine, null, null, restrict: true));

        Assert.Equal(SshKeyException.KeyFileCorrupt, error.ErrorId);
    }

    [Theory]
    [InlineData(SshTestKeys.Rsa2048PublicLine)]
    [InlineData(SshTestKeys.Ecdsa256EncryptedPublicLine)]
    public void Render_AcceptsSshKeygenPublicLines(string publicKeyLine)
    {
        Assert.Equal("restrict " + publicKeyLine, AuthorizedKeyLine.Render(publicKeyLine, null, null, restrict: true));
    }
}
