using System;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SecureConnect.Sql;

/// <summary>
/// Validates the server certificate for an SSL mode, the same way for every driver, and remembers what it saw
/// (for Test-SecureConnection and for precise errors). Through a tunnel the driver connects to 127.0.0.1, so the
/// name is checked against the integration's real host name, never against the address the driver used.
/// </summary>
internal sealed class TlsObserver
{
    private readonly SslMode _mode;
    private readonly string _expectedHost;
    private static readonly Oid s_serverAuth = new("1.3.6.1.5.5.7.3.1", "Server Authentication");

    private readonly X509Certificate2Collection? _trusted;
    private readonly System.Collections.Generic.IReadOnlyList<Org.BouncyCastle.X509.X509Crl>? _revocationLists;

    public TlsObserver(SslMode mode, string expectedHost, X509Certificate2Collection? trusted, System.Collections.Generic.IReadOnlyList<Org.BouncyCastle.X509.X509Crl>? revocationLists = null)
    {
        _mode = mode;
        _expectedHost = expectedHost;
        _trusted = trusted is { Count: > 0 } ? trusted : null;
        _revocationLists = revocationLists is { Count: > 0 } ? revocationLists : null;
    }

    public TlsObserver(SslMode mode, string expectedHost, X509Certificate2? ca)
        : this(mode, expectedHost, ca is null ? null : new X509Certificate2Collection(ca))
    {
    }

    /// <summary>The driver negotiated TLS and showed us the certificate.</summary>
    public bool HandshakeSeen { get; private set; }

    public X509Certificate2? Certificate { get; private set; }

    public bool ChainValidated { get; private set; }

    public bool HostNameVerified { get; private set; }

    /// <summary>The server certificate was checked against the integration's uploaded revocation lists.</summary>
    public bool RevocationChecked { get; private set; }

    /// <summary>Why the certificate was refused (null when it was not).</summary>
    public string? Failure { get; private set; }

    /// <summary>The callback to hand to the driver.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        HandshakeSeen = true;
        if (certificate is null)
        {
            Failure = "the server presented no certificate";
            return _mode < SslMode.VerifyCA;
        }

        var cert = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        Certificate = cert;
        if (_mode < SslMode.VerifyCA)
        {
            return true;
        }

        using var ownChain = new X509Chain();
        ownChain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;

        // As libpq (OpenSSL's TLS server purpose): a certificate that names its uses must name serverAuth.
        ownChain.ChainPolicy.ApplicationPolicy.Add(s_serverAuth);
        if (chain is not null)
        {
            // Intermediates the server sent along.
            foreach (X509ChainElement element in chain.ChainElements)
            {
                ownChain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (_trusted is not null)
        {
            // Only the uploaded CAs (every certificate of the file) are trusted: the system store must not vouch for this server.
            ownChain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            ownChain.ChainPolicy.CustomTrustStore.AddRange(_trusted);
        }

        if (!ownChain.Build(cert))
        {
            string statuses = string.Join(", ", Array.ConvertAll(ownChain.ChainStatus, s => s.Status.ToString()));
            if (Array.Exists(ownChain.ChainStatus, s => s.Status == X509ChainStatusFlags.NotValidForUsage))
            {
                Failure = $"the certificate '{cert.Subject}' is not meant for TLS servers: its extended key usage does not include serverAuth ({statuses})";
                return false;
            }

            string trustedNames = _trusted is null ? string.Empty : string.Join("', '", System.Linq.Enumerable.Select(System.Linq.Enumerable.Cast<X509Certificate2>(_trusted), c => c.Subject));
            Failure = _trusted is not null
                ? $"the certificate '{cert.Subject}' (issued by '{cert.Issuer}') is not signed by the trusted CA '{trustedNames}' ({statuses})"
                : $"the certificate '{cert.Subject}' (issued by '{cert.Issuer}') is not trusted by the system store ({statuses})";
            return false;
        }

        if (_revocationLists is not null)
        {
            // Offline, from the uploaded lists only (as libpq's sslcrl): a current list from the issuer must clear it.
            X509Certificate2 issuer = ownChain.ChainElements.Count > 1 ? ownChain.ChainElements[1].Certificate : ownChain.ChainElements[0].Certificate;
            if (SecureConnect.Integrations.CertificateRevocationLists.Check(_revocationLists, cert, issuer) is { } refused)
            {
                Failure = refused;
                return false;
            }

            RevocationChecked = true;
        }

        ChainValidated = true;
        if (_mode == SslMode.VerifyCA)
        {
            return true;
        }

        if (!cert.MatchesHostname(_expectedHost, allowWildcards: true, allowCommonName: false))
        {
            string names = SubjectAlternativeNames(cert);
            Failure = $"the certificate '{cert.Subject}' does not hold the name '{_expectedHost}' (it names: {names})";
            return false;
        }

        HostNameVerified = true;
        return true;
    }

    private static string SubjectAlternativeNames(X509Certificate2 cert)
    {
        foreach (X509Extension extension in cert.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                var names = new System.Collections.Generic.List<string>();
                names.AddRange(san.EnumerateDnsNames());
                foreach (System.Net.IPAddress address in san.EnumerateIPAddresses())
                {
                    names.Add(address.ToString());
                }

                return names.Count == 0 ? "no names" : string.Join(", ", names);
            }
        }

        return "no subject alternative names";
    }
}
