using System;
using System.Linq;
using SecureConnect.Common;
using SecureConnect.Ssh.KnownHosts;
using Xunit;
using static SecureConnect.Tests.KnownHosts.KnownHostsVectors;

namespace SecureConnect.Tests.KnownHosts;

public sealed class KnownHostsFileTests
{
    private const string Path = "/tmp/known_hosts";

    // Line numbers matter: tests check them.
    private static readonly string s_realistic = string.Join('\n', new[]
    {
        /* 1 */ "# Bastions of the data team",
        /* 2 */ string.Empty,
        /* 3 */ "bastion.example.com,10.0.0.5 ssh-ed25519 " + Ed25519A,
        /* 4 */ "[bastion.example.com]:2222 ssh-ed25519 " + Ed25519B + " rotated 2025",
        /* 5 */ "*.corp.example,!db.corp.example ecdsa-sha2-nistp256 " + Ecdsa256,
        /* 6 */ "WEB?.Example ssh-rsa " + Rsa2048,
        /* 7 */ "   # an indented comment",
        /* 8 */ "@revoked revoked.example.com ssh-ed25519 " + Ed25519B,
        /* 9 */ "revoked.example.com ssh-ed25519 " + Ed25519B,
        /* 10 */ "@cert-authority *.example.com ssh-ed25519 " + Ed25519A,
        /* 11 */ HashedPort22 + " ssh-ed25519 " + Ed25519A,
        /* 12 */ HashedPort2222 + " ssh-ed25519 " + Ed25519B,
        /* 13 */ "\tindented.example\tssh-ed25519\t" + Ed25519A + "\t",
        /* 14 */ "broken.example ssh-ed25519",
        /* 15 */ "notbase64.example ssh-ed25519 !!!not-base64!!!",
        /* 16 */ "liar.example ssh-rsa " + Ed25519A,
        /* 17 */ "@future future.example ssh-ed25519 " + Ed25519A,
        /* 18 */ "|1|c2FsdA==|aGFzaA== ssh-ed25519 " + Ed25519A,
        /* 19 */ HashedPort22 + "x ssh-ed25519 " + Ed25519A,
    }) + "\n";

    [Fact]
    public void Parse_RealisticFile_ReadsEveryKeyLine()
    {
        KnownHostsFile file = KnownHostsFile.Parse(s_realistic, Path);

        Assert.Equal(new[] { 3, 4, 5, 6, 8, 9, 10, 11, 12, 13 }, file.Entries.Select(e => e.LineNumber).ToArray());

        KnownHostEntry multi = file.Entries[0];
        Assert.Null(multi.Marker);
        Assert.Equal("bastion.example.com,10.0.0.5", multi.HostField);
        Assert.Equal(new[] { "bastion.example.com", "10.0.0.5" }, multi.Patterns);
        Assert.False(multi.Hashed);
        Assert.Equal("ssh-ed25519", multi.KeyType);
        Assert.Equal(Blob(Ed25519A), multi.KeyBlob);
        Assert.Equal(Ed25519AFingerprint, multi.Fingerprint);
        Assert.Null(multi.Comment);

        Assert.Equal("rotated 2025", file.Entries[1].Comment);
        Assert.Equal(Ed25519BFingerprint, file.Entries[1].Fingerprint);
        Assert.Equal(Ecdsa256Fingerprint, file.Entries[2].Fingerprint);
        Assert.Equal(Rsa2048Fingerprint, file.Entries[3].Fingerprint);
        Assert.Equal("@revoked", file.Entries[4].Marker);
        Assert.Equal("@cert-authority", file.Entries[6].Marker);
        Assert.True(file.Entries[7].Hashed);
        Assert.Equal(HashedPort22, file.Entries[7].HostField);
        Assert.Equal("indented.example", file.Entries[9].HostField);
        Assert.Null(file.Entries[9].Comment);
    }

