using System;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X9;
using Org.BouncyCastle.Crypto.Parameters;

namespace SecureConnect.Ssh.Keys;

/// <summary>The NIST curves OpenSSH names in ECDSA keys (RFC 5656), with their BouncyCastle parameters.</summary>
internal sealed class SshEcdsaCurve
{
    /// <summary>P-256, the curve new ECDSA keys are generated on.</summary>
    public static readonly SshEcdsaCurve NistP256 = new("nistp256", SecObjectIdentifiers.SecP256r1, 256);

    /// <summary>P-384.</summary>
    public static readonly SshEcdsaCurve NistP384 = new("nistp384", SecObjectIdentifiers.SecP384r1, 384);

    /// <summary>P-521.</summary>
    public static readonly SshEcdsaCurve NistP521 = new("nistp521", SecObjectIdentifiers.SecP521r1, 521);

    private static readonly SshEcdsaCurve[] s_all = { NistP256, NistP384, NistP521 };

    private SshEcdsaCurve(string name, DerObjectIdentifier oid, int bits)
    {
        Name = name;
        Oid = oid;
        Bits = bits;
        Parameters = ECNamedCurveTable.GetByOid(oid)
            ?? throw new InvalidOperationException("BouncyCastle does not know the curve " + name + ".");
        Domain = new ECNamedDomainParameters(oid, Parameters);
    }

    /// <summary>The SSH curve identifier, e.g. <c>nistp256</c>.</summary>
    public string Name { get; }

    /// <summary>The SSH key type, e.g. <c>ecdsa-sha2-nistp256</c>.</summary>
    public string KeyType => "ecdsa-sha2-" + Name;

    /// <summary>The curve's ASN.1 object identifier.</summary>
    public DerObjectIdentifier Oid { get; }

    /// <summary>The key size ssh-keygen reports for the curve.</summary>
    public int Bits { get; }

    /// <summary>The curve parameters.</summary>
    public X9ECParameters Parameters { get; }

    /// <summary>The curve as named domain parameters, for building keys.</summary>
    public ECNamedDomainParameters Domain { get; }

    /// <summary>Finds the curve by its SSH identifier; null for curves OpenSSH does not define.</summary>
    public static SshEcdsaCurve? FromName(string name)
    {
        foreach (SshEcdsaCurve curve in s_all)
        {
            if (string.Equals(curve.Name, name, StringComparison.Ordinal))
            {
                return curve;
            }
        }

        return null;
    }

    /// <summary>Finds the curve of a key's domain parameters; null when it is not one of the NIST curves.</summary>
    public static SshEcdsaCurve? FromDomain(ECDomainParameters domain)
    {
        foreach (SshEcdsaCurve curve in s_all)
        {
            if (domain is ECNamedDomainParameters named && curve.Oid.Equals(named.Name))
            {
                return curve;
            }

            // PEM and PKCS#8 files may spell the curve out as explicit parameters instead of naming it.
            if (curve.Parameters.N.Equals(domain.N)
                && curve.Parameters.Curve.Equals(domain.Curve)
                && curve.Parameters.G.Equals(domain.G))
            {
                return curve;
            }
        }

        return null;
    }
}
