using System;
using System.IO;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecureConnect.Sql;
using Xunit;
using ScSslMode = SecureConnect.SslMode;

namespace SecureConnect.Tests.Sql;

public sealed class TlsObserverTests
{
    private static readonly RSA s_labCaKey = RSA.Create(2048);
    private static readonly (X509Certificate2 Ca, X509Certificate2 Leaf) s_lab = MakeChain("Lab CA", "db.lab.internal", s_labCaKey);
    private static readonly (X509Certificate2 Ca, X509Certificate2 Leaf) s_rogue = MakeChain("Rogue CA", "db.lab.internal", RSA.Create(2048));

    [Theory]
    [InlineData(ScSslMode.Preferred)]
    [InlineData(ScSslMode.Required)]
    public void WeakModes_AcceptAnyCertificate_ButRecordIt(ScSslMode mode)
    {
        var observer = new TlsObserver(mode, "db.lab.internal", s_lab.Ca);
        Assert.True(observer.Validate(this, s_rogue.Leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.True(observer.HandshakeSeen);
        Assert.False(observer.ChainValidated);
        Assert.Equal(s_rogue.Leaf.Subject, observer.Certificate!.Subject);
    }

    [Fact]
    public void VerifyCA_AcceptsTheUploadedCa_WithoutCheckingTheName()
    {
        var observer = new TlsObserver(ScSslMode.VerifyCA, "some.other.name", s_lab.Ca);
        Assert.True(observer.Validate(this, s_lab.Leaf, null, SslPolicyErrors.RemoteCertificateChainErrors | SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.True(observer.ChainValidated);
        Assert.False(observer.HostNameVerified);
    }

    [Fact]
    public void VerifyCA_RefusesACertificateFromAnotherCa()
    {
        var observer = new TlsObserver(ScSslMode.VerifyCA, "db.lab.internal", s_rogue.Ca);
        Assert.False(observer.Validate(this, s_lab.Leaf, null, SslPolicyErrors.None));
        Assert.Contains("not signed by the trusted CA", observer.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyFull_ChecksTheRealHostName_NotTheTunnelAddress()
    {
        // The driver connected to 127.0.0.1 and says so (name mismatch); the observer checks the real name.
        var observer = new TlsObserver(ScSslMode.VerifyFull, "db.lab.internal", s_lab.Ca);
        Assert.True(observer.Validate(this, s_lab.Leaf, null, SslPolicyErrors.RemoteCertificateNameMismatch));
        Assert.True(observer.HostNameVerified);
    }

    [Fact]
    public void VerifyFull_RefusesANameTheCertificateDoesNotHold()
    {
        var observer = new TlsObserver(ScSslMode.VerifyFull, "pg.lab.internal", s_lab.Ca);
        Assert.False(observer.Validate(this, s_lab.Leaf, null, SslPolicyErrors.None));
        Assert.Contains("does not hold the name 'pg.lab.internal'", observer.Failure, StringComparison.Ordinal);
        Assert.Contains("db.lab.internal", observer.Failure, StringComparison.Ordinal);
        Assert.True(observer.ChainValidated);
        Assert.False(observer.HostNameVerified);
    }

    [Fact]
    public void VerifyCA_WithoutAnUploadedCa_UsesTheSystemStore()
    {
        var observer = new TlsObserver(ScSslMode.VerifyCA, "db.lab.internal", (X509Certificate2Collection?)null);
        Assert.False(observer.Validate(this, s_lab.Leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.Contains("system store", observer.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyFull_TrustsEveryCaOfAnUploadedBundle_NotOnlyTheFirst()
    {
        // A provider's bundle (such as the RDS one) holds many CAs; the server's may be any of them.
        string path = Path.Combine(Path.GetTempPath(), "sc-bundle-" + Guid.NewGuid().ToString("N") + ".pem");
        File.WriteAllText(path, s_rogue.Ca.ExportCertificatePem() + "\n" + s_lab.Ca.ExportCertificatePem() + "\n");
        try
        {
            X509Certificate2Collection trusted = SecureConnect.Integrations.CaCertificates.LoadAll(path);
            Assert.Equal(2, trusted.Count);
            var observer = new TlsObserver(ScSslMode.VerifyFull, "db.lab.internal", trusted);
            Assert.True(observer.Validate(this, s_lab.Leaf, null, SslPolicyErrors.RemoteCertificateChainErrors), observer.Failure);
            Assert.True(observer.ChainValidated);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadAll_ACorruptOrMissingCaFileIsAClearError()
    {
        string path = Path.Combine(Path.GetTempPath(), "sc-corrupt-" + Guid.NewGuid().ToString("N") + ".pem");
        File.WriteAllText(path, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        try
        {
            Assert.Equal("CaCertificateInvalid", Assert.Throws<SecureConnect.Common.SecureConnectException>(() => SecureConnect.Integrations.CaCertificates.LoadAll(path)).ErrorId);
        }
        finally
        {
            File.Delete(path);
        }

        Assert.Equal("CaCertificateNotFound", Assert.Throws<SecureConnect.Common.SecureConnectException>(() => SecureConnect.Integrations.CaCertificates.LoadAll(path)).ErrorId);
    }

    [Fact]
    public void VerifyCA_RefusesACertificateNotMeantForServers_AsLibpqDoes()
    {
        // Same CA, but the extended key usage says client authentication only.
        X509Certificate2 clientOnly = MakeLeaf(s_lab.Ca, s_labCaKey, "db.lab.internal", new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") });
        var observer = new TlsObserver(ScSslMode.VerifyCA, "db.lab.internal", s_lab.Ca);
        Assert.False(observer.Validate(this, clientOnly, null, SslPolicyErrors.None));
        Assert.Contains("serverAuth", observer.Failure, StringComparison.Ordinal);

        X509Certificate2 serverAuth = MakeLeaf(s_lab.Ca, s_labCaKey, "db.lab.internal", new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") });
        Assert.True(new TlsObserver(ScSslMode.VerifyFull, "db.lab.internal", s_lab.Ca).Validate(this, serverAuth, null, SslPolicyErrors.None));
    }

    [Fact]
    public void Crl_RefusesARevokedCertificate_AndPassesOneTheListDoesNotName()
    {
        X509Certificate2 revoked = MakeLeaf(s_lab.Ca, s_labCaKey, "db.lab.internal", new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") });
        var lists = new[] { MakeCrl(s_labCaKey, s_lab.Ca, DateTime.UtcNow.AddDays(7), revoked) };

        var refusing = new TlsObserver(ScSslMode.VerifyFull, "db.lab.internal", new X509Certificate2Collection(s_lab.Ca), lists);
        Assert.False(refusing.Validate(this, revoked, null, SslPolicyErrors.None));
        Assert.Contains("was revoked", refusing.Failure, StringComparison.Ordinal);

        var passing = new TlsObserver(ScSslMode.VerifyCA, "db.lab.internal", new X509Certificate2Collection(s_lab.Ca), lists);
        Assert.True(passing.Validate(this, s_lab.Leaf, null, SslPolicyErrors.None), passing.Failure);
        Assert.True(passing.RevocationChecked);
    }

    [Fact]
    public void Crl_FailsClosed_OutOfDateForgedOrFromAnotherIssuer()
    {
        var trusted = new X509Certificate2Collection(s_lab.Ca);
        var outOfDate = new TlsObserver(ScSslMode.VerifyCA, "db.lab.internal", trusted, new[] { MakeCrl(s_labCaKey, s_lab.Ca, DateTime.UtcNow.AddDays(-1)) });
        Assert.False(outOfDate.Validate(this, s_lab.Leaf, null, SslPolicyErrors.None));
        Assert.Contains("out of date", outOfDate.Failure, StringComparison.Ordinal);

        // Names the lab CA as issuer but is signed with another key.
        using RSA otherKey = RSA.Create(2048);
        var forged = new TlsObserver(ScSslMode.VerifyCA, "db.lab.internal", trusted, new[] { MakeCrl(otherKey, s_lab.Ca, DateTime.UtcNow.AddDays(7)) });
        Assert.False(forged.Validate(this, s_lab.Leaf, null, SslPolicyErrors.None));
        Assert.Contains("not signed by that CA", forged.Failure, StringComparison.Ordinal);

        var otherIssuer = new TlsObserver(ScSslMode.VerifyCA, "db.lab.internal", trusted, new[] { MakeCrl(s_labCaKey, s_rogue.Ca, DateTime.UtcNow.AddDays(7)) });
        Assert.False(otherIssuer.Validate(this, s_lab.Leaf, null, SslPolicyErrors.None));
        Assert.Contains("holds no revocation list from the certificate's issuer", otherIssuer.Failure, StringComparison.Ordinal);
    }

    private static Org.BouncyCastle.X509.X509Crl MakeCrl(RSA signingKey, X509Certificate2 issuer, DateTime nextUpdate, params X509Certificate2[] revoked)
    {
        var generator = new Org.BouncyCastle.X509.X509V2CrlGenerator();
        generator.SetIssuerDN(new Org.BouncyCastle.Asn1.X509.X509Name(issuer.SubjectName.Name));
        generator.SetThisUpdate(DateTime.UtcNow.AddHours(-1));
        generator.SetNextUpdate(nextUpdate);
        foreach (X509Certificate2 certificate in revoked)
        {
            generator.AddCrlEntry(new Org.BouncyCastle.Math.BigInteger(certificate.SerialNumber, 16), DateTime.UtcNow.AddMinutes(-30), Org.BouncyCastle.Asn1.X509.CrlReason.KeyCompromise);
        }

        Org.BouncyCastle.Crypto.AsymmetricCipherKeyPair pair = Org.BouncyCastle.Security.DotNetUtilities.GetRsaKeyPair(signingKey);
        var signer = new Org.BouncyCastle.Crypto.Operators.Asn1SignatureFactory("SHA256WITHRSA", pair.Private);
        return generator.Generate(signer);
    }

    private static X509Certificate2 MakeLeaf(X509Certificate2 ca, RSA caKey, string dnsName, OidCollection usages)
    {
        using RSA leafKey = RSA.Create(2048);
        var request = new CertificateRequest($"CN={dnsName}", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        _ = caKey;
        return request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(10), RandomNumberGenerator.GetBytes(8));
    }

    internal static (X509Certificate2 Ca, X509Certificate2 Leaf) MakeChain(string caName, string dnsName, RSA caKey)
    {
        var caRequest = new CertificateRequest($"CN={caName}", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        X509Certificate2 ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        using RSA leafKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest($"CN={dnsName}", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(dnsName);
        leafRequest.CertificateExtensions.Add(san.Build());
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        byte[] serial = RandomNumberGenerator.GetBytes(8);
        X509Certificate2 leaf = leafRequest.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(10), serial);
        return (ca, leaf);
    }
}
