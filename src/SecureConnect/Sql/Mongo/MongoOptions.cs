using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using MongoDB.Driver;
using MongoDB.Driver.Core.Configuration;
using SecureConnect.Common;

namespace SecureConnect.Sql.Mongo;

/// <summary>The -Option values a MongoDB integration passes on, checked and typed.</summary>
internal sealed record MongoOptions(string AuthSource, string? AuthMechanism, string? AppName, ReadPreference? ReadPreference, int? MaxTimeMS)
{
    public static readonly MongoOptions Default = new("admin", null, null, null, null);
}

/// <summary>
/// What -Option (and the query part of a mongodb:// -ConnectionString) may set on a MongoDB integration: where the
/// login is checked (AuthSource), the SCRAM variant (AuthMechanism), the application name, the read preference sent
/// to a mongos, and a server-side limit for -Collection queries (MaxTimeMS). TLS keys are the SSL policy's
/// (SslPolicyViolation); the endpoint, topology and login keys are the integration's (InvalidOption); any other key is
/// refused because it is not on the list.
/// </summary>
internal static class MongoOptionNames
{
    public static readonly IReadOnlyList<string> Allowed = new[] { "AuthSource", "AuthMechanism", "AppName", "ReadPreference", "MaxTimeMS" };

    public static readonly IReadOnlyList<string> Mechanisms = new[] { "SCRAM-SHA-1", "SCRAM-SHA-256" };

    private static readonly HashSet<string> s_tls = new(StringComparer.OrdinalIgnoreCase)
    {
        "tls", "ssl", "tlsinsecure", "tlsallowinvalidcertificates", "tlsallowinvalidhostnames", "tlscafile",
        "tlscertificatekeyfile", "tlscertificatekeyfilepassword", "tlsdisablecertificaterevocationcheck",
        "tlsdisableocspendpointcheck", "sslverifycertificate", "sslmode", "usetls", "usessl", "allowinsecuretls",
        "verifysslcertificate", "cafile", "sslrootcert", "trustservercertificate",
    };

    private static readonly HashSet<string> s_endpoint = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "server", "hostname", "port", "database", "db", "user", "username", "password", "directconnection",
        "replicaset", "loadbalanced", "srvservicename", "srvmaxhosts", "proxyhost", "proxyport", "proxyusername",
        "proxypassword", "authmechanismproperties", "connecttimeoutms", "serverselectiontimeoutms",
        "heartbeatfrequencyms", "maxpoolsize", "minpoolsize",
    };

    /// <summary>The typed options; throws for any key that is not allowed or a value that is not valid.</summary>
    public static MongoOptions From(IDictionary options)
    {
        MongoOptions result = MongoOptions.Default;
        foreach ((string key, string compact, string value) in OptionEntries.Checked(options, s_tls, s_endpoint, "a direct connection through the tunnel, bounded timeouts, one connection"))
        {
            result = compact.ToLowerInvariant() switch
            {
                "authsource" => result with { AuthSource = Name(key, value) },
                "authmechanism" => result with { AuthMechanism = Mechanism(key, value) },
                "appname" or "applicationname" => result with { AppName = Name(key, value) },
                "readpreference" => result with { ReadPreference = Preference(key, value) },
                "maxtimems" => result with { MaxTimeMS = Milliseconds(key, value) },
                _ => throw new SecureConnectException(
                    ErrorIds.InvalidOption,
                    ErrorKind.InvalidArgument,
                    $"The option '{key}' is not a MongoDB setting SecureConnect passes on: only those that choose the login's database and SCRAM variant, name the application, pick the read preference or limit a query are, never those that weaken TLS or move the endpoint. Allowed: {string.Join(", ", Allowed)}.",
                    key),
            };
        }

        return result;
    }

    /// <summary>
    /// A mongodb:// URI as -ConnectionString: the host and port, the database of the path, the login, and the options
    /// of its query string judged like -Option. mongodb+srv:// is refused (its DNS lookups cannot go through a tunnel),
    /// and so are several hosts (SecureConnect connects directly to one server).
    /// </summary>
    public static ParsedConnectionString Parse(string connectionString)
    {
        const int MaxUriLength = 1024;
        string trimmed = connectionString.Trim();
        if (trimmed.StartsWith("mongodb+srv:", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException("a mongodb+srv:// URI needs DNS SRV and TXT lookups that cannot go through a tunnel and would choose the servers for you. Give one server as mongodb://host:port/database (its replica set member you mean to query), or use -HostName and -Port.");
        }

        if (!trimmed.StartsWith("mongodb:", StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException("a MongoDB connection string is a mongodb:// URI, such as mongodb://db.internal:27017/orders?authSource=admin");
        }

        if (trimmed.Length > MaxUriLength)
        {
            // The driver's URI parser backtracks: an ill-formed URI of a few KiB kept it busy for minutes (fuzzing found
            // it), and a URI of one server with the few options SecureConnect passes on is far shorter than this.
            throw new FormatException($"the mongodb:// URI is {trimmed.Length} characters long; SecureConnect reads URIs of at most {MaxUriLength} (one server and a few options)");
        }

        ConnectionString parsed;
        MongoUrl url;
        try
        {
            parsed = new ConnectionString(trimmed);
            url = new MongoUrl(trimmed);
        }
        catch (MongoConfigurationException e)
        {
            throw new FormatException(e.Message, e);
        }

        if (parsed.Hosts.Count != 1)
        {
            throw new FormatException($"it names {parsed.Hosts.Count} hosts; SecureConnect connects directly to one server (through its tunnel), so give exactly one host");
        }

        var options = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (string name in parsed.AllOptionNames)
        {
            options[name] = parsed.GetOption(name);
        }

        // Judged now, so that a TLS key is SslPolicyViolation rather than a connection string that only looks fine.
        From(options);
        MongoServerAddress server = url.Server;
        return new ParsedConnectionString(server.Host, server.Port, url.DatabaseName, url.Username, url.Password, options);
    }

    private static string Name(string key, string value) =>
        value.Length is > 0 and <= 128 && value.All(c => !char.IsControl(c))
            ? value
            : throw Invalid(key, "a name of 1 to 128 printable characters");

    private static string Mechanism(string key, string value) =>
        Mechanisms.FirstOrDefault(m => string.Equals(m, value, StringComparison.OrdinalIgnoreCase))
        ?? throw new SecureConnectException(
            ErrorIds.InvalidOption,
            ErrorKind.InvalidArgument,
            $"The option '{key}' may be {string.Join(" or ", Mechanisms)} (a password login); leave it out to let the driver negotiate the strongest SCRAM variant the server offers.",
            key);

    private static ReadPreference Preference(string key, string value) =>
        Enum.TryParse(value, ignoreCase: true, out ReadPreferenceMode mode) && Enum.IsDefined(mode) && !value.All(char.IsDigit)
            ? new ReadPreference(mode)
            : throw Invalid(key, "Primary, PrimaryPreferred, Secondary, SecondaryPreferred or Nearest");

    private static int Milliseconds(string key, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int ms) && ms > 0
            ? ms
            : throw Invalid(key, "a positive number of milliseconds");

    private static SecureConnectException Invalid(string key, string what) =>
        new(ErrorIds.InvalidOption, ErrorKind.InvalidArgument, $"The value of option '{key}' must be {what}.", key);
}
