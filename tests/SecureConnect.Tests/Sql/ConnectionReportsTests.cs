using System;
using System.Collections;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using SecureConnect.Integrations;
using SecureConnect.Sql;
using Xunit;
using ScSslMode = SecureConnect.SslMode;

namespace SecureConnect.Tests.Sql;

public sealed class ConnectionReportsTests
{
    private static readonly (X509Certificate2 Ca, X509Certificate2 Leaf) s_chain = TlsObserverTests.MakeChain("Report CA", "db.lab.internal", RSA.Create(2048));

    [Fact]
    public void Preferred_FellBackToPlaintext_IsReportedAndWarned()
    {
        var observer = new TlsObserver(ScSslMode.Preferred, "db.lab.internal", (X509Certificate2?)null);
        ConnectionReport report = Build(ScSslMode.Preferred, observer, new ServerSessionInfo(false, null, null, "10.0.0.9", "16.4"));

        Assert.False(report.Encrypted);
        Assert.False(report.CertificateValidated);
        Assert.Contains(report.Warnings, w => w.Contains("NOT encrypted", StringComparison.Ordinal) && w.Contains("Preferred fell back", StringComparison.Ordinal));
        Assert.Equal("10.0.0.9", report.ClientAddressSeenByServer);
        Assert.Equal("db.lab.internal:5432", report.Endpoint);
    }

    [Fact]
    public void Required_Encrypted_ButTheServerIsNotAuthenticated()
    {
        var observer = new TlsObserver(ScSslMode.Required, "db.lab.internal", (X509Certificate2?)null);
        Assert.True(observer.Validate(this, s_chain.Leaf, null, SslPolicyErrors.RemoteCertificateChainErrors));
        ConnectionReport report = Build(ScSslMode.Required, observer, new ServerSessionInfo(true, "TLSv1.3", "TLS_AES_256_GCM_SHA384", null, null));

        Assert.True(report.Encrypted);
        Assert.False(report.CertificateValidated);
        Assert.False(report.HostNameVerified);
        Assert.Contains(report.Warnings, w => w.Contains("not validated", StringComparison.Ordinal));
    }

    [Fact]
    public void VerifyFull_ReportsTheCheckedChainAndName_AndACertificateThatExpiresSoon()
    {
        var observer = new TlsObserver(ScSslMode.VerifyFull, "db.lab.internal", s_chain.Ca);
        Assert.True(observer.Validate(this, s_chain.Leaf, null, SslPolicyErrors.RemoteCertificateNameMismatch));

        ConnectionReport soon = Build(ScSslMode.VerifyFull, observer, new ServerSessionInfo(true, "TLSv1.3", null, null, null));
        Assert.True(soon.CertificateValidated);
        Assert.True(soon.HostNameVerified);
        Assert.Equal(s_chain.Leaf.Subject, soon.CertificateSubject);
        Assert.Contains(soon.Warnings, w => w.Contains("expires on", StringComparison.Ordinal));
        Assert.DoesNotContain(soon.Warnings, w => w.Contains("not validated", StringComparison.Ordinal));

        ConnectionReport earlier = Build(ScSslMode.VerifyFull, observer, new ServerSessionInfo(true, "TLSv1.3", null, null, null), now: s_chain.Leaf.NotAfter.AddDays(-60));
        Assert.Empty(earlier.Warnings);
    }

    [Fact]
    public void EncryptionOnlyTheClientSaw_IsSaid()
    {
        var observer = new TlsObserver(ScSslMode.VerifyCA, "db.lab.internal", s_chain.Ca);
        Assert.True(observer.Validate(this, s_chain.Leaf, null, SslPolicyErrors.None));
        ConnectionReport report = Build(ScSslMode.VerifyCA, observer, new ServerSessionInfo(null, null, null, null, null), now: s_chain.Leaf.NotAfter.AddDays(-60));

        Assert.True(report.Encrypted);
        Assert.Contains(report.Warnings, w => w.Contains("does not report its session encryption", StringComparison.Ordinal));
    }

    [Fact]
    public void Failed_IsAReportWithTheErrorIdReasonAndFix()
    {
        var plan = new ConnectionPlan("orders", IntegrationType.PostgreSQL, "db.lab.internal", 5432, "app", ScSslMode.VerifyFull, SslModeSource.Integration, null, null, null, new Hashtable());
        var error = new SecureConnect.Common.SecureConnectException(SecureConnect.Common.ErrorIds.HostKeyUnknown, SecureConnect.Common.ErrorKind.SecurityError, "The host key of bastion:22 is not trusted yet.");
        ConnectionReport report = ConnectionReports.Failed(plan, error, TimeSpan.FromMilliseconds(7));

        Assert.False(report.Connected);
        Assert.Equal("HostKeyUnknown", report.ErrorId);
        Assert.Equal(error.Message, report.Reason);
        Assert.Contains("Add-SshKnownHost", report.Fix, StringComparison.Ordinal);
        Assert.False(report.Encrypted);
        Assert.Empty(report.Warnings);
        Assert.Equal("db.lab.internal:5432", report.Endpoint);
        Assert.Equal("Direct", report.Via);
    }

    [Fact]
    public void FixFor_AnIdWithoutItsOwnFix_PointsAtTheErrorTopic()
    {
        Assert.Contains("about_SecureConnect_Errors", ConnectionReports.FixFor("SomethingElse"), StringComparison.Ordinal);
        Assert.Contains("Unlock-WorkspaceSshKey", ConnectionReports.FixFor(SecureConnect.Common.ErrorIds.KeyPassphraseRequired), StringComparison.Ordinal);
    }

    [Fact]
    public void Build_OfAnOpenSession_IsConnected()
    {
        var observer = new TlsObserver(ScSslMode.Preferred, "db.lab.internal", (X509Certificate2?)null);
        ConnectionReport report = Build(ScSslMode.Preferred, observer, new ServerSessionInfo(false, null, null, null, null));
        Assert.True(report.Connected);
        Assert.Null(report.ErrorId);
        Assert.Null(report.Fix);
    }

    private static ConnectionReport Build(ScSslMode mode, TlsObserver observer, ServerSessionInfo info, DateTime? now = null)
    {
        var plan = new ConnectionPlan("orders", IntegrationType.PostgreSQL, "db.lab.internal", 5432, "app", mode, SslModeSource.Integration, null, null, null, new Hashtable());
        return ConnectionReports.Build(plan, new SessionDouble(observer), info, TimeSpan.FromMilliseconds(12), now ?? DateTime.Now);
    }

    /// <summary>A test double of an open session: only what a report reads.</summary>
    private sealed class SessionDouble : IEngineSession
    {
        public SessionDouble(TlsObserver observer) => Observer = observer;

        public EngineCapabilities Capabilities => EngineCapabilities.CertificateCallback | EngineCapabilities.ServerReportsEncryption;

        public TlsObserver Observer { get; }

        public string Via => "Direct";

        public ServerSessionInfo DescribeSession(CancellationToken cancel) => throw new NotSupportedException();

        public void Execute(QueryRequest request, IQueryOutput output, CancellationToken cancel) => throw new NotSupportedException();

        public void Dispose()
        {
        }
    }
}
