using System;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace SecureConnect.Tests.TrinoDouble;

/// <summary>The double's command line, parsed once (see Program.cs for the options).</summary>
internal sealed class DoubleOptions
{
    public IPAddress Address { get; private set; } = IPAddress.Loopback;
    public int Port { get; private set; } = 8080;
    public string? TlsCertPath { get; private set; }
    public string? TlsKeyPath { get; private set; }
    public string? User { get; private set; }
    public string? Password { get; private set; }
    public long Numbers { get; private set; } = 10_000;
    public bool IgnoreStdin { get; private set; }

    public static DoubleOptions Parse(string[] args)
    {
        var options = new DoubleOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name == "--ignore-stdin") { options.IgnoreStdin = true; continue; }
            if (i + 1 >= args.Length) throw new ArgumentException($"{name} needs a value.");
            string value = args[++i];
            switch (name)
            {
                case "--address": options.Address = IPAddress.Parse(value); break;
                case "--port": options.Port = (int)ParseNumber(name, value, 0, 65535); break;
                case "--tls-cert": options.TlsCertPath = value; break;
                case "--tls-key": options.TlsKeyPath = value; break;
                case "--user": options.User = value; break;
                case "--password": options.Password = value; break;
                case "--numbers": options.Numbers = ParseNumber(name, value, 0, long.MaxValue); break;
                default: throw new ArgumentException($"Unknown option {name}.");
            }
        }

        if ((options.TlsCertPath is null) != (options.TlsKeyPath is null))
            throw new ArgumentException("--tls-cert and --tls-key go together.");
        if ((options.User is null) != (options.Password is null))
            throw new ArgumentException("--user and --password go together.");
        return options;
    }

    /// <summary>A PEM certificate (its chain after it in the file) with its PEM key, ready for SslStream.</summary>
    public static SslStreamCertificateContext LoadCertificate(string certPath, string keyPath)
    {
        var certificate = X509Certificate2.CreateFromPemFile(certPath, keyPath);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(certPath);
        chain.RemoveAt(0); // the leaf itself; what follows it in the file is its chain
        return SslStreamCertificateContext.Create(certificate, chain, offline: true);
    }

    private static long ParseNumber(string name, string value, long min, long max)
    {
        if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n < min || n > max)
            throw new ArgumentException($"{name} must be a number from {min} to {max}.");
        return n;
    }
}
