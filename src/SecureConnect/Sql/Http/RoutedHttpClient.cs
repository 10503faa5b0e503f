using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace SecureConnect.Sql.Http;

/// <summary>Where the requests of an HTTP engine go: the socket's end, whether TLS runs on it, and the server's own port.</summary>
/// <param name="ConnectHost">Where the socket goes (a tunnel's 127.0.0.1, or the host).</param>
/// <param name="ConnectPort">The socket's port.</param>
/// <param name="Tls">HTTPS (TLS on the socket) or plain HTTP.</param>
/// <param name="ServerPort">The server's port, as the Host header names it.</param>
/// <param name="Via">How the socket reaches the server (Direct, or the tunnel).</param>
/// <param name="ProbeFirst">The port may serve plain HTTP (a port given with -Port serves both): ask it in plain HTTP first.</param>
internal sealed record HttpRoute(string ConnectHost, int ConnectPort, bool Tls, int ServerPort, string Via, bool ProbeFirst = false);

/// <summary>The port answered, but not with TLS: a plain HTTP reply to the ClientHello, or a close before any byte.</summary>
internal sealed class TlsNotSpokenException : IOException
{
    public TlsNotSpokenException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>
/// An HttpClient bound to one route of one server, shared by the engines spoken over HTTP (ClickHouse, Trino). The
/// connect callback opens every socket to the route's end (a tunnel's local port), whatever host a URI names, and runs
/// TLS itself with the integration's real host name as the TLS target (SNI) and the observer as the only certificate
/// validator, so that it sees the negotiated protocol and cipher and can tell a port that does not speak TLS from a
/// broken one. Because TLS is already on the stream it returns, request URIs are http:// with the real host name and
/// the server's port (<see cref="BaseUri"/>): the Host header names the server, and HttpClient adds no second TLS layer.
/// </summary>
internal sealed class RoutedHttpClient : IDisposable
{
    private readonly string _hostName;
    private readonly TlsObserver _observer;
    private readonly TimeSpan _connectTimeout;
    private readonly string _probePath;
    private int _probed;

    /// <param name="hostName">The server's real name: SNI, the Host header, the name the certificate must hold.</param>
    /// <param name="route">Where the sockets go, and whether TLS runs on them.</param>
    /// <param name="observer">The only certificate validator.</param>
    /// <param name="connectTimeout">How long a connection (and the probe) may take.</param>
    /// <param name="probePath">The path a plain GET without credentials asks before TLS when <see cref="HttpRoute.ProbeFirst"/> (ClickHouse's /ping, Trino's /v1/info).</param>
    public RoutedHttpClient(string hostName, HttpRoute route, TlsObserver observer, TimeSpan connectTimeout, string probePath)
    {
        _hostName = hostName;
        _observer = observer;
        _connectTimeout = connectTimeout;
        _probePath = probePath;
        Route = route;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2),
            RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8,
            ConnectCallback = (_, cancel) => ConnectAsync(cancel),
        };
        Client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        BaseUri = new UriBuilder(Uri.UriSchemeHttp, hostName, route.ServerPort, "/").Uri;
    }

    public HttpRoute Route { get; }

    public HttpClient Client { get; }

    /// <summary>http://real-host:server-port/ (TLS, when the route has it, is below HttpClient).</summary>
    public Uri BaseUri { get; }

    /// <summary>The TLS protocol of the last handshake (null on plain HTTP).</summary>
    public SslProtocols? TlsProtocol { get; private set; }

    /// <summary>The cipher suite of the last handshake.</summary>
    public TlsCipherSuite? CipherSuite { get; private set; }

    public void Dispose() => Client.Dispose();

    private async ValueTask<Stream> ConnectAsync(CancellationToken cancel)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(Route.ConnectHost, Route.ConnectPort, cancel).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var network = new NetworkStream(socket, ownsSocket: true);
        if (!Route.Tls)
        {
            return network;
        }

        if (Route.ProbeFirst && Interlocked.Exchange(ref _probed, 1) == 0)
        {
            try
            {
                await ProbeAsync(cancel).ConfigureAwait(false);
            }
            catch
            {
                await network.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        var sniffer = new FirstBytesStream(network);
        var tls = new SslStream(sniffer, leaveInnerStreamOpen: false);
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    // The real name even through a tunnel: SNI, and the name the observer checks.
                    TargetHost = _hostName,
                    RemoteCertificateValidationCallback = _observer.Validate,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                },
                cancel).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            if (sniffer.StartsWith("HTTP/"))
            {
                throw new TlsNotSpokenException($"the port answered the TLS handshake in plain HTTP ('{sniffer.FirstLine()}')", e);
            }

            if (sniffer.BytesRead == 0 && e is IOException && _observer.Failure is null)
            {
                throw new TlsNotSpokenException("the port closed the connection without answering the TLS handshake", e);
            }

            throw;
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        TlsProtocol = tls.SslProtocol;
        CipherSuite = tls.NegotiatedCipherSuite;
        return tls;
    }

    /// <summary>
    /// Asks a port that may serve plain HTTP, in plain HTTP and without credentials (a GET of the probe path, whose only
    /// content is the Host header that SNI would show anyway), before TLS is tried on it. A plain HTTP server answers at
    /// once, where a ClientHello can leave it waiting for the end of a request line that never comes (ClickHouse 18.16's
    /// parser does, depending on the random bytes of the hello), so the TLS attempt would end only at the connect
    /// timeout. A TLS server refuses the probe (it closes, or sends an alert), and TLS follows as usual. A probe that
    /// gets no answer decides nothing: TLS then decides.
    /// </summary>
    private async Task ProbeAsync(CancellationToken cancel)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(_connectTimeout);
        var head = new byte[5];
        int got = 0;
        try
        {
            await socket.ConnectAsync(Route.ConnectHost, Route.ConnectPort, deadline.Token).ConfigureAwait(false);
            byte[] probe = Encoding.ASCII.GetBytes($"GET {_probePath} HTTP/1.0\r\nHost: {_hostName}:{Route.ServerPort}\r\n\r\n");
            await socket.SendAsync(probe, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            while (got < head.Length)
            {
                int read = await socket.ReceiveAsync(head.AsMemory(got), SocketFlags.None, deadline.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                got += read;
            }
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            return;
        }
        catch (SocketException)
        {
            // The TLS attempt reports a connection that fails.
            return;
        }

        if (got == head.Length && Encoding.ASCII.GetString(head) == "HTTP/")
        {
            throw new TlsNotSpokenException("the port speaks plain HTTP (a plain request without credentials was answered in HTTP)");
        }
    }
}
