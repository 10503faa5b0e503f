using System;
using System.Linq;
using Org.BouncyCastle.Crypto.Parameters;
using SecureConnect.Ssh.Keys;
using Xunit;

namespace SecureConnect.Tests.Ssh;

public sealed class SshFingerprintTests
{
    // Vectors from the real tools: the key below was written with OpenSshPrivateKeyFormat.Write and then
    // "ssh-keygen -l -E sha256 -f" and "ssh-keygen -y -f" (OpenSSH_9.2p1) printed these strings.
    private const string FixedSeedFingerprint = "SHA256:lbmsoA0yIEcEiVDRnMWuzm+nV+3ZEEpVIURqFoeSspg";
    private const string FixedSeedPublicLine =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4 vector@secureconnect";

    internal static SshKeyPair FixedSeedKey(string comment = "vector@secureconnect")
    {
        byte[] seed = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        return new SshKeyPair(new Ed25519PrivateKeyParameters(seed, 0), comment);
    }

    [Fact]
    public void FixedEd25519Key_HasTheFingerprintSshKeygenPrints()
    {
        Assert.Equal(FixedSeedFingerprint, FixedSeedKey().Fingerprint);
    }

    [Fact]
    public void FixedEd25519Key_HasThePublicLineSshKeygenPrints()
    {
        Assert.Equal(FixedSeedPublicLine, FixedSeedKey().PublicKeyLine);
    }

    [Fact]
    public void PublicKeyLine_WithoutComment_IsTypeAndBase64Only()
    {
        string line = FixedSeedKey(comment: string.Empty).PublicKeyLine;

        Assert.Equal(FixedSeedPublicLine[..FixedSeedPublicLine.LastIndexOf(' ')], line);
    }

    [Fact]
    public void Sha256_OfSshKeygenPublicKeyBlob_MatchesSshKeygen()
    {
        byte[] blob = Convert.FromBase64String(SshTestKeys.Rsa2048PublicLine.Split(' ')[1]);

        Assert.Equal(SshTestKeys.Rsa2048Fingerprint, SshFingerprint.Sha256(blob));
    }

    [Fact]
    public void Sha256_DropsBase64Padding()
    {
        // SHA-256 of nothing is 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= in padded base64.
        Assert.Equal("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU", SshFingerprint.Sha256(Array.Empty<byte>()));
    }

    [Fact]
    public void Fingerprint_IsTheHashOfThePublicKeyBlob()
    {
        SshKeyPair key = FixedSeedKey();

        Assert.Equal(SshFingerprint.Sha256(key.PublicKeyBlob), key.Fingerprint);
    }
}
