using System.Linq;
using System;
using SecureConnect.Common;
using SecureConnect.Ssh.KnownHosts;
using Xunit;
using static SecureConnect.Tests.KnownHosts.KnownHostsVectors;

namespace SecureConnect.Tests.KnownHosts;

public sealed class HostKeyVerifierTests
{
    private const string Path = "/ws/known_hosts";

    private static readonly string s_file = string.Join('\n', new[]
    {
        /* 1 */ "# test",
        /* 2 */ "bastion.example.com ssh-ed25519 " + Ed25519A,
        /* 3 */ "bastion.example.com ecdsa-sha2-nistp256 " + Ecdsa256,
        /* 4 */ "[bastion.example.com]:2222 ssh-rsa " + Rsa2048,
        /* 5 */ "@revoked * ssh-ed25519 " + Ed25519B,
        /* 6 */ "old.example.com ssh-ed25519 " + Ed25519B,
        /* 7 */ "@cert-authority *.example.com ssh-ed25519 " + Ed25519A,
        /* 8 */ HashedPort22 + " ssh-ed25519 " + Ed25519A,
    }) + "\n";

    private static KnownHostsFile File => KnownHostsFile.Parse(s_file, Path);

    // The same file without line 5's global revocation of key B, for the pin tests that present key B.
    private static KnownHostsFile FileWithoutRevocation => KnownHostsFile.Parse(
        string.Join('\n', s_file.Split('\n').Where(line => !line.StartsWith("@revoked", StringComparison.Ordinal))), Path);

    [Theory]
    [InlineData(HostKeyPolicy.Strict)]
    [InlineData(HostKeyPolicy.AcceptNew)]
    public void Decide_KnownKey_IsTrustedUnderEitherPolicy(HostKeyPolicy policy)
    {
        HostKeyDecision decision = HostKeyVerifier.Decide(File, "Bastion.example.com", 22, "ecdsa-sha2-nistp256", Blob(Ecdsa256), policy, null);

        Assert.Equal(HostKeyOutcome.Trusted, decision.Outcome);
        Assert.True(decision.IsAccepted);
        Assert.Equal(Ecdsa256Fingerprint, decision.PresentedFingerprint);
        Assert.Equal(new[] { Ed25519AFingerprint, Ecdsa256Fingerprint }, decision.KnownFingerprints);
        Assert.Equal(3, decision.MatchedEntry!.LineNumber);
    }

    [Fact]
    public void Decide_HashedEntry_IsTrusted()
    {
        HostKeyDecision decision = HostKeyVerifier.Decide(File, "hashed.example.com", 22, "ssh-ed25519", Blob(Ed25519A), HostKeyPolicy.Strict, null);
        Assert.Equal(HostKeyOutcome.Trusted, decision.Outcome);
    }

    [Fact]
    public void Decide_UnknownHostStrict_IsUnknownAndSaysWhatToDo()
    {
        HostKeyDecision decision = HostKeyVerifier.Decide(File, "new.example.com", 2200, "ssh-ed25519", Blob(Ed25519A), HostKeyPolicy.Strict, null);

        Assert.Equal(HostKeyOutcome.Unknown, decision.Outcome);
        Assert.False(decision.IsAccepted);
        Assert.Empty(decision.KnownFingerprints);
        Assert.StartsWith("The host key of new.example.com:2200 is not trusted yet (ssh-ed25519 " + Ed25519AFingerprint + ").", decision.Message, StringComparison.Ordinal);
        Assert.Contains("Get-SshServerKey -HostName new.example.com -Port 2200 | Add-SshKnownHost", decision.Message, StringComparison.Ordinal);
        Assert.Contains("-HostKeyPolicy AcceptNew", decision.Message, StringComparison.Ordinal);
        Assert.Contains("-HostKeyFingerprint '" + Ed25519AFingerprint + "'", decision.Message, StringComparison.Ordinal);

        SecureConnectException error = decision.ToException();
        Assert.Equal("HostKeyUnknown", error.ErrorId);
        Assert.Equal(ErrorKind.SecurityError, error.Kind);
        Assert.Equal(decision.Message, error.Message);
    }

    [Fact]
    public void Decide_UnknownHostAcceptNew_IsTrustOnFirstUse()
    {
        HostKeyDecision decision = HostKeyVerifier.Decide(File, "new.example.com", 22, "ssh-ed25519", Blob(Ed25519A), HostKeyPolicy.AcceptNew, null);

        Assert.Equal(HostKeyOutcome.TrustOnFirstUse, decision.Outcome);
        Assert.True(decision.IsAccepted);
        Assert.Throws<InvalidOperationException>(() => decision.ToException());
    }