    [Fact]
    public void Parse_InvalidLines_BecomeWarningsWithLineNumbersAndReasons()
    {
        KnownHostsFile file = KnownHostsFile.Parse(s_realistic, Path);

        Assert.Equal(new[] { 14, 15, 16, 17, 18, 19 }, file.Warnings.Select(w => w.LineNumber).ToArray());
        Assert.All(file.Warnings, w => Assert.Contains(Path, w.Message, StringComparison.Ordinal));
        Assert.Contains("base64", file.Warnings[1].Reason, StringComparison.Ordinal);
        Assert.Contains("does not match the type inside the key data", file.Warnings[2].Reason, StringComparison.Ordinal);
        Assert.Contains("@future", file.Warnings[3].Reason, StringComparison.Ordinal);
        Assert.Contains("hashed host name", file.Warnings[4].Reason, StringComparison.Ordinal);
        Assert.Contains("hashed host name", file.Warnings[5].Reason, StringComparison.Ordinal);
        Assert.Contains("Line 16 ", file.Warnings[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Matches_HashedLinesFromSshKeygen_UseHmacOfTheLookupName()
    {
        KnownHostsFile file = KnownHostsFile.Parse(s_realistic, Path);
        KnownHostEntry port22 = file.Entries.Single(e => e.HostField == HashedPort22);
        KnownHostEntry port2222 = file.Entries.Single(e => e.HostField == HashedPort2222);

        Assert.True(port22.Matches("hashed.example.com", 22));
        Assert.True(port22.Matches("HASHED.Example.com", 22));
        Assert.False(port22.Matches("hashed.example.com", 2222));
        Assert.False(port22.Matches("hashed.example.org", 22));

        Assert.True(port2222.Matches("hashed.example.com", 2222));
        Assert.False(port2222.Matches("hashed.example.com", 22));
        Assert.False(port2222.Matches("hashed.example.com", 2223));
    }

    [Fact]
    public void Matches_PortSpecificEntriesOnlyMatchTheirPort()
    {
        KnownHostsFile file = KnownHostsFile.Parse(s_realistic, Path);
        KnownHostEntry plain = file.Entries[0];
        KnownHostEntry bracketed = file.Entries[1];

        Assert.True(plain.Matches("bastion.example.com", 22));
        Assert.False(plain.Matches("bastion.example.com", 2222));
        Assert.True(bracketed.Matches("bastion.example.com", 2222));
        Assert.False(bracketed.Matches("bastion.example.com", 22));
        Assert.False(bracketed.Matches("bastion.example.com", 22222));

        Assert.Equal(new[] { 3 }, file.Find("bastion.example.com", 22).Select(e => e.LineNumber));
        Assert.Equal(new[] { 4 }, file.Find("bastion.example.com", 2222).Select(e => e.LineNumber));
        Assert.Empty(file.Find("bastion.example.com", 2200));
    }

    [Fact]
    public void Matches_IgnoresCaseOfHostAndPattern()
    {
        KnownHostsFile file = KnownHostsFile.Parse(s_realistic, Path);

        Assert.True(file.Entries[0].Matches("BASTION.Example.COM", 22));
        Assert.True(file.Entries[1].Matches("Bastion.Example.Com", 2222));

        // The pattern on line 6 is written in capitals.
        Assert.True(file.Entries[3].Matches("web1.example", 22));
    }

    [Fact]
    public void Matches_WildcardsAndNegation()
    {
        KnownHostsFile file = KnownHostsFile.Parse(s_realistic, Path);
        KnownHostEntry corp = file.Entries[2];
        KnownHostEntry web = file.Entries[3];

        Assert.True(corp.Matches("app.corp.example", 22));
        Assert.True(corp.Matches("a.b.corp.example", 22));
        Assert.False(corp.Matches("corp.example", 22));
        Assert.False(corp.Matches("db.corp.example", 22));
        Assert.False(corp.Matches("DB.corp.example", 22));

        // '*' spans the brackets of the lookup name, as in OpenSSH, but the suffix must still match.
        Assert.False(corp.Matches("app.corp.example", 2222));

        Assert.True(web.Matches("web1.example", 22));
        Assert.True(web.Matches("webx.example", 22));
        Assert.False(web.Matches("web12.example", 22));
        Assert.False(web.Matches("web.example", 22));

        KnownHostsFile onlyNegated = KnownHostsFile.Parse("!a.example ssh-ed25519 " + Ed25519A + "\n", Path);
        Assert.False(onlyNegated.Entries[0].Matches("b.example", 22));

        KnownHostsFile star = KnownHostsFile.Parse("* ssh-ed25519 " + Ed25519A + "\n", Path);
        Assert.True(star.Entries[0].Matches("anything.example", 22));
        Assert.True(star.Entries[0].Matches("anything.example", 2222));
    }

    [Fact]
    public void Find_IncludesRevokedButNotCertAuthorityLines()
    {
        KnownHostsFile file = KnownHostsFile.Parse(s_realistic, Path);

        Assert.Equal(new[] { 8, 9 }, file.Find("revoked.example.com", 22).Select(e => e.LineNumber));

        // Line 10 (@cert-authority *.example.com) matches the name but vouches only for certificates.
        Assert.True(file.Entries[6].Matches("other.example.com", 22));
        Assert.Empty(file.Find("other.example.com", 22));
    }

    [Fact]
    public void Render_RoundTripsEveryLineVerbatim()
    {
        KnownHostsFile file = KnownHostsFile.Parse(s_realistic, Path);
        Assert.Equal(s_realistic, file.Render());
        Assert.False(file.IsModified);
    }

    [Fact]
    public void Render_NormalisesLineEndingsAndAddsTheFinalNewline()
    {
        string crlf = s_realistic.TrimEnd('\n').Replace("\n", "\r\n", StringComparison.Ordinal);
        KnownHostsFile file = KnownHostsFile.Parse(crlf, Path);

        Assert.Equal(s_realistic, file.Render());
        Assert.Equal(10, file.Entries.Count);
        Assert.Equal(string.Empty, KnownHostsFile.Parse(string.Empty, Path).Render());
    }

    [Fact]
    public void Add_AfterUnknownLines_KeepsThemAndAppends()
    {
        KnownHostsFile file = KnownHostsFile.Parse(s_realistic, Path);
        KnownHostEntry added = file.Add("new.example", 22, "ssh-ed25519", Blob(Ed25519B));

        Assert.True(file.IsModified);
        Assert.Equal(20, added.LineNumber);
        Assert.Equal(s_realistic + "new.example ssh-ed25519 " + Ed25519B + "\n", file.Render());
        Assert.Equal(6, KnownHostsFile.Parse(file.Render(), Path).Warnings.Count);
    }

    [Fact]
    public void Add_ThenFind_OnDefaultAndOtherPorts()
    {
        KnownHostsFile file = KnownHostsFile.Parse(string.Empty, Path);
        file.Add("Bastion.Example.com", 22, "ssh-ed25519", Blob(Ed25519A));
        file.Add("bastion.example.com", 2222, "ecdsa-sha2-nistp256", Blob(Ecdsa256));

        Assert.Equal(
            "bastion.example.com ssh-ed25519 " + Ed25519A + "\n" +
            "[bastion.example.com]:2222 ecdsa-sha2-nistp256 " + Ecdsa256 + "\n",
            file.Render());

        KnownHostsFile reread = KnownHostsFile.Parse(file.Render(), Path);
        Assert.Equal(Ed25519AFingerprint, Assert.Single(reread.Find("bastion.example.com", 22)).Fingerprint);
        Assert.Equal(Ecdsa256Fingerprint, Assert.Single(reread.Find("BASTION.example.com", 2222)).Fingerprint);
        Assert.Empty(reread.Find("bastion.example.com", 2022));
    }

    [Fact]
    public void Add_Hashed_HidesTheNameAndStillMatches()
    {
        KnownHostsFile file = KnownHostsFile.Parse(string.Empty, Path);
        KnownHostEntry first = file.Add("secret.example", 2222, "ssh-ed25519", Blob(Ed25519A), hash: true);
        KnownHostEntry second = file.Add("secret.example", 2222, "ssh-ed25519", Blob(Ed25519A), hash: true);

        string text = file.Render();
        Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
        Assert.True(first.Hashed);
        Assert.StartsWith("|1|", first.HostField, StringComparison.Ordinal);

        // A fresh salt each time, so equal names do not give equal lines.
        Assert.NotEqual(first.HostField, second.HostField);

        KnownHostsFile reread = KnownHostsFile.Parse(text, Path);
        Assert.Empty(reread.Warnings);
        Assert.Equal(2, reread.Find("Secret.Example", 2222).Count());
        Assert.Empty(reread.Find("secret.example", 22));
    }

    [Theory]
    [InlineData("a.example,b.example")]
    [InlineData("two words")]
    [InlineData("!negated")]
    [InlineData("#comment")]
    [InlineData("@revoked")]
    [InlineData("|1|x")]
    [InlineData("[a.example]:2222")]
    [InlineData("line\nbreak")]
    [InlineData("")]
    public void Add_RejectsHostNamesThatWouldChangeTheLine(string host)
    {
        KnownHostsFile file = KnownHostsFile.Parse(string.Empty, Path);
        var error = Assert.Throws<SecureConnectException>(() => file.Add(host, 22, "ssh-ed25519", Blob(Ed25519A)));
        Assert.Equal("InvalidHostName", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.DoesNotContain("\n", error.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, file.Render());
    }

    [Fact]
    public void Add_RejectsWildcardsWhenHashingAndKeysWhoseTypeDiffers()
    {
        KnownHostsFile file = KnownHostsFile.Parse(string.Empty, Path);

        Assert.Equal("InvalidHostName", Assert.Throws<SecureConnectException>(
            () => file.Add("*.example", 22, "ssh-ed25519", Blob(Ed25519A), hash: true)).ErrorId);
        Assert.Equal("InvalidHostKey", Assert.Throws<SecureConnectException>(
            () => file.Add("a.example", 22, "ssh-rsa", Blob(Ed25519A))).ErrorId);
        Assert.Equal("InvalidPort", Assert.Throws<SecureConnectException>(
            () => file.Add("a.example", 0, "ssh-ed25519", Blob(Ed25519A))).ErrorId);
        Assert.False(file.IsModified);

        // Unhashed wildcards are ordinary known_hosts patterns.
        file.Add("*.example", 22, "ssh-ed25519", Blob(Ed25519A));
        Assert.Single(file.Find("x.example", 22));
    }

    [Fact]
    public void Remove_DeletesSelectedEntriesKeepsTheRestAndRenumbers()
    {
        KnownHostsFile file = KnownHostsFile.Parse(s_realistic, Path);

        // Marker lines are left alone: "@cert-authority *.example.com" on line 10 also matches the name.
        int removed = file.Remove(e => e.Marker is null && (e.Matches("bastion.example.com", 22) || e.Matches("bastion.example.com", 2222)));

        Assert.Equal(2, removed);
        Assert.True(file.IsModified);
        string expected = string.Join('\n', s_realistic.Split('\n').Where((_, i) => i is not (2 or 3)));
        Assert.Equal(expected, file.Render());
        Assert.Empty(file.Find("bastion.example.com", 22));
        Assert.Equal(new[] { 3, 4, 6, 7, 8, 9, 10, 11 }, file.Entries.Select(e => e.LineNumber).ToArray());
        Assert.Equal(file.Entries.Select(e => e.LineNumber), KnownHostsFile.Parse(file.Render(), Path).Entries.Select(e => e.LineNumber));
    }

    [Fact]
    public void Remove_NothingSelected_LeavesTheFileUnmodified()
    {
        KnownHostsFile file = KnownHostsFile.Parse(s_realistic, Path);
        Assert.Equal(0, file.Remove(_ => false));
        Assert.False(file.IsModified);
    }

    [Fact]
    public void Merge_AddsOnlyMissingEntries()
    {
        KnownHostsFile target = KnownHostsFile.Parse(
            "# mine\nbastion.example.com,10.0.0.5 ssh-ed25519 " + Ed25519A + "\n", Path);
        KnownHostsFile other = KnownHostsFile.Parse(s_realistic, "/other/known_hosts");

        int added = target.Merge(other);

        // Ten entries in the other file, one of them already here.
        Assert.Equal(9, added);
        Assert.True(target.IsModified);
        Assert.Equal(10, target.Entries.Count);
        Assert.Equal(0, target.Merge(other));
        Assert.Equal(0, target.Merge(KnownHostsFile.Parse(target.Render(), Path)));

        KnownHostsFile reread = KnownHostsFile.Parse(target.Render(), Path);
        Assert.Empty(reread.Warnings);
        Assert.Equal("@revoked", reread.Find("revoked.example.com", 22).First().Marker);
        Assert.Equal("rotated 2025", reread.Find("bastion.example.com", 2222).Single().Comment);
        Assert.Single(reread.Find("hashed.example.com", 22));

        // Same host field and key but revoked is a different statement, so it is not a duplicate.
        KnownHostsFile revoke = KnownHostsFile.Parse("@revoked bastion.example.com,10.0.0.5 ssh-ed25519 " + Ed25519A + "\n", Path);
        Assert.Equal(1, target.Merge(revoke));
    }

    [Fact]
    public void Merge_DuplicatesWithinTheOtherFile_AreAddedOnce()
    {
        KnownHostsFile target = KnownHostsFile.Parse(string.Empty, Path);
        string line = "a.example ssh-ed25519 " + Ed25519A + "\n";
        Assert.Equal(1, target.Merge(KnownHostsFile.Parse(line + line, Path)));
        Assert.Equal(line, target.Render());
    }

    [Theory]
    [InlineData("Bastion.example.com", 22, "bastion.example.com")]
    [InlineData("bastion.example.com", 2222, "[bastion.example.com]:2222")]
    [InlineData("2001:DB8::1", 22, "2001:db8::1")]
    [InlineData("2001:db8::1", 2200, "[2001:db8::1]:2200")]
    public void LookupName_FollowsOpenSsh(string host, int port, string expected)
    {
        Assert.Equal(expected, KnownHostsFile.LookupName(host, port));
    }

    [Fact]
    public void ToSshKnownHost_FillsThePublicObject()
    {
        KnownHostsFile file = KnownHostsFile.Parse(s_realistic, Path);

        SshKnownHost asked = file.Entries[7].ToSshKnownHost("hashed.example.com", 22, Path);
        Assert.Equal("hashed.example.com", asked.HostName);
        Assert.Equal(22, asked.Port);
        Assert.True(asked.Hashed);
        Assert.Equal(HashedPort22, asked.Hosts);
        Assert.Equal("ssh-ed25519 " + Ed25519A, asked.PublicKey);
        Assert.Equal(Ed25519AFingerprint, asked.Fingerprint);
        Assert.Equal(11, asked.LineNumber);
        Assert.Equal(Path, asked.Path);

        SshKnownHost listedHashed = file.Entries[7].ToSshKnownHost(null, null, Path);
        Assert.Null(listedHashed.HostName);
        Assert.Null(listedHashed.Port);

        SshKnownHost listedPort = file.Entries[1].ToSshKnownHost(null, null, Path);
        Assert.Equal("bastion.example.com", listedPort.HostName);
        Assert.Equal(2222, listedPort.Port);
        Assert.Null(listedPort.Marker);

        SshKnownHost revoked = file.Entries[4].ToSshKnownHost(null, null, Path);
        Assert.Equal("@revoked", revoked.Marker);
        Assert.Equal("revoked.example.com", revoked.HostName);
        Assert.Equal(22, revoked.Port);
    }
}
