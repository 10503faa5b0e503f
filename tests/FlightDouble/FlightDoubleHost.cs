using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Security;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SecureConnect.Tests.FlightDouble;

/// <summary>
/// The Arrow Flight server TEST DOUBLE, hosted by Kestrel: HTTP/2 only, over TLS (the certificate's chain sent too,
/// ALPN h2) or plain h2c (prior knowledge), on one address and port. Started by Program.cs, or in-process by a test.
/// </summary>
public sealed class FlightDoubleHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FlightDoubleHost(WebApplication app, DoubleStats stats, IPAddress address, int port)
    {
        _app = app;
        Stats = stats;
        Address = address;
        Port = port;
    }

    public DoubleStats Stats { get; }

    public IPAddress Address { get; }

    public int Port { get; }

    public static async Task<FlightDoubleHost> StartAsync(DoubleOptions options, CancellationToken cancel = default)
    {
        var stats = new DoubleStats();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();

        // The process (Program.cs) or the test decides when to stop, not the console's signals.
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(stats);
        builder.Services.AddSingleton<IssuedTokens>();
        builder.Services.AddSingleton<CannedTables>();
        builder.Services.AddSingleton<DoubleAuth>();
        builder.Services.AddGrpc(grpc =>
        {
            grpc.Interceptors.Add<DoubleAuth>();
            grpc.MaxReceiveMessageSize = 16 * 1024 * 1024;
            grpc.EnableDetailedErrors = false;
        }).AddFlightServer<DoubleFlightServer>();
        SslStreamCertificateContext? certificate = options.Certificate is null
            ? null
            : SslStreamCertificateContext.Create(options.Certificate, options.Chain, offline: true);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.Address, options.Port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (certificate is not null)
                {
                    listen.UseHttps(new TlsHandshakeCallbackOptions
                    {
                        OnConnection = context =>
                        {
                            stats.ServerName(context.ClientHelloInfo.ServerName);
                            return ValueTask.FromResult(new SslServerAuthenticationOptions
                            {
                                ServerCertificateContext = certificate,
                                ApplicationProtocols = new List<SslApplicationProtocol> { SslApplicationProtocol.Http2 },
                            });
                        },
                    });
                }
            });
        });
        WebApplication app = builder.Build();
        app.MapFlightEndpoint();
        await app.StartAsync(cancel).ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FlightDoubleHost(app, stats, options.Address, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
