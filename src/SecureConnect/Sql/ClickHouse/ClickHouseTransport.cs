using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using System.Threading;
using SecureConnect.Sql.Http;

namespace SecureConnect.Sql.ClickHouse;

/// <summary>
/// HTTP(S) to one ClickHouse server over a <see cref="RoutedHttpClient"/> (the socket to the route's end, TLS with the
/// real host name, a plain GET /ping first on a port that may serve both). Credentials go in headers, never in the URI.
/// </summary>
internal sealed class ClickHouseTransport : IDisposable
{
    private readonly RoutedHttpClient _http;
    private readonly NetworkCredential? _credential;

    public ClickHouseTransport(string hostName, HttpRoute route, NetworkCredential? credential, TlsObserver observer, TimeSpan connectTimeout)
    {
        _credential = credential;
        _http = new RoutedHttpClient(hostName, route, observer, connectTimeout, "/ping");
    }

    public HttpRoute Route => _http.Route;

    /// <summary>The TLS protocol of the last handshake (null on plain HTTP).</summary>
    public SslProtocols? TlsProtocol => _http.TlsProtocol;

    /// <summary>The cipher suite of the last handshake.</summary>
    public TlsCipherSuite? CipherSuite => _http.CipherSuite;

    /// <summary>Sends <paramref name="query"/> in the POST body; the response is returned once its headers arrived.</summary>
    public HttpResponseMessage Send(string query, IReadOnlyList<KeyValuePair<string, string>> parameters, CancellationToken cancel)
    {
        var uri = new StringBuilder(_http.BaseUri.AbsoluteUri).Append('?');
        for (int i = 0; i < parameters.Count; i++)
        {
            if (i > 0)
            {
                uri.Append('&');
            }

            uri.Append(Uri.EscapeDataString(parameters[i].Key)).Append('=').Append(Uri.EscapeDataString(parameters[i].Value));
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(uri.ToString()))
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent(query, new UTF8Encoding(false), "text/plain"),
        };
        if (_credential is not null)
        {
            request.Headers.Add("X-ClickHouse-User", _credential.UserName);
            request.Headers.Add("X-ClickHouse-Key", _credential.Password);
        }

        return _http.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).GetAwaiter().GetResult();
    }

    public void Dispose() => _http.Dispose();
}
