using System;
using System.IO;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading;
using System.Threading.Tasks;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>Accepts connections and serves each on its own task: TLS (by mode, sniffed), then commands until EOF.</summary>
internal sealed class DoubleServer
{
    private const byte TlsHandshakeRecord = 0x16;

    private readonly DoubleState _state;
    private readonly SslStreamCertificateContext? _certificate;
    private readonly CommandDispatcher _dispatcher;

    public DoubleServer(DoubleState state, SslStreamCertificateContext? certificate)
    {
        _state = state;
        _certificate = certificate;
        _dispatcher = new CommandDispatcher(state);
    }

    public async Task RunAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { break; }
            _ = Task.Run(() => ServeAsync(socket, cancellationToken), CancellationToken.None);
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken cancellationToken)
    {
        var connection = _state.OpenConnection();
        connection.Peer = socket.RemoteEndPoint is System.Net.IPEndPoint peer ? $"{peer.Address}:{peer.Port}" : null;
        socket.NoDelay = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            bool startsWithTls = await StartsWithTlsAsync(socket, cancellationToken).ConfigureAwait(false);
            if (_state.Options.TlsMode == TlsMode.Disabled && startsWithTls)
            {
                // As mongod without TLS does: "SSL handshake received but server is started without SSL support".
                Console.Error.WriteLine($"conn {connection.Id} closed: TLS handshake received but the double runs without TLS");
                return;
            }

            if (_state.Options.TlsMode != TlsMode.Disabled)
            {
                bool tls = startsWithTls;
                if (!tls && _state.Options.TlsMode == TlsMode.Require)
                {
                    Console.Error.WriteLine($"conn {connection.Id} refused: plain connection while TLS is required");
                    return;
                }
                if (tls) stream = await AuthenticateAsync(stream, connection, cancellationToken).ConfigureAwait(false);
            }

            while (await WireMessages.ReadAsync(stream, cancellationToken).ConfigureAwait(false) is { } request)
            {
                var reply = _dispatcher.Handle(request, connection);
                if (!request.MoreToCome) await WireMessages.WriteReplyAsync(stream, request, reply, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidDataException or AuthenticationException or OperationCanceledException)
        {
            if (!cancellationToken.IsCancellationRequested) Console.Error.WriteLine($"conn {connection.Id} closed: {e.Message}");
        }
        catch (Exception e)
        {
            // A message the double could not parse: said on stderr, since nothing observes this task.
            Console.Error.WriteLine($"conn {connection.Id} closed on an error in the double: {e}");
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            _state.CloseConnection();
        }
    }

    private static async Task<bool> StartsWithTlsAsync(Socket socket, CancellationToken cancellationToken)
    {
        // A client that speaks first: a TLS ClientHello starts with a handshake record, a MongoDB message with its length.
        var first = new byte[1];
        int n = await socket.ReceiveAsync(first, SocketFlags.Peek, cancellationToken).ConfigureAwait(false);
        return n == 1 && first[0] == TlsHandshakeRecord;
    }

    private async Task<Stream> AuthenticateAsync(Stream stream, ConnectionState connection, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificateContext = _certificate,
            ClientCertificateRequired = false,
        }, cancellationToken).ConfigureAwait(false);
        connection.TlsProtocol = ssl.SslProtocol;
        connection.TlsCipher = ssl.NegotiatedCipherSuite.ToString();
        _state.CountTls(ssl.SslProtocol);
        Console.Error.WriteLine($"conn {connection.Id} tls {DoubleState.TlsVersionName(ssl.SslProtocol)} {connection.TlsCipher}");
        return ssl;
    }
}
