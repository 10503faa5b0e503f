using System;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace SecureConnect.Tests.FlightDouble;

/// <summary>The double's settings: parsed from its command line (see Program.cs), or set by an in-process test.</summary>
public sealed class DoubleOptions
{
    public IPAddress Address { get; set; } = IPAddress.Loopback;

    public int Port { get; set; } = 32010;

    /// <summary>The server certificate (its private key with it); null: plain h2c.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>Certificates sent after the leaf (intermediates).</summary>
    public X509Certificate2Collection Chain { get; set; } = new();

    /// <summary>With <see cref="Password"/>: the basic login the double accepts.</summary>
    public string? User { get; set; }

    public string? Password { get; set; }

    /// <summary>A personal access token the double accepts as "authorization: Bearer".</summary>
    public string? Token { get; set; }

    /// <summary>Rows of the numbers table.</summary>
    public int Numbers { get; set; } = 100_000;

    /// <summary>Rows in each record batch of the numbers table.</summary>
    public int BatchRows { get; set; } = 1000;

    public bool IgnoreStdin { get; set; }

    /// <summary>Any login is needed (basic or token).</summary>
    public bool RequiresLogin => User is not null || Token is not null;

    public static DoubleOptions Parse(string[] args)
    {
        var options = new DoubleOptions();
        string? certPath = null;
        string? keyPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name == "--ignore-stdin")
            {
                options.IgnoreStdin = true;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{name} needs a value.");
            }

            string value = args[++i];
            switch (name)
            {
                case "--address": options.Address = IPAddress.Parse(value); break;
                case "--port": options.Port = ParseInt(name, value, 0, 65535); break;
                case "--tls-cert": certPath = value; break;
                case "--tls-key": keyPath = value; break;
                case "--user": options.User = value; break;
                case "--password": options.Password = value; break;
                case "--token": options.Token = value; break;
                case "--numbers": options.Numbers = ParseInt(name, value, 0, int.MaxValue); break;
                case "--batch-rows": options.BatchRows = ParseInt(name, value, 1, 1_000_000); break;
                default: throw new ArgumentException($"Unknown option {name}.");
            }
        }

        if ((certPath is null) != (keyPath is null))
        {
            throw new ArgumentException("--tls-cert and --tls-key go together.");
        }

        if ((options.User is null) != (options.Password is null))
        {
            throw new ArgumentException("--user and --password go together.");
        }

        if (certPath is not null)
        {
            options.Certificate = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            var chain = new X509Certificate2Collection();
            chain.ImportFromPemFile(certPath);
            chain.RemoveAt(0); // the leaf itself; what follows it in the file is its chain
            options.Chain = chain;
        }

        return options;
    }

    private static int ParseInt(string name, string value, int min, int max)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < min || n > max)
        {
            throw new ArgumentException($"{name} must be a number from {min} to {max}.");
        }

        return n;
    }
}
