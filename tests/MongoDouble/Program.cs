// MongoDB wire-protocol test double: NOT a MongoDB server. It speaks just enough of the protocol (OP_MSG, and OP_QUERY
// for the legacy first handshake) for a driver to connect, authenticate with SCRAM-SHA-256, and read the seeded
// database scdemo (people, numbers, types) through find/getMore/aggregate/count/distinct cursors, so the module's
// MongoDB engine and its tests run where no MongoDB server can. tests/node/mongo-check.mjs checks it with the official
// Node.js driver (tests/MongoDouble.Tests.ps1).
//
//   dotnet MongoDouble.dll [--address 127.0.0.1] [--port 27017]      port 0: any free port
//                          [--tls-cert server.crt --tls-key server.key [--tls-mode require|allow]]
//                          [--user u --password p] [--numbers 100000] [--ignore-stdin]
//
//   --address, --port    where to listen (default 127.0.0.1:27017).
//   --tls-cert/--tls-key a PEM certificate (a chain after it is sent too) and its PEM private key. With them TLS is
//                        required; --tls-mode allow also takes plain connections on the same port (the first byte
//                        of a TLS ClientHello, 0x16, tells them apart).
//   --user/--password    require SCRAM-SHA-256 authentication as this user of the admin database; before it, only
//                        the handshake, ping, buildInfo, connectionStatus and doubleStats answer (others: code 13).
//   --numbers N          documents in scdemo.numbers ({_id: i, n: i}, generated as they are read).
//   --ignore-stdin       do not stop when standard input closes.
//
// Prints "listening <address> <port>" on stdout once it accepts connections, and one line per command on stderr:
// "cmd <name> <db>". Stops on SIGTERM, SIGINT, or when standard input (a pipe: a parent that holds it) closes.
// Commands: hello/isMaster, ping, buildInfo, connectionStatus, serverStatus, endSessions, saslStart/saslContinue,
// find, getMore, killCursors, aggregate, count, distinct, listCollections, listDatabases, and doubleStats (the
// double's own: open and killed cursor ids, commands seen, this connection's TLS protocol and cipher). Any command
// on a collection named "fail" fails with code 2 BadValue; an unknown command is code 59 CommandNotFound.
using System;
using System.IO;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Tests.MongoDouble;

DoubleOptions options;
SslStreamCertificateContext? certificateContext = null;
X509Certificate2? certificate = null;
try
{
    options = DoubleOptions.Parse(args);
    if (options.TlsCertPath is not null)
    {
        certificate = X509Certificate2.CreateFromPemFile(options.TlsCertPath, options.TlsKeyPath);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(options.TlsCertPath);
        chain.RemoveAt(0); // the leaf itself; what follows it in the file is its chain
        certificateContext = SslStreamCertificateContext.Create(certificate, chain, offline: true);
    }
}
catch (Exception e) when (e is ArgumentException or FormatException or IOException or System.Security.Cryptography.CryptographicException)
{
    Console.Error.WriteLine($"MongoDouble: {e.Message}");
    return 2;
}

using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
if (!options.IgnoreStdin && StdinIsPipe())
{
    // A parent that started the double with a pipe ends it by closing the pipe (or by dying). Standard input that
    // is /dev/null (a background job of a script) is not watched, or the double would stop at once.
    _ = Task.Run(() =>
    {
        using var stdin = Console.OpenStandardInput();
        var buffer = new byte[256];
        while (stdin.Read(buffer, 0, buffer.Length) > 0) { }
        stop.Cancel();
    });
}

var listener = new TcpListener(options.Address, options.Port);
try { listener.Start(); }
catch (SocketException e)
{
    Console.Error.WriteLine($"MongoDouble: cannot listen on {options.Address}:{options.Port}: {e.Message}");
    return 1;
}
int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
var state = new DoubleState(options, certificate);
Console.Out.WriteLine($"listening {options.Address} {port}");
Console.Out.Flush();
Console.Error.WriteLine($"MongoDB wire-protocol test double on {options.Address}:{port} (TLS {options.TlsMode.ToString().ToLowerInvariant()}, "
    + $"{(options.User is null ? "no authentication" : "SCRAM-SHA-256 as " + options.User)}, {options.Numbers} numbers)");

var server = new DoubleServer(state, certificateContext);
await server.RunAsync(listener, stop.Token);
listener.Stop();
Console.Error.WriteLine("MongoDouble: stopped");
return 0;

static bool StdinIsPipe()
{
    try
    {
        // The link's own text ("pipe:[123]"), not a path resolved from it.
        return new FileInfo("/proc/self/fd/0").LinkTarget?.StartsWith("pipe:", StringComparison.Ordinal) == true;
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        return false;
    }
}
