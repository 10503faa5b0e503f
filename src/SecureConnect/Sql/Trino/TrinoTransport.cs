using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using System.Threading;
using SecureConnect.Sql.Http;

namespace SecureConnect.Sql.Trino;

/// <summary>An answer other than 200 (after the retries of 502, 503 and 504), with the start of its body.</summary>
internal sealed class TrinoHttpException : Exception
{
    public TrinoHttpException(HttpStatusCode status, string message)
        : base(message)
    {
        Status = status;
    }

    public HttpStatusCode Status { get; }
}

/// <summary>The server's answer broke the protocol, or pointed outside the integration (a nextUri to another host).</summary>
internal sealed class TrinoProtocolException : Exception
{
    public TrinoProtocolException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>
/// HTTP(S) to one Trino coordinator over a <see cref="RoutedHttpClient"/>: the socket to the route's end, TLS with the
/// real host name. Every URI it requests is on the integration's own host and port: a nextUri that names another one
/// is refused (<see cref="Follow"/>), never followed, so nothing leaves the tunnel. The login is X-Trino-User, and
/// a password goes only over TLS as HTTP Basic (as Trino itself accepts it only over HTTPS). 502, 503 and 504 are
/// retried with a short backoff (the protocol's advice: gateways answer them), a bounded number of times.
/// </summary>
internal sealed class TrinoTransport : IDisposable
{
    /// <summary>How often a 502, 503 or 504 is retried, and the first pause (doubled each time, at most 1 s).</summary>
    public const int Retries = 8;

    private static readonly TimeSpan s_firstPause = TimeSpan.FromMilliseconds(50);

    private readonly RoutedHttpClient _http;
    private readonly string _user;
    private readonly AuthenticationHeaderValue? _basic;

    public TrinoTransport(string hostName, HttpRoute route, NetworkCredential? credential, TlsObserver observer, TimeSpan connectTimeout)
    {
        if (!string.IsNullOrEmpty(credential?.Password) && !route.Tls)
        {
            // The engine refuses this before it gets here; a transport never sends a password in plaintext.
            throw new InvalidOperationException("A Trino password is sent only over TLS.");
        }

        _http = new RoutedHttpClient(hostName, route, observer, connectTimeout, "/v1/info");
        _user = string.IsNullOrEmpty(credential?.UserName) ? Environment.UserName : credential.UserName;
        _basic = string.IsNullOrEmpty(credential?.Password)
            ? null
            : new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(_user + ":" + credential.Password)));
    }

    public HttpRoute Route => _http.Route;

    public SslProtocols? TlsProtocol => _http.TlsProtocol;

    public TlsCipherSuite? CipherSuite => _http.CipherSuite;

    /// <summary>The user sent as X-Trino-User (the credential's, or this machine's user name).</summary>
    public string User => _user;

    /// <summary>The statement endpoint, on the integration's own name and port.</summary>
    public Uri StatementUri => new(_http.BaseUri, "/v1/statement");

    public Uri InfoUri => new(_http.BaseUri, "/v1/info");

    /// <summary>
    /// The URI to request for a nextUri the server sent: only on the integration's host and port (the coordinator
    /// builds it from the Host header, so it names them), requested as http:// with TLS below HttpClient as for every
    /// request; another host or port is a <see cref="TrinoProtocolException"/>.
    /// </summary>
    public Uri Follow(string nextUri)
    {
        if (!Uri.TryCreate(nextUri, UriKind.Absolute, out Uri? next) || (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps))
        {
            throw new TrinoProtocolException($"the server sent a nextUri that is not an http(s) URL ('{Shorten(nextUri)}')");
        }

        string nextHost;
        try
        {
            nextHost = next.IdnHost;
        }
        catch (UriFormatException e)
        {
            // Uri checks an international host name only when asked for its IDN form.
            throw new TrinoProtocolException($"the server sent a nextUri whose host is not a valid name ('{Shorten(nextUri)}')", e);
        }

        if (!string.Equals(nextHost, _http.BaseUri.IdnHost, StringComparison.OrdinalIgnoreCase) || next.Port != Route.ServerPort)
        {
            throw new TrinoProtocolException(
                $"the server sent a nextUri on {next.Host}:{next.Port}, not on the integration's {_http.BaseUri.Host}:{Route.ServerPort}; SecureConnect follows result pages only on the coordinator it connected to (through its route), so it was not followed. " +
                "A coordinator behind a proxy must build its URIs from the Host header it is sent (Trino does unless http-server.process-forwarded or a fixed external address says otherwise)");
        }

        return new Uri(_http.BaseUri, next.PathAndQuery);
    }

    /// <summary>Sends a request (with the login and <paramref name="headers"/>), retrying 502/503/504; returns a 200 response, throws <see cref="TrinoHttpException"/> otherwise.</summary>
    public HttpResponseMessage Send(HttpMethod method, Uri uri, string? body, IEnumerable<KeyValuePair<string, string>>? headers, CancellationToken cancel)
    {
        TimeSpan pause = s_firstPause;
        for (int attempt = 0; ; attempt++)
        {
            using HttpRequestMessage request = Request(method, uri, body, headers);
            HttpResponseMessage response = _http.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).GetAwaiter().GetResult();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return response;
            }

            if ((response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout) && attempt < Retries)
            {
                response.Dispose();
                Thread.Sleep(pause);
                cancel.ThrowIfCancellationRequested();
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.TicksPerSecond));
                continue;
            }

            using (response)
            {
                throw new TrinoHttpException(response.StatusCode, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}{Body(response, cancel)}" + (attempt > 0 ? $" (after {attempt} retries)" : string.Empty));
            }
        }
    }

    /// <summary>Cancels a query at its nextUri (DELETE), best effort, within a few seconds.</summary>
    public void Delete(Uri next)
    {
        try
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            using HttpRequestMessage request = Request(HttpMethod.Delete, next, null, null);
            using HttpResponseMessage _ = _http.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, wait.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // A coordinator already gone, or a connection that broke: the query ends on its own when no client asks.
        }
    }

    public void Dispose() => _http.Dispose();

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "...";

    private static string Body(HttpResponseMessage response, CancellationToken cancel)
    {
        try
        {
            using Stream body = response.Content.ReadAsStream(cancel);
            var buffer = new byte[4096];
            int total = 0;
            int read;
            while (total < buffer.Length && (read = body.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += read;
            }

            string text = Encoding.UTF8.GetString(buffer, 0, total).Trim();
            return text.Length == 0 ? string.Empty : ": " + text;
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return string.Empty;
        }
    }

    private HttpRequestMessage Request(HttpMethod method, Uri uri, string? body, IEnumerable<KeyValuePair<string, string>>? headers)
    {
        var request = new HttpRequestMessage(method, uri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (body is not null)
        {
            request.Content = new StringContent(body, new UTF8Encoding(false), "text/plain");
        }

        request.Headers.Add("X-Trino-User", _user);
        request.Headers.UserAgent.ParseAdd("SecureConnect");
        if (_basic is not null)
        {
            request.Headers.Authorization = _basic;
        }

        if (headers is not null)
        {
            foreach (KeyValuePair<string, string> header in headers)
            {
                request.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        return request;
    }
}
