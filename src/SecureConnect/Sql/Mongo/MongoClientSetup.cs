using System;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using MongoDB.Driver;
using MongoDB.Driver.Core.Events;
using MongoDB.Driver.Core.Servers;

namespace SecureConnect.Sql.Mongo;

/// <summary>
/// The driver's settings for one connection, built in one place: always a direct connection to the one server the
/// socket reaches (through a tunnel, a replica set's member addresses would lead out of it), timeouts bounded by the
/// connect timeout instead of the driver's 30 s, one pooled connection, polling monitoring, no hidden retries, and TLS
/// validated by SecureConnect's own callback.
/// </summary>
internal static class MongoClientSetup
{
    /// <summary>How often the driver's monitor checks the server; one check per connection is enough here.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(10);

    public const string DefaultAppName = "SecureConnect";

    /// <param name="target">The endpoint, login, SSL mode and timeouts.</param>
    /// <param name="options">The integration's options.</param>
    /// <param name="tls">TLS on this attempt (false only for Preferred's plaintext fallback).</param>
    /// <param name="validate">The certificate callback (the observer's, through <see cref="MongoTlsSeen"/>).</param>
    /// <param name="serverChanged">Told of every change the driver's monitor sees (a failed first check ends the open at once).</param>
    public static MongoClientSettings Build(ConnectionTarget target, MongoOptions options, bool tls, RemoteCertificateValidationCallback validate, Action<ServerDescriptionChangedEvent>? serverChanged)
    {
        TimeSpan connect = TimeSpan.FromSeconds(target.ConnectTimeoutSeconds);
        var settings = new MongoClientSettings
        {
            Server = new MongoServerAddress(target.ConnectHost, target.ConnectPort),
            DirectConnection = true,
            ConnectTimeout = connect,
            ServerSelectionTimeout = connect,
            HeartbeatTimeout = connect,
            HeartbeatInterval = HeartbeatInterval,
            ServerMonitoringMode = ServerMonitoringMode.Poll,
            MaxConnectionPoolSize = 1,
            MinConnectionPoolSize = 0,
            MaxConnecting = 1,
            WaitQueueTimeout = connect,
            RetryReads = false,
            RetryWrites = false,
            ApplicationName = options.AppName ?? DefaultAppName,
            UseTls = tls,
            AllowInsecureTls = false,
        };
        if (tls)
        {
            settings.SslSettings = new SslSettings
            {
                // The observer applies the SSL mode against the uploaded CA (.NET has no tlsCAFile) and the integration's
                // real host name (through a tunnel the driver only knows 127.0.0.1); Required accepts any certificate.
                ServerCertificateValidationCallback = validate,
                CheckCertificateRevocation = false,
                EnabledSslProtocols = SslProtocols.None,
            };
        }

        if (options.ReadPreference is { } preference)
        {
            settings.ReadPreference = preference;
        }

        if (target.Credential is { UserName.Length: > 0 } login)
        {
            settings.Credential = new MongoCredential(options.AuthMechanism, new MongoInternalIdentity(options.AuthSource, login.UserName), new PasswordEvidence(login.SecurePassword));
        }

        if (serverChanged is not null)
        {
            settings.ClusterConfigurator = builder => builder.Subscribe(serverChanged);
        }

        return settings;
    }
}

/// <summary>
/// The certificate callback handed to the driver: the observer decides; the TLS stream it came from is kept, so the
/// negotiated protocol and cipher can be reported afterwards (the driver does not expose its streams).
/// </summary>
internal sealed class MongoTlsSeen
{
    private readonly TlsObserver _observer;
    private SslStream? _stream;

    public MongoTlsSeen(TlsObserver observer)
    {
        _observer = observer;
    }

    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (sender is SslStream stream)
        {
            Volatile.Write(ref _stream, stream);
        }

        return _observer.Validate(sender, certificate, chain, errors);
    }

    /// <summary>The protocol and cipher of the last TLS stream seen (null when none, or it is gone).</summary>
    public (string? Protocol, string? Cipher) Negotiated()
    {
        SslStream? stream = Volatile.Read(ref _stream);
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
}

/// <summary>
/// Watches the driver's monitor while a connection opens: its first failed check (refused, TLS refused, no TLS, a
/// closed socket) is the real reason, and ends the wait at once instead of at the server selection timeout.
/// </summary>
internal sealed class MongoOpenWatch : IDisposable
{
    private readonly CancellationTokenSource _failed = new();
    private Exception? _failure;

    public CancellationToken Failed => _failed.Token;

    public Exception? Failure => Volatile.Read(ref _failure);

    public void OnServerChanged(ServerDescriptionChangedEvent e)
    {
        if (e.NewDescription.HeartbeatException is { } error && Interlocked.CompareExchange(ref _failure, error, null) is null)
        {
            try
            {
                _failed.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public void Dispose() => _failed.Dispose();
}