    [Fact]
    public void Decide_PortIsPartOfTheIdentity()
    {
        // Port 2222 knows only an RSA key; the ed25519 key trusted on port 22 does not carry over.
        HostKeyDecision decision = HostKeyVerifier.Decide(File, "bastion.example.com", 2222, "ssh-ed25519", Blob(Ed25519A), HostKeyPolicy.AcceptNew, null);
        Assert.Equal(HostKeyOutcome.Mismatch, decision.Outcome);
        Assert.Equal(new[] { Rsa2048Fingerprint }, decision.KnownFingerprints);

        HostKeyDecision other = HostKeyVerifier.Decide(File, "bastion.example.com", 2223, "ssh-ed25519", Blob(Ed25519A), HostKeyPolicy.Strict, null);
        Assert.Equal(HostKeyOutcome.Unknown, other.Outcome);
    }

    [Theory]
    [InlineData(HostKeyPolicy.Strict)]
    [InlineData(HostKeyPolicy.AcceptNew)]
    public void Decide_DifferentKeyOfAKnownType_IsMismatch(HostKeyPolicy policy)
    {
        var file = KnownHostsFile.Parse("bastion.example.com ssh-ed25519 " + Ed25519A + "\n", Path);
        HostKeyDecision decision = HostKeyVerifier.Decide(file, "bastion.example.com", 22, "ssh-ed25519", Blob(Ed25519B), policy, null);

        Assert.Equal(HostKeyOutcome.Mismatch, decision.Outcome);
        Assert.False(decision.IsAccepted);
        Assert.Equal(Ed25519BFingerprint, decision.PresentedFingerprint);
        Assert.Equal(new[] { Ed25519AFingerprint }, decision.KnownFingerprints);
        Assert.Contains("does not match the trusted one (trusted: " + Ed25519AFingerprint, decision.Message, StringComparison.Ordinal);
        Assert.Contains("presented: " + Ed25519BFingerprint, decision.Message, StringComparison.Ordinal);
        Assert.Contains("attacker", decision.Message, StringComparison.Ordinal);
        Assert.Contains("Nothing was sent to the server.", decision.Message, StringComparison.Ordinal);
        Assert.Contains(
            "Remove-SshKnownHost -HostName bastion.example.com -Port 22; Get-SshServerKey -HostName bastion.example.com -Port 22 | Add-SshKnownHost",
            decision.Message,
            StringComparison.Ordinal);
        Assert.Equal("HostKeyMismatch", decision.ToException().ErrorId);
    }

