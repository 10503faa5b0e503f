using System;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Tests.TrinoDouble;

namespace SecureConnect.Tests.Trino;

/// <summary>
/// The Trino coordinator TEST DOUBLE (tests/TrinoDouble, the same code the Pester tests start as a process) run
/// in-process on 127.0.0.1, with HTTPS when given a certificate, and its counters for assertions.
/// </summary>
internal sealed class TrinoDoubleHost : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;

    public TrinoDoubleHost(X509Certificate2? certificate, long numbers = 10_000, string? user = null, string? password = null)
    {
        Coordinator = new Coordinator(numbers, user, password);
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        SslStreamCertificateContext? context = certificate is null ? null : SslStreamCertificateContext.Create(certificate, null, offline: true);
        _running = new CoordinatorServer(context, Coordinator.Handle).RunAsync(_listener, _stop.Token);
    }

    public Coordinator Coordinator { get; }

    public DoubleStats Stats => Coordinator.Stats;

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _running;
        _stop.Dispose();
    }
}
