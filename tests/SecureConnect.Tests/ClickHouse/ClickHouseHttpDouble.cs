using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace SecureConnect.Tests.ClickHouse;

/// <summary>One HTTP request as the double received it.</summary>
internal sealed record DoubleRequest(string RequestLine, Dictionary<string, string> Headers, string Body, string? ServerName, bool Tls)
{
    /// <summary>A query-string value of the request line (unescaped), or null.</summary>
    public string? Parameter(string name)
    {
        string target = RequestLine.Split(' ')[1];
        int query = target.IndexOf('?');
        if (query < 0)
        {
            return null;
        }

        foreach (string pair in target[(query + 1)..].Split('&'))
        {
            string[] parts = pair.Split('=', 2);
            if (Uri.UnescapeDataString(parts[0]) == name)
            {
                return parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : string.Empty;
            }
        }

        return null;
    }
}

/// <summary>What the double does with a request: write a response to the connection's stream (or break it).</summary>
internal delegate Task DoubleResponder(DoubleRequest request, Stream connection, CancellationToken cancel);

/// <summary>
/// A TEST DOUBLE of ClickHouse's HTTP interface (ClickHouse cannot run inside xunit): a TcpListener on 127.0.0.1 that
/// speaks HTTPS with the given certificate, or plain HTTP (answering a TLS ClientHello with a plain 400, as
/// ClickHouse's HTTP port does). It records each request (request line, headers, body, the TLS server name it was
/// sent) and lets the test write the response, so that the client's side of the protocol is what is tested.
/// </summary>
internal sealed class ClickHouseHttpDouble : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly X509Certificate2? _certificate;
    private readonly DoubleResponder _respond;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<Task> _connections = new();

    private readonly bool _silentOnClientHello;

    /// <param name="silentOnClientHello">A plain double that, like ClickHouse 18.16 now and then, says nothing to a ClientHello (its parser waits for the end of a request line that never comes).</param>
    public ClickHouseHttpDouble(X509Certificate2? certificate, DoubleResponder respond, bool silentOnClientHello = false)
    {
        _certificate = certificate;
        _respond = respond;
        _silentOnClientHello = silentOnClientHello;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<DoubleRequest> Requests { get; } = new();

    /// <summary>Connections that began with a TLS ClientHello on a plain double.</summary>
    public int TlsAttemptsRefused;

    /// <summary>Plain GET /ping requests answered (not recorded in <see cref="Requests"/>).</summary>
    public int Probes;

    /// <summary>A 200 with a chunked TabSeparated body, properly ended.</summary>
    public static async Task Ok(Stream connection, string body, CancellationToken cancel, string? extraHeaders = null)
    {
        await Head(connection, "200 OK", extraHeaders, cancel);
        await Chunk(connection, body, cancel);
        await End(connection, cancel);
    }

    public static Task Head(Stream connection, string status, string? extraHeaders, CancellationToken cancel) =>
        Write(connection, $"HTTP/1.1 {status}\r\nContent-Type: text/tab-separated-values; charset=UTF-8\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n{extraHeaders}\r\n", cancel);

    public static Task Chunk(Stream connection, string text, CancellationToken cancel)
    {
        byte[] data = Encoding.UTF8.GetBytes(text);
        return data.Length == 0 ? Task.CompletedTask : Write(connection, $"{data.Length:x}\r\n{text}\r\n", cancel);
    }

    public static Task End(Stream connection, CancellationToken cancel) => Write(connection, "0\r\n\r\n", cancel);

    /// <summary>An error before any row: the status and ClickHouse's text.</summary>
    public static async Task Error(Stream connection, string status, string text, CancellationToken cancel)
    {
        await Write(connection, $"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: {Encoding.UTF8.GetByteCount(text)}\r\nConnection: close\r\n\r\n{text}", cancel);
    }

    public static async Task Write(Stream connection, string text, CancellationToken cancel)
    {
        await connection.WriteAsync(Encoding.UTF8.GetBytes(text), cancel);
        await connection.FlushAsync(cancel);
    }

    /// <summary>A CA and a server certificate (with its key) for <paramref name="dnsName"/>, signed by it.</summary>
    public static (X509Certificate2 Ca, X509Certificate2 Server) MakeServerChain(string caName, string dnsName)
    {
        using RSA caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest($"CN={caName}", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        X509Certificate2 ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        using RSA serverKey = RSA.Create(2048);
        var request = new CertificateRequest($"CN={dnsName}", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        using X509Certificate2 signed = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(10), RandomNumberGenerator.GetBytes(8));
        using X509Certificate2 withKey = signed.CopyWithPrivateKey(serverKey);
        return (ca, X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null));
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException or OperationCanceledException)
        {
        }

        Task[] connections;
        lock (_connections)
        {
            connections = _connections.ToArray();
        }

        await Task.WhenAny(Task.WhenAll(connections), Task.Delay(TimeSpan.FromSeconds(10)));
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
            lock (_connections)
            {
                _connections.Add(Task.Run(() => ServeAsync(client)));
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                string? serverName = null;
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stop.Token);
                    serverName = tls.TargetHostName;
                    stream = tls;
                }
                else
                {
                    var first = new byte[1];
                    if (await stream.ReadAsync(first, _stop.Token) == 0)
                    {
                        return;
                    }

                    if (first[0] == 0x16)
                    {
                        // A TLS handshake record on the plain port: ClickHouse answers it in plain HTTP, or says nothing.
                        Interlocked.Increment(ref TlsAttemptsRefused);
                        if (_silentOnClientHello)
                        {
                            var ignored = new byte[4096];
                            while (await stream.ReadAsync(ignored, _stop.Token) > 0)
                            {
                            }

                            return;
                        }

                        await Error(stream, "400 Bad Request", "Bad Request", _stop.Token);
                        return;
                    }

                    stream = new PrefixedStream(first[0], stream);
                }

                DoubleRequest request = await ReadRequestAsync(stream, serverName, _certificate is not null);
                if (request.RequestLine.StartsWith("GET /ping ", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref Probes);
                    await Ok(stream, "Ok.\n", _stop.Token);
                    return;
                }

                Requests.Enqueue(request);
                await _respond(request, stream, _stop.Token);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
            {
                // The client went away (an aborted response, a refused certificate): what the tests look at is recorded.
            }
        }
    }

    private static async Task<DoubleRequest> ReadRequestAsync(Stream stream, string? serverName, bool tls)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
        {
            if (await stream.ReadAsync(one) == 0)
            {
                throw new IOException("the client closed before its request ended");
            }

            head.Add(one[0]);
        }

        string[] lines = Encoding.UTF8.GetString(head.ToArray()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines[1..])
        {
            int colon = line.IndexOf(':');
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        byte[] body = new byte[headers.TryGetValue("Content-Length", out string? length) ? int.Parse(length) : 0];
        await stream.ReadExactlyAsync(body);
        return new DoubleRequest(lines[0], headers, Encoding.UTF8.GetString(body), serverName, tls);
    }

    /// <summary>The plain connection with the byte read to tell TLS from HTTP put back in front.</summary>
    private sealed class PrefixedStream : Stream
    {
        private readonly Stream _inner;
        private int _prefix;

        public PrefixedStream(byte prefix, Stream inner)
        {
            _prefix = prefix;
            _inner = inner;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => _inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_prefix >= 0 && count > 0)
            {
                buffer[offset] = (byte)_prefix;
                _prefix = -1;
                return 1;
            }

            return _inner.Read(buffer, offset, count);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_prefix >= 0 && buffer.Length > 0)
            {
                buffer.Span[0] = (byte)_prefix;
                _prefix = -1;
                return ValueTask.FromResult(1);
            }

            return _inner.ReadAsync(buffer, cancellationToken);
        }

        public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _inner.WriteAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
