using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Security.Certificates;
using Org.BouncyCastle.X509;
using SecureConnect.Common;
using SecureConnect.Workspace;

namespace SecureConnect.Integrations;

/// <summary>
/// An integration's certificate revocation lists, as libpq's sslcrl: read from a file the user uploads (PEM or DER,
/// one or several lists), never fetched online (that would hang on a private network). With a CRL file, the server
/// certificate must be covered by a current list from its issuer, signed by that issuer, and not be on it.
/// </summary>
internal static class CertificateRevocationLists
{
    private const int MaxBytes = 16 * 1024 * 1024;

    /// <summary>Reads and checks an uploaded CRL file; returns its bytes to store.</summary>
    public static byte[] Validate(string path)
    {
        IReadOnlyList<X509Crl> lists = LoadAll(path);
        DateTime now = DateTime.UtcNow;
        if (lists.All(l => l.NextUpdate is { } next && next < now))
        {
            throw Invalid(path, $"every list in it is out of date (the newest was to be replaced on {lists.Max(l => l.NextUpdate!.Value):yyyy-MM-dd}); get the current CRL from the CA");
        }

        return File.ReadAllBytes(path);
    }

    /// <summary>Copies a validated CRL into the workspace's ca/ folder; returns its file name there.</summary>
    public static string Store(WorkspaceStore store, string integrationName, byte[] content)
    {
        string fileName = integrationName + ".crl";
        SecureFile.EnsureDirectory(store.Paths.CaDirectory);
        SecureFile.WriteAtomic(Path.Combine(store.Paths.CaDirectory, fileName), content);
        return fileName;
    }

    /// <summary>Every list of a CRL file; a missing, empty or unreadable file is a clear error.</summary>
    public static IReadOnlyList<X509Crl> LoadAll(string path)
    {
        if (!File.Exists(path))
        {
            throw new SecureConnectException(ErrorIds.CrlNotFound, ErrorKind.ObjectNotFound, $"The CRL file '{path}' does not exist.", path);
        }

        if (new FileInfo(path).Length > MaxBytes)
        {
            throw Invalid(path, "it is larger than 16 MiB");
        }

        List<X509Crl> lists;
        try
        {
            using FileStream stream = File.OpenRead(path);
            lists = new X509CrlParser().ReadCrls(stream).ToList();
        }
        catch (Exception e) when (e is CrlException or IOException or ArgumentException or InvalidOperationException or Org.BouncyCastle.Security.SecurityUtilityException)
        {
            throw Invalid(path, "it cannot be read as a certificate revocation list: " + e.Message);
        }

        return lists.Count > 0 ? lists : throw Invalid(path, "it holds no certificate revocation list (PEM '-----BEGIN X509 CRL-----' or DER is expected)");
    }

    /// <summary>
    /// Null when <paramref name="certificate"/> passes: a list from its issuer is there, signed by
    /// <paramref name="issuer"/>, current, and does not name it. Otherwise why it does not.
    /// </summary>
    public static string? Check(IReadOnlyList<X509Crl> lists, X509Certificate2 certificate, X509Certificate2 issuer)
    {
        var parser = new X509CertificateParser();
        Org.BouncyCastle.X509.X509Certificate leaf = parser.ReadCertificate(certificate.RawData);
        Org.BouncyCastle.X509.X509Certificate signer = parser.ReadCertificate(issuer.RawData);
        List<X509Crl> fromIssuer = lists.Where(l => l.IssuerDN.Equivalent(leaf.IssuerDN)).ToList();
        if (fromIssuer.Count == 0)
        {
            return $"the uploaded CRL file holds no revocation list from the certificate's issuer '{certificate.Issuer}', so its revocation cannot be checked";
        }

        DateTime now = DateTime.UtcNow;
        foreach (X509Crl list in fromIssuer)
        {
            try
            {
                list.Verify(signer.GetPublicKey());
            }
            catch (Exception e) when (e is CrlException or Org.BouncyCastle.Security.InvalidKeyException or Org.BouncyCastle.Security.SignatureException or Org.BouncyCastle.Crypto.InvalidCipherTextException or ArgumentException)
            {
                return $"the revocation list from '{certificate.Issuer}' is not signed by that CA ({e.Message})";
            }

            if (list.NextUpdate is { } next && next < now)
            {
                return $"the revocation list from '{certificate.Issuer}' is out of date (it was to be replaced on {next:yyyy-MM-dd HH:mm} UTC); upload the current one with Set-SecureIntegration -CrlPath";
            }

            if (list.GetRevokedCertificate(leaf.SerialNumber) is { } entry)
            {
                return $"the certificate '{certificate.Subject}' (serial {certificate.SerialNumber}) was revoked on {entry.RevocationDate:yyyy-MM-dd HH:mm} UTC by its CA";
            }
        }

        return null;
    }

    private static SecureConnectException Invalid(string path, string why) => new(
        ErrorIds.CrlInvalid,
        ErrorKind.InvalidData,
        $"The file '{path}' is not a usable certificate revocation list: {why}.",
        path);
}