    [Fact]
    public void Decide_KeyOfATypeNotKnownForTheHost_IsMismatchEvenWithAcceptNew()
    {
        HostKeyDecision decision = HostKeyVerifier.Decide(File, "bastion.example.com", 22, "ssh-rsa", Blob(Rsa2048), HostKeyPolicy.AcceptNew, null);

        Assert.Equal(HostKeyOutcome.Mismatch, decision.Outcome);
        Assert.Equal(new[] { Ed25519AFingerprint, Ecdsa256Fingerprint }, decision.KnownFingerprints);
        Assert.Contains(Ed25519AFingerprint + " (ssh-ed25519), " + Ecdsa256Fingerprint + " (ecdsa-sha2-nistp256)", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_RevokedKey_IsRevokedEvenWhereAlsoListedAsTrusted()
    {
        // old.example.com lists key B on line 6, but "@revoked *" on line 5 revokes B everywhere.
        HostKeyDecision decision = HostKeyVerifier.Decide(File, "old.example.com", 22, "ssh-ed25519", Blob(Ed25519B), HostKeyPolicy.AcceptNew, null);

        Assert.Equal(HostKeyOutcome.Revoked, decision.Outcome);
        Assert.False(decision.IsAccepted);
        Assert.Equal(5, decision.MatchedEntry!.LineNumber);
        Assert.Contains("is revoked in known_hosts", decision.Message, StringComparison.Ordinal);
        Assert.Contains(Path, decision.Message, StringComparison.Ordinal);
        Assert.Equal("HostKeyMismatch", decision.ToException().ErrorId);

        // An unknown host presenting the revoked key is refused too, not trusted on first use.
        HostKeyDecision fresh = HostKeyVerifier.Decide(File, "fresh.example.org", 22, "ssh-ed25519", Blob(Ed25519B), HostKeyPolicy.AcceptNew, null);
        Assert.Equal(HostKeyOutcome.Revoked, fresh.Outcome);
    }

    [Fact]
    public void Decide_HostWithOnlyARevokedEntry_IsUnknownForAnotherKey()
    {
        HostKeyDecision decision = HostKeyVerifier.Decide(File, "fresh.example.org", 22, "ssh-ed25519", Blob(Ed25519A), HostKeyPolicy.Strict, null);
        Assert.Equal(HostKeyOutcome.Unknown, decision.Outcome);
        Assert.Empty(decision.KnownFingerprints);
    }

    [Fact]
    public void Decide_CertAuthorityLine_DoesNotTrustAPlainHostKey()
    {
        // Line 7 "@cert-authority *.example.com" holds key A; a host presenting A itself is still unknown.
        HostKeyDecision decision = HostKeyVerifier.Decide(File, "web.example.com", 22, "ssh-ed25519", Blob(Ed25519A), HostKeyPolicy.Strict, null);
        Assert.Equal(HostKeyOutcome.Unknown, decision.Outcome);
    }

    [Theory]
    [InlineData(Ed25519BFingerprint)]
    [InlineData("R5kp3agKL1hyW3ZSAgOBmT0Y/bg0x2Q3x6AIXDar/Jc")]
    [InlineData("R5kp3agKL1hyW3ZSAgOBmT0Y/bg0x2Q3x6AIXDar/Jc=")]
    [InlineData(" " + Ed25519BFingerprint + "= ")]
    public void Decide_MatchingPin_IsTrustedByPinWhateverKnownHostsSays(string pin)
    {
        // bastion.example.com knows key A; the pin for B decides alone.
        HostKeyDecision decision = HostKeyVerifier.Decide(FileWithoutRevocation, "bastion.example.com", 22, "ssh-ed25519", Blob(Ed25519B), HostKeyPolicy.Strict, pin);

        Assert.Equal(HostKeyOutcome.TrustedByPin, decision.Outcome);
        Assert.True(decision.IsAccepted);
    }

    [Fact]
    public void Decide_DifferentPin_IsMismatchEvenForAKnownKey()
    {
        HostKeyDecision decision = HostKeyVerifier.Decide(File, "bastion.example.com", 22, "ssh-ed25519", Blob(Ed25519A), HostKeyPolicy.AcceptNew, Ed25519BFingerprint);

        Assert.Equal(HostKeyOutcome.Mismatch, decision.Outcome);
        Assert.Equal(
            "The host key of bastion.example.com:22 does not match the pinned fingerprint " + Ed25519BFingerprint +
            " (presented: " + Ed25519AFingerprint + "). Nothing was sent to the server.",
            decision.Message);
    }

    [Fact]
    public void Decide_PinComparisonIsCaseSensitive()
    {
        // Base64 is case-sensitive: a pin differing only in case is another fingerprint.
        string pin = "SHA256:" + Ed25519BFingerprint.Substring(7).ToLowerInvariant();
        HostKeyDecision decision = HostKeyVerifier.Decide(FileWithoutRevocation, "x.example", 22, "ssh-ed25519", Blob(Ed25519B), HostKeyPolicy.AcceptNew, pin);
        Assert.Equal(HostKeyOutcome.Mismatch, decision.Outcome);
    }

    [Fact]
    public void Decide_PinInAnotherFormat_ExplainsTheExpectedForm()
    {
        HostKeyDecision decision = HostKeyVerifier.Decide(FileWithoutRevocation, "x.example", 22, "ssh-ed25519", Blob(Ed25519B), HostKeyPolicy.AcceptNew, "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48");
        Assert.Equal(HostKeyOutcome.Mismatch, decision.Outcome);
        Assert.Contains("MD5 fingerprints are not accepted", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KnownKeyTypes_AreDistinctNonRevokedTypesForTheHostAndPort()
    {
        var file = KnownHostsFile.Parse(
            s_file + "bastion.example.com ssh-ed25519 " + Ed25519B + "\n@revoked [bastion.example.com]:2222 ecdsa-sha2-nistp256 " + Ecdsa256 + "\n",
            Path);

        Assert.Equal(new[] { "ssh-ed25519", "ecdsa-sha2-nistp256" }, HostKeyVerifier.KnownKeyTypes(file, "bastion.example.com", 22));
        Assert.Equal(new[] { "ssh-rsa" }, HostKeyVerifier.KnownKeyTypes(file, "bastion.example.com", 2222));
        Assert.Empty(HostKeyVerifier.KnownKeyTypes(file, "web.example.com", 22));
    }

    [Theory]
    [InlineData("ssh-ed25519", new[] { "ssh-ed25519" })]
    [InlineData("ssh-rsa", new[] { "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa" })]
    [InlineData("ecdsa-sha2-nistp256", new[] { "ecdsa-sha2-nistp256" })]
    [InlineData("ecdsa-sha2-nistp384", new[] { "ecdsa-sha2-nistp384" })]
    [InlineData("ecdsa-sha2-nistp521", new[] { "ecdsa-sha2-nistp521" })]
    [InlineData("sk-ssh-ed25519@openssh.com", new[] { "sk-ssh-ed25519@openssh.com" })]
    public void HostKeyAlgorithmsFor_MapsKeyTypesToSignatureAlgorithms(string keyType, string[] expected)
    {
        Assert.Equal(expected, HostKeyVerifier.HostKeyAlgorithmsFor(keyType));
    }

    [Fact]
    public void Decide_RevokedKey_IsRefusedEvenWhenPinned()
    {
        string pin = SecureConnect.Ssh.Keys.SshFingerprint.Sha256(Blob(Ed25519B));
        HostKeyDecision decision = HostKeyVerifier.Decide(File, "bastion.example.com", 22, "ssh-ed25519", Blob(Ed25519B), HostKeyPolicy.Strict, pin);

        Assert.Equal(HostKeyOutcome.Revoked, decision.Outcome);
        Assert.False(decision.IsAccepted);
    }
}
