// Trino coordinator TEST DOUBLE: NOT a Trino server. It speaks just enough of Trino's client REST protocol
// (GET /v1/info, POST /v1/statement, GET and DELETE of each nextUri) for a client to run a few canned statements, so
// the module's Trino engine and its tests run where no Trino server can. tests/node/trino-check.mjs checks it with the
// trino-client JavaScript library (tests/TrinoDouble.Tests.ps1).
//
//   dotnet TrinoDouble.dll [--address 127.0.0.1] [--port 8080]      port 0: any free port
//                          [--tls-cert server.crt --tls-key server.key]
//                          [--user u --password p] [--numbers 10000] [--ignore-stdin]
//
//   --address, --port    where to listen (default 127.0.0.1:8080).
//   --tls-cert/--tls-key a PEM certificate (a chain after it is sent too) and its PEM private key: HTTPS only. Without
//                        them plain HTTP only, and a TLS ClientHello is answered "400 Illegal character" as Trino does.
//   --user/--password    statement requests over HTTPS need this login as HTTP Basic (401 otherwise). A password over
//                        plain HTTP is always 403, as Trino refuses it; without one, X-Trino-User is the user.
//   --numbers N          rows of "numbers" (and of fails_midway, gone, cut), in pages of 1000.
//   --ignore-stdin       do not stop when standard input closes.
//
// Prints "listening <address> <port>" on stdout once it accepts connections. Stops on SIGTERM, SIGINT, or when
// standard input (a pipe: a parent that holds it) closes.
//
// Statements (case and spacing ignored, a trailing ';' too); every result goes QUEUED, RUNNING pages, FINISHED:
//   SELECT * FROM people         the lab's 5 people: id integer, name, email varchar, score decimal(10,2),
//                                joined timestamp(3) with time zone, note varchar (NULL for id 3)
//   SELECT * FROM numbers        N rows of n bigint (0..N-1), 1000 per page
//   SELECT * FROM types          one row of every type (bigint ... varbinary, array, map, row, json, uuid,
//                                ipaddress) and one row of NULLs
//   SELECT * FROM empty          no rows;  SELECT 1: one row
//   SELECT * FROM fails_midway   1000 numbers, then FAILED: DIVISION_BY_ZERO (8, USER_ERROR)
//   SELECT * FROM flaky          the 5 people; the POST is answered 503 every other time, the first page 503 once
//   SELECT * FROM foreign_next   its first nextUri names http://elsewhere.example:9999 (a client must refuse it)
//   SELECT * FROM unfinished     the 5 people, then no nextUri while still RUNNING (never a complete result)
//   SELECT * FROM gone           1000 numbers, then 410 Gone
//   SELECT * FROM cut            1000 numbers, then a page cut in the middle (the connection closes)
//   INSERT INTO sink ...         no result, updateType INSERT, updateCount 1
//   EXECUTE name USING a, ...    needs X-Trino-Prepared-Statement: name=<URL-encoded statement>; answers one row:
//                                statement (the decoded text), p1..pn (each literal as sent)
//   anything else                FAILED: SYNTAX_ERROR (1, USER_ERROR)
// A DELETE of a nextUri (or of /v1/query/<id>) cancels the query (later GETs: 410). GET /v1/doubleStats: requests,
// statements, pages, cancels, cancelledQueries, retriesServed, unauthorized, openQueries, and of the last statement
// request: lastHeaders (X-Trino-* and User-Agent; Authorization only as its scheme), lastStatement, lastPrepared,
// lastServerName (SNI), lastHost, lastRemoteAddress.
using System;
using System.IO;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Tests.TrinoDouble;

DoubleOptions options;
SslStreamCertificateContext? certificate = null;
try
{
    options = DoubleOptions.Parse(args);
    if (options.TlsCertPath is not null)
    {
        certificate = DoubleOptions.LoadCertificate(options.TlsCertPath, options.TlsKeyPath!);
    }
}
catch (Exception e) when (e is ArgumentException or FormatException or IOException or System.Security.Cryptography.CryptographicException)
{
    Console.Error.WriteLine($"TrinoDouble: {e.Message}");
    return 2;
}

using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
if (!options.IgnoreStdin && StdinIsPipe())
{
    // A parent that started the double with a pipe ends it by closing the pipe (or by dying).
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
    Console.Error.WriteLine($"TrinoDouble: cannot listen on {options.Address}:{options.Port}: {e.Message}");
    return 1;
}

int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
var coordinator = new Coordinator(options.Numbers, options.User, options.Password);
Console.Out.WriteLine($"listening {options.Address} {port}");
Console.Out.Flush();
Console.Error.WriteLine($"Trino coordinator test double {Coordinator.Version} on {options.Address}:{port} ({(certificate is null ? "plain HTTP" : "HTTPS")}, "
    + $"{(options.User is null ? "no password" : "HTTP Basic as " + options.User)}, {options.Numbers} numbers)");
await new CoordinatorServer(certificate, coordinator.Handle).RunAsync(listener, stop.Token);
listener.Stop();
Console.Error.WriteLine("TrinoDouble: stopped");
return 0;

static bool StdinIsPipe()
{
    try
    {
        return new FileInfo("/proc/self/fd/0").LinkTarget?.StartsWith("pipe:", StringComparison.Ordinal) == true;
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        return false;
    }
}
