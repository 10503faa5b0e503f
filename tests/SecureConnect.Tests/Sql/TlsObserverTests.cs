using System;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecureConnect.Sql;
using Xunit;
using ScSslMode = SecureConnect.SslMode;

namespace SecureConnect.Tests.Sql;

public sealed class TlsObserverTests
{
    private static readonly (X509Certificate2 Ca, X509Certificate2 Leaf) s_lab = MakeChain("Lab CA", "db.lab.internal");
    private static readonly (X509Certificate2 Ca, X509Certificate2 Leaf) s_rogue = MakeChain("Rogue CA", "db.lab.internal");

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
        var observer = new TlsObserver(ScSslMode.VerifyCA, "db.lab.internal", null);
        Assert.False(observer.Validate(this, s_lab.Leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
        Assert.Contains("system store", observer.Failure, StringComparison.Ordinal);
    }

    private static (X509Certificate2 Ca, X509Certificate2 Leaf) MakeChain(string caName, string dnsName)
    {
        using RSA caKey = RSA.Create(2048);
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
