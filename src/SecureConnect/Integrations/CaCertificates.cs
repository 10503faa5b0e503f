using System;
using System.IO;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SecureConnect.Common;
using SecureConnect.Workspace;

namespace SecureConnect.Integrations;

/// <summary>
/// CA certificates for strict SSL modes: validated on the way in (a PEM certificate, not a key, not expired) and
/// copied into the workspace's ca/ folder, so the integration keeps working when the original file moves.
/// </summary>
internal static class CaCertificates
{
    private const int MaxBytes = 1024 * 1024;

    /// <summary>Validates <paramref name="path"/> and returns its PEM text and certificate.</summary>
    public static (string Pem, X509Certificate2 Certificate) Validate(string path)
    {
        if (!File.Exists(path))
        {
            throw new SecureConnectException(ErrorIds.CaCertificateNotFound, ErrorKind.ObjectNotFound, $"The CA certificate file '{path}' does not exist.", path);
        }

        if (new FileInfo(path).Length > MaxBytes)
        {
            throw Invalid(path, "it is larger than 1 MiB");
        }

        string text = File.ReadAllText(path, Encoding.UTF8);
        if (text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw new SecureConnectException(
                ErrorIds.CaCertificateInvalid,
                ErrorKind.SecurityError,
                $"The file '{path}' holds a private key. A CA certificate file must hold only the certificate; never upload a private key. Consider that key exposed if this file was shared.",
                path);
        }

        if (!text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            throw Invalid(path, "it has no '-----BEGIN CERTIFICATE-----' block (a PEM certificate is expected; convert DER with 'openssl x509 -inform der -in ca.der -out ca.pem')");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(text);
        }
        catch (CryptographicException e)
        {
            throw Invalid(path, "the certificate cannot be read: " + e.Message);
        }

        DateTime now = DateTime.Now;
        if (certificate.NotAfter < now)
        {
            throw new SecureConnectException(
                ErrorIds.CaCertificateExpired,
                ErrorKind.InvalidData,
                $"The CA certificate '{certificate.Subject}' in '{path}' expired on {certificate.NotAfter:yyyy-MM-dd}. Get the current CA certificate from the database's administrator.",
                path);
        }

        if (certificate.NotBefore > now)
        {
            throw Invalid(path, $"the certificate '{certificate.Subject}' is not valid before {certificate.NotBefore:yyyy-MM-dd HH:mm}");
        }

        return (text, certificate);
    }

    /// <summary>Copies a validated CA into the workspace's ca/ folder; returns its file name there.</summary>
    public static string Store(WorkspaceStore store, string integrationName, string pem)
    {
        string fileName = integrationName + ".pem";
        string path = Path.Combine(store.Paths.CaDirectory, fileName);
        try
        {
            SecureFile.EnsureDirectory(store.Paths.CaDirectory);
            SecureFile.WriteAtomic(path, Encoding.UTF8.GetBytes(pem));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw store.NotWritable(path, "store the CA certificate", e);
        }

        return fileName;
    }

    public static X509Certificate2 Load(string path) => LoadAll(path)[0];

    /// <summary>
    /// Every certificate of a CA file: a provider's bundle (such as Amazon RDS's) holds many CAs, and the server's
    /// may be any of them. A missing or unreadable file is a clear error, never an empty trust list.
    /// </summary>
    public static X509Certificate2Collection LoadAll(string path)
    {
        if (!File.Exists(path))
        {
            throw new SecureConnectException(ErrorIds.CaCertificateNotFound, ErrorKind.ObjectNotFound, $"The CA certificate file '{path}' does not exist. Upload it again with Set-SecureIntegration -CaCertificatePath.", path);
        }

        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(File.ReadAllText(path, Encoding.UTF8));
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw Invalid(path, "it cannot be read: " + e.Message);
        }

        if (all.Count == 0)
        {
            throw Invalid(path, "it holds no certificate");
        }

        return all;
    }

    public static CaCertificateInfo Describe(string path)
    {
        using X509Certificate2 certificate = Load(path);
        return new CaCertificateInfo(certificate.Subject, certificate.Thumbprint, certificate.NotAfter, path);
    }

    private static SecureConnectException Invalid(string path, string why) => new(
        ErrorIds.CaCertificateInvalid,
        ErrorKind.InvalidData,
        $"The file '{path}' is not a usable CA certificate: {why}.",
        path);
}
