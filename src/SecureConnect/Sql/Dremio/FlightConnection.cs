using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Apache.Arrow.Flight;
using Apache.Arrow.Flight.Client;
using Grpc.Core;
using Grpc.Net.Client;

namespace SecureConnect.Sql.Dremio;

/// <summary>
/// One gRPC channel to a Flight server, over one HTTP/2 connection whose socket goes to the route's end (a tunnel's
/// 127.0.0.1 port, or the host) while the address, the :authority, the TLS server name (SNI) and the name the observer
/// checks are the server's real name. TLS is the handler's own (ALPN h2) with the observer as its validation
/// callback; without TLS it is h2c with prior knowledge. It carries the login and the session headers on every call:
/// after a basic login, the bearer token the server returned, and the cookies it set.
/// </summary>
internal sealed class FlightConnection : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly DremioOptions _options;
    private readonly TimeSpan _connectTimeout;
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);
    private SslStream? _tls;
    private string? _authorization;

    private FlightConnection(GrpcChannel channel, DremioOptions options, TimeSpan connectTimeout, bool tls)
    {
        _channel = channel;
        _options = options;
        _connectTimeout = connectTimeout;
        Tls = tls;
        Client = new FlightClient(channel);
    }

    public FlightClient Client { get; }

    /// <summary>TLS was asked for (false after Preferred's fallback to h2c).</summary>
    public bool Tls { get; }

    /// <summary>A channel to <paramref name="hostName"/>:<paramref name="port"/> whose connections go to <paramref name="connectHost"/>:<paramref name="connectPort"/>.</summary>
    public static FlightConnection Create(string hostName, int port, string connectHost, int connectPort, bool tls, TlsObserver observer, DremioOptions options, TimeSpan connectTimeout)
    {
        FlightConnection? connection = null;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            EnableMultipleHttp2Connections = false,

            // A dead peer is noticed while a stream waits (a bastion that vanished keeps the socket open).
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            ConnectCallback = (context, cancel) => ConnectAsync(connectHost, connectPort, connectTimeout, cancel),
        };
        if (tls)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                // TargetHost is left to the handler: the address's host, the real name, also through a tunnel.
                RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                {
                    if (sender is SslStream stream && connection is not null)
                    {
                        Volatile.Write(ref connection._tls, stream);
                    }

                    return observer.Validate(sender, certificate, chain, errors);
                },
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                ApplicationProtocols = new List<SslApplicationProtocol> { SslApplicationProtocol.Http2 },
            };
        }

        Uri address = new UriBuilder(tls ? Uri.UriSchemeHttps : Uri.UriSchemeHttp, hostName, port).Uri;
        GrpcChannel channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,

            // Record batches can be large; Flight clients take them whole.
            MaxReceiveMessageSize = null,
        });
        connection = new FlightConnection(channel, options, connectTimeout, tls);
        return connection;
    }

    /// <summary>
    /// Connects and logs in with a Handshake call carrying the login in its headers (as Dremio's auth2 takes it):
    /// a basic login's reply carries "authorization: Bearer &lt;token&gt;" for the later calls; a token is sent as is.
    /// A server without Handshake (Unimplemented) is asked with the login on each call instead.
    /// </summary>
    public void Login(NetworkCredential? credential, CancellationToken cancel)
    {
        _authorization = credential is null
            ? null
            : _options.AuthMode == DremioAuthMode.Token
                ? "Bearer " + credential.Password
                : "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.UserName}:{credential.Password}"));
        using AsyncDuplexStreamingCall<FlightHandshakeRequest, FlightHandshakeResponse> call = Client.Handshake(Headers(), DateTime.UtcNow + _connectTimeout, cancel);
        try
        {
            LoginAsync(call, cancel).GetAwaiter().GetResult();
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unimplemented && e.Status.DebugException is null)
        {
        }
    }

    /// <summary>The headers of a call: the login, the session's cookies, the integration's session headers.</summary>
    public Metadata Headers()
    {
        var headers = new Metadata();
        if (_authorization is not null)
        {
            headers.Add("authorization", _authorization);
        }

        lock (_cookies)
        {
            if (_cookies.Count > 0)
            {
                headers.Add("cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
            }
        }

        foreach (KeyValuePair<string, string> header in _options.Headers)
        {
            headers.Add(header.Key, header.Value);
        }

        return headers;
    }

    /// <summary>Keeps the cookies a reply set (Dremio's session id), to send them back.</summary>
    public void Remember(Metadata headers)
    {
        foreach (Metadata.Entry entry in headers.Where(h => h.Key == "set-cookie"))
        {
            string pair = entry.Value.Split(';', 2)[0];
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                lock (_cookies)
                {
                    _cookies[pair[..equals].Trim()] = pair[(equals + 1)..].Trim();
                }
            }
        }
    }

    /// <summary>The TLS protocol and cipher this client negotiated (null without TLS).</summary>
    public (string? Protocol, string? Cipher) Negotiated()
    {
        SslStream? stream = Volatile.Read(ref _tls);
        if (stream is null)
        {
            return (null, null);
        }

        try
        {
            return (TlsNames.Protocol(stream.SslProtocol), stream.NegotiatedCipherSuite.ToString());
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            return (null, null);
        }
    }

    public void Dispose() => _channel.Dispose();

    private static async ValueTask<System.IO.Stream> ConnectAsync(string host, int port, TimeSpan timeout, CancellationToken cancel)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        bounded.CancelAfter(timeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, bounded.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancel.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"connecting to {host}:{port} took longer than {timeout.TotalSeconds:0} s", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new NetworkStream(socket, ownsSocket: true);
    }

    private async Task LoginAsync(AsyncDuplexStreamingCall<FlightHandshakeRequest, FlightHandshakeResponse> call, CancellationToken cancel)
    {
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        Metadata reply = await call.ResponseHeadersAsync.ConfigureAwait(false);
        while (await call.ResponseStream.MoveNext(cancel).ConfigureAwait(false))
        {
        }

        Remember(reply);
        if (reply.GetValue("authorization") is { } bearer && bearer.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            _authorization = bearer;
        }
    }
}
