using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace SecureConnect.Tests.TrinoDouble;

/// <summary>One HTTP/1.1 request as the double read it.</summary>
/// <param name="Method">GET, POST, DELETE.</param>
/// <param name="Target">The request target (path and query).</param>
/// <param name="Headers">Headers, names case-insensitive (a repeated header keeps its last value).</param>
/// <param name="Body">The body (Content-Length only; Trino's clients send no chunked bodies).</param>
/// <param name="Tls">Whether the connection runs TLS.</param>
/// <param name="ServerName">The TLS server name (SNI) the client sent, or null.</param>
/// <param name="RemoteAddress">The client's address as the double sees it.</param>
internal sealed record HttpRequest(string Method, string Target, Dictionary<string, string> Headers, string Body, bool Tls, string? ServerName, string RemoteAddress)
{
    public string? Header(string name) => Headers.TryGetValue(name, out string? value) ? value : null;

    /// <summary>The URL the client addressed, as Trino builds its nextUri: the scheme of the connection and the Host header.</summary>
    public string BaseUrl => (Tls ? "https://" : "http://") + (Header("Host") ?? "localhost");
}

/// <summary>What the double answers: a status, headers, a body; or a body cut short after some bytes (a broken connection).</summary>
internal sealed record HttpResponse(int Status, string Reason, string ContentType, byte[] Body, int? CutAfter = null, IReadOnlyList<KeyValuePair<string, string>>? Headers = null)
{
    public static HttpResponse Json(int status, string reason, string json) => new(status, reason, "application/json", Encoding.UTF8.GetBytes(json));

    public static HttpResponse Text(int status, string reason, string text) => new(status, reason, "text/plain; charset=utf-8", Encoding.UTF8.GetBytes(text));
}

/// <summary>
/// The double's HTTP/1.1 server: a TcpListener, TLS with the given certificate (or plain HTTP, answering a TLS
/// ClientHello with a plain 400 as Trino's HTTP port does), keep-alive connections, one request at a time each.
/// </summary>
internal sealed class CoordinatorServer
{
    private readonly SslStreamCertificateContext? _certificate;
    private readonly Func<HttpRequest, HttpResponse> _handle;

    public CoordinatorServer(SslStreamCertificateContext? certificate, Func<HttpRequest, HttpResponse> handle)
    {
        _certificate = certificate;
        _handle = handle;
    }

