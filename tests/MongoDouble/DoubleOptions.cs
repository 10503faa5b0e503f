using System;
using System.Globalization;
using System.Net;

namespace SecureConnect.Tests.MongoDouble;

/// <summary>How the double accepts TLS: not at all, TLS or plain on the same port, or TLS only.</summary>
internal enum TlsMode
{
    Disabled,
    Allow,
    Require,
}

/// <summary>The double's command line, parsed once (see Program.cs for the options).</summary>
internal sealed class DoubleOptions
{
    public IPAddress Address { get; private set; } = IPAddress.Loopback;
    public int Port { get; private set; } = 27017;
    public string? TlsCertPath { get; private set; }
    public string? TlsKeyPath { get; private set; }
    public TlsMode TlsMode { get; private set; } = TlsMode.Disabled;
    public string? User { get; private set; }
    public string? Password { get; private set; }
    public int Numbers { get; private set; } = 100_000;
    public bool IgnoreStdin { get; private set; }

    public static DoubleOptions Parse(string[] args)
    {
        var options = new DoubleOptions();
        string? mode = null;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name == "--ignore-stdin") { options.IgnoreStdin = true; continue; }
            if (i + 1 >= args.Length) throw new ArgumentException($"{name} needs a value.");
            string value = args[++i];
            switch (name)
            {
                case "--address": options.Address = IPAddress.Parse(value); break;
                case "--port": options.Port = ParseInt(name, value, 0, 65535); break;
                case "--tls-cert": options.TlsCertPath = value; break;
                case "--tls-key": options.TlsKeyPath = value; break;
                case "--tls-mode": mode = value; break;
                case "--user": options.User = value; break;
                case "--password": options.Password = value; break;
                case "--numbers": options.Numbers = ParseInt(name, value, 0, int.MaxValue); break;
                default: throw new ArgumentException($"Unknown option {name}.");
            }
        }

        if ((options.TlsCertPath is null) != (options.TlsKeyPath is null))
            throw new ArgumentException("--tls-cert and --tls-key go together.");
        if ((options.User is null) != (options.Password is null))
            throw new ArgumentException("--user and --password go together.");
        options.TlsMode = (mode, options.TlsCertPath) switch
        {
            (null, null) => TlsMode.Disabled,
            (null, _) => TlsMode.Require,
            ("allow", not null) => TlsMode.Allow,
            ("require", not null) => TlsMode.Require,
            ("allow" or "require", null) => throw new ArgumentException("--tls-mode needs --tls-cert and --tls-key."),
            _ => throw new ArgumentException($"--tls-mode is allow or require, not '{mode}'."),
        };
        return options;
    }

    private static int ParseInt(string name, string value, int min, int max)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < min || n > max)
            throw new ArgumentException($"{name} must be a number from {min} to {max}.");
        return n;
    }
}
