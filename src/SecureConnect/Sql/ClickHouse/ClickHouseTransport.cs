using System;
using System.Collections.Generic;
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

namespace SecureConnect.Sql.ClickHouse;

/// <summary>Where a ClickHouse request goes: the socket's end, whether TLS runs on it, and the server's own port.</summary>
/// <param name="ConnectHost">Where the socket goes (a tunnel's 127.0.0.1, or the host).</param>
/// <param name="ConnectPort">The socket's port.</param>
/// <param name="Tls">HTTPS (TLS on the socket) or plain HTTP.</param>
/// <param name="ServerPort">The server's port, as the Host header names it.</param>
/// <param name="Via">How the socket reaches the server (Direct, or the tunnel).</param>
/// <param name="ProbeFirst">The port may serve plain HTTP (a port given with -Port serves both): ask it in plain HTTP first.</param>
internal sealed record ClickHouseRoute(string ConnectHost, int ConnectPort, bool Tls, int ServerPort, string Via, bool ProbeFirst = false);

/// <summary>The port answered, but not with TLS: a plain HTTP reply to the ClientHello, or a close before any byte.</summary>
internal sealed class TlsNotSpokenException : IOException
{
    public TlsNotSpokenException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>
/// HTTP(S) to one ClickHouse server. The connect callback opens the socket to the route's end (a tunnel's local port)
/// and runs TLS itself, with the integration's real host name as the TLS target (SNI) and the observer as the only
/// certificate validator, so that it sees the negotiated protocol and cipher and can tell a port that does not speak
/// TLS from a broken one. Because TLS is already on the stream it returns, the request URI is http:// with the real
/// host name: the Host header names the server, and HttpClient adds no second TLS layer. Credentials go in headers,
/// never in the URI.
/// </summary>
internal sealed class ClickHouseTransport : IDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _base;
    private readonly NetworkCredential? _credential;
    private readonly TimeSpan _connectTimeout;
    private int _probed;

    public ClickHouseTransport(string hostName, ClickHouseRoute route, NetworkCredential? credential, TlsObserver observer, TimeSpan connectTimeout)
    {
        Route = route;
        _credential = credential;
        _connectTimeout = connectTimeout;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2),
            RequestHeaderEncodingSelector = (_, _) => Encoding.UTF8,
            ConnectCallback = (context, cancel) => ConnectAsync(hostName, route, observer, cancel),
        };
        _client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _base = new UriBuilder(Uri.UriSchemeHttp, hostName, route.ServerPort, "/").Uri;
    }

    public ClickHouseRoute Route { get; }

    /// <summary>The TLS protocol of the last handshake (null on plain HTTP).</summary>
    public SslProtocols? TlsProtocol { get; private set; }

    /// <summary>The cipher suite of the last handshake.</summary>
    public TlsCipherSuite? CipherSuite { get; private set; }

    /// <summary>Sends <paramref name="query"/> in the POST body; the response is returned once its headers arrived.</summary>
    public HttpResponseMessage Send(string query, IReadOnlyList<KeyValuePair<string, string>> parameters, CancellationToken cancel)
    {
        var uri = new StringBuilder(_base.AbsoluteUri).Append('?');
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

        return _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel).GetAwaiter().GetResult();
    }

    private async ValueTask<Stream> ConnectAsync(string hostName, ClickHouseRoute route, TlsObserver observer, CancellationToken cancel)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(route.ConnectHost, route.ConnectPort, cancel).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var network = new NetworkStream(socket, ownsSocket: true);
        if (!route.Tls)
        {
            return network;
        }

        if (route.ProbeFirst && Interlocked.Exchange(ref _probed, 1) == 0)
        {
            try
            {
                await ProbeAsync(hostName, route, _connectTimeout, cancel).ConfigureAwait(false);
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
                    TargetHost = hostName,
                    RemoteCertificateValidationCallback = observer.Validate,
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

            if (sniffer.BytesRead == 0 && e is IOException && observer.Failure is null)
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

    public void Dispose() => _client.Dispose();

    /// <summary>
    /// Asks a port that may serve plain HTTP, in plain HTTP and without credentials (GET /ping, whose only content is
    /// the Host header that SNI would show anyway), before TLS is tried on it. A plain HTTP server answers at once,
    /// where a ClientHello can leave it waiting for the end of a request line that never comes (ClickHouse 18.16's
    /// parser does, depending on the random bytes of the hello), so the TLS attempt would end only at the connect
    /// timeout. A TLS server refuses the probe (it closes, or sends an alert), and TLS follows as usual. A probe that
    /// gets no answer decides nothing: TLS then decides.
    /// </summary>
    private static async Task ProbeAsync(string hostName, ClickHouseRoute route, TimeSpan timeout, CancellationToken cancel)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        deadline.CancelAfter(timeout);
        var head = new byte[5];
        int got = 0;
        try
        {
            await socket.ConnectAsync(route.ConnectHost, route.ConnectPort, deadline.Token).ConfigureAwait(false);
            byte[] probe = Encoding.ASCII.GetBytes($"GET /ping HTTP/1.0\r\nHost: {hostName}:{route.ServerPort}\r\n\r\n");
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

    /// <summary>Remembers the first bytes the server sent, to tell a plain HTTP reply to the ClientHello from a broken TLS.</summary>
    private sealed class FirstBytesStream : Stream
    {
        private readonly Stream _inner;
        private readonly byte[] _first = new byte[64];
        private int _firstCount;

        public FirstBytesStream(Stream inner)
        {
            _inner = inner;
        }

        public long BytesRead { get; private set; }

        public bool StartsWith(string prefix) =>
            _firstCount >= prefix.Length && Encoding.ASCII.GetString(_first, 0, prefix.Length) == prefix;

        public string FirstLine()
        {
            string text = Encoding.ASCII.GetString(_first, 0, _firstCount);
            int end = text.IndexOfAny(new[] { '\r', '\n' });
            return end < 0 ? text : text[..end];
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => _inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => Remember(buffer.AsSpan(offset, _inner.Read(buffer, offset, count)));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int read = await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return Remember(buffer.Span[..read]);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }

        public override async ValueTask DisposeAsync()
        {
            await _inner.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }

        private int Remember(ReadOnlySpan<byte> read)
        {
            int keep = Math.Min(read.Length, _first.Length - _firstCount);
            read[..keep].CopyTo(_first.AsSpan(_firstCount));
            _firstCount += keep;
            BytesRead += read.Length;
            return read.Length;
        }
    }
}