    public async Task RunAsync(TcpListener listener, CancellationToken stop)
    {
        var connections = new List<Task>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client = await listener.AcceptTcpClientAsync(stop).ConfigureAwait(false);
                lock (connections)
                {
                    connections.RemoveAll(t => t.IsCompleted);
                    connections.Add(Task.Run(() => ServeAsync(client, stop)));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        Task[] pending;
        lock (connections)
        {
            pending = connections.ToArray();
        }

        await Task.WhenAny(Task.WhenAll(pending), Task.Delay(2000)).ConfigureAwait(false);
    }

    private async Task ServeAsync(TcpClient client, CancellationToken stop)
    {
        using (client)
        {
            client.NoDelay = true;
            string remote = ((IPEndPoint)client.Client.RemoteEndPoint!).Address.ToString();
            Stream stream = client.GetStream();
            string? serverName = null;
            try
            {
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificateContext = _certificate }, stop).ConfigureAwait(false);
                    serverName = string.IsNullOrEmpty(tls.TargetHostName) ? null : tls.TargetHostName;
                    stream = tls;
                }
                else
                {
                    var first = new byte[1];
                    if (await stream.ReadAsync(first, stop).ConfigureAwait(false) == 0)
                    {
                        return;
                    }

                    if (first[0] == 0x16)
                    {
                        // A TLS ClientHello on the plain port: Trino's HTTP server answers it as a bad request.
                        byte[] refusal = Encoding.ASCII.GetBytes("HTTP/1.1 400 Illegal character\r\nContent-Type: text/html\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                        await stream.WriteAsync(refusal, stop).ConfigureAwait(false);
                        return;
                    }

                    stream = new PrefixedStream(first[0], stream);
                }

                var reader = new RequestReader(stream);
                while (!stop.IsCancellationRequested)
                {
                    HttpRequest? request = await reader.ReadAsync(_certificate is not null, serverName, remote, stop).ConfigureAwait(false);
                    if (request is null)
                    {
                        return;
                    }

                    HttpResponse response = _handle(request);
                    if (!await WriteAsync(stream, response, stop).ConfigureAwait(false))
                    {
                        return;
                    }
                }
            }
            catch (Exception e) when (e is IOException or AuthenticationException or OperationCanceledException or SocketException or InvalidDataException or ObjectDisposedException)
            {
                // The client went away, or spoke something else (a plain request on the TLS port).
            }
        }
    }

    /// <summary>Writes the response; false when the connection was cut on purpose.</summary>
    private static async Task<bool> WriteAsync(Stream stream, HttpResponse response, CancellationToken stop)
    {
        var head = new StringBuilder();
        head.Append("HTTP/1.1 ").Append(response.Status).Append(' ').Append(response.Reason).Append("\r\n");
        head.Append("Content-Type: ").Append(response.ContentType).Append("\r\n");
        head.Append("Content-Length: ").Append(response.Body.Length).Append("\r\n");
        foreach (KeyValuePair<string, string> header in response.Headers ?? Array.Empty<KeyValuePair<string, string>>())
        {
            head.Append(header.Key).Append(": ").Append(header.Value).Append("\r\n");
        }

        head.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()), stop).ConfigureAwait(false);
        if (response.CutAfter is int cut)
        {
            await stream.WriteAsync(response.Body.AsMemory(0, Math.Min(cut, response.Body.Length)), stop).ConfigureAwait(false);
            await stream.FlushAsync(stop).ConfigureAwait(false);
            return false;
        }

        await stream.WriteAsync(response.Body, stop).ConfigureAwait(false);
        await stream.FlushAsync(stop).ConfigureAwait(false);
        return true;
    }

    /// <summary>Reads requests off a connection: request line, headers, a Content-Length body.</summary>
    private sealed class RequestReader
    {
        private readonly Stream _stream;
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public RequestReader(Stream stream) => _stream = stream;

        public async Task<HttpRequest?> ReadAsync(bool tls, string? serverName, string remote, CancellationToken stop)
        {
            string? line = await LineAsync(stop).ConfigureAwait(false);
            while (line is { Length: 0 })
            {
                line = await LineAsync(stop).ConfigureAwait(false);
            }

            if (line is null)
            {
                return null;
            }

            string[] parts = line.Split(' ');
            if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"not an HTTP request line: '{line}'");
            }

            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (true)
            {
                string header = await LineAsync(stop).ConfigureAwait(false) ?? throw new InvalidDataException("the headers did not end");
                if (header.Length == 0)
                {
                    break;
                }

                int colon = header.IndexOf(':');
                if (colon > 0)
                {
                    headers[header[..colon].Trim()] = header[(colon + 1)..].Trim();
                }
            }

            int length = headers.TryGetValue("Content-Length", out string? text) ? int.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : 0;
            var body = new byte[length];
            int got = 0;
            while (got < length)
            {
                if (_start < _end)
                {
                    int take = Math.Min(length - got, _end - _start);
                    Array.Copy(_buffer, _start, body, got, take);
                    _start += take;
                    got += take;
                    continue;
                }

                int read = await _stream.ReadAsync(body.AsMemory(got), stop).ConfigureAwait(false);
                if (read == 0)
                {
                    throw new InvalidDataException("the body ended early");
                }

                got += read;
            }

            return new HttpRequest(parts[0], parts[1], headers, Encoding.UTF8.GetString(body), tls, serverName, remote);
        }

        private async Task<string?> LineAsync(CancellationToken stop)
        {
            var line = new List<byte>();
            while (true)
            {
                if (_start == _end)
                {
                    _start = 0;
                    _end = await _stream.ReadAsync(_buffer, stop).ConfigureAwait(false);
                    if (_end == 0)
                    {
                        return line.Count == 0 ? null : throw new InvalidDataException("the connection ended in a line");
                    }
                }

                byte b = _buffer[_start++];
                if (b == '\n')
                {
                    if (line.Count > 0 && line[^1] == '\r')
                    {
                        line.RemoveAt(line.Count - 1);
                    }

                    return Encoding.UTF8.GetString(line.ToArray());
                }

                line.Add(b);
                if (line.Count > 64 * 1024)
                {
                    throw new InvalidDataException("a line is too long");
                }
            }
        }
    }

    /// <summary>A stream with one byte already read put back in front.</summary>
    private sealed class PrefixedStream : Stream
    {
        private readonly Stream _inner;
        private int _first;

        public PrefixedStream(byte first, Stream inner)
        {
            _first = first;
            _inner = inner;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => _inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_first >= 0 && buffer.Length > 0)
            {
                buffer.Span[0] = (byte)_first;
                _first = -1;
                return 1;
            }

            return await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override void Write(byte[] buffer, int offset, int count) => _inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _inner.WriteAsync(buffer, cancellationToken);

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
    }
}
