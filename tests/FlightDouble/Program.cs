// Arrow Flight server test double: NOT a Dremio server. It speaks Arrow Flight (gRPC over HTTP/2, TLS or plain h2c)
// well enough for the module's Dremio engine and its tests to run where no Dremio server can: GetFlightInfo on a
// command descriptor holding SQL, DoGet on the tickets it hands out, the login as Dremio's arrow.flight.auth2 takes it,
// and canned queries (CannedTables.cs).
//
//   dotnet FlightDouble.dll [--address 127.0.0.1] [--port 32010]          port 0: any free port
//                           [--tls-cert server.crt --tls-key server.key]  PEM; a chain after the leaf is sent too
//                           [--user u --password p] [--token t]           logins it accepts (none: no login needed)
//                           [--numbers 100000] [--batch-rows 1000] [--ignore-stdin]
//
//   --address, --port    where to listen (any local address; default 127.0.0.1:32010).
//   --tls-cert/--tls-key with them, TLS only (HTTP/2 by ALPN); without, plain HTTP/2 (h2c, prior knowledge).
//   --user/--password    "authorization: Basic base64(user:password)" is accepted on any call and answered with
//                        "authorization: Bearer <new token>" (and a session cookie) in the response headers.
//   --token              a personal access token accepted as "authorization: Bearer <token>".
//   --numbers N          rows of SELECT * FROM numbers, in batches of --batch-rows.
//   --ignore-stdin       do not stop when standard input closes.
//
// Queries: SELECT * FROM people | numbers | types | sys.version | fail | failafter | cut | split | elsewhere
// (see CannedTables.cs); anything else is InvalidArgument "unknown table". DoAction "doubleStats" returns its
// counters as JSON (calls, cancellations, logins ok and failed, TLS server names, the session headers of the last
// query). Prints "listening <address> <port>" on stdout once it accepts connections, and "call <method>" per call on
// stderr. Stops on SIGTERM, SIGINT, or when standard input (a pipe: a parent that holds it) closes.
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Tests.FlightDouble;

DoubleOptions options;
try
{
    options = DoubleOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or IOException or CryptographicException)
{
    Console.Error.WriteLine($"FlightDouble: {e.Message}");
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
        using Stream stdin = Console.OpenStandardInput();
        var buffer = new byte[256];
        while (stdin.Read(buffer, 0, buffer.Length) > 0)
        {
        }

        stop.Cancel();
    });
}

FlightDoubleHost host;
try
{
    host = await FlightDoubleHost.StartAsync(options, stop.Token);
}
catch (Exception e) when (e is IOException or InvalidOperationException)
{
    Console.Error.WriteLine($"FlightDouble: cannot listen on {options.Address}:{options.Port}: {e.Message}");
    return 1;
}

Console.Out.WriteLine($"listening {host.Address} {host.Port}");
Console.Out.Flush();
try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

await host.DisposeAsync();
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
