using System.Security.Authentication;

namespace SecureConnect.Sql;

/// <summary>TLS protocol names as OpenSSL and the servers write them.</summary>
internal static class TlsNames
{
    public static string? Protocol(SslProtocols protocol) => protocol switch
    {
        SslProtocols.None => null,
#pragma warning disable SYSLIB0039 // names of old protocols, only to report them
        SslProtocols.Tls => "TLSv1",
        SslProtocols.Tls11 => "TLSv1.1",
#pragma warning restore SYSLIB0039
        SslProtocols.Tls12 => "TLSv1.2",
        SslProtocols.Tls13 => "TLSv1.3",
        _ => protocol.ToString(),
    };
}
