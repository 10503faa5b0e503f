using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using SecureConnect.Common;

namespace SecureConnect.Sql.Dremio;

/// <summary>How the login is sent: Dremio's basic login (a user name and a password, or a personal access token as the password), or a token as a bearer.</summary>
internal enum DremioAuthMode
{
    /// <summary>"authorization: Basic base64(user:password)" on the handshake; the bearer token it returns on every later call.</summary>
    Basic,

    /// <summary>The password of -Credential is a token (a personal access token, an OAuth access token), sent as "authorization: Bearer".</summary>
    Token,
}

/// <summary>The -Option values of a Dremio integration, checked and typed: the login's form and the session headers.</summary>
internal sealed record DremioOptions(DremioAuthMode AuthMode, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>The default schema (the "schema" header), from -Database or the Schema option.</summary>
    public string? Schema => Headers.FirstOrDefault(h => h.Key == "schema").Value;
}

/// <summary>
/// What -Option (and the keys of a -ConnectionString) may set on a Dremio integration: AuthMode (Basic or Token) and
/// the headers Dremio reads from a Flight client to set up its session: Schema (the default schema, as -Database),
/// RoutingTag, RoutingQueue and Engine (workload management). TLS keys of Dremio's drivers are the SSL policy's
/// (SslPolicyViolation); the endpoint, login and transport keys are the integration's (InvalidOption); any other key
/// is refused because it is not on the list.
/// </summary>
internal static class DremioOptionNames
{
    public static readonly IReadOnlyList<string> Allowed = new[] { "AuthMode", "Schema", "RoutingTag", "RoutingQueue", "Engine" };

    private static readonly HashSet<string> s_tls = new(StringComparer.OrdinalIgnoreCase)
    {
        "useencryption", "disablecertificateverification", "tls", "ssl", "sslmode", "usetls", "usessl", "trustedcerts",
        "trustedcertificates", "usesystemtruststore", "truststore", "truststorepassword", "truststoretype", "cafile",
        "sslrootcert", "trustservercertificate", "disablehostverification", "verify", "insecure",
    };

    private static readonly HashSet<string> s_endpoint = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "server", "hostname", "port", "database", "db", "user", "username", "uid", "password", "pwd", "token",
        "authorization", "cookie", "cookies", "location", "url", "uri", "endpoint", "proxy", "proxyhost", "proxyport",
        "timeout", "connecttimeout", "deadline", "maxmessagesize",
    };

    private static readonly Dictionary<string, string> s_headers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["schema"] = "schema",
        ["routingtag"] = "routing_tag",
        ["routingqueue"] = "routing_queue",
        ["engine"] = "engine",
    };

    /// <summary>The typed options; throws for any key that is not allowed or a value that is not valid.</summary>
    public static DremioOptions From(IDictionary options, string? database = null)
    {
        DremioAuthMode mode = DremioAuthMode.Basic;
        var headers = new List<KeyValuePair<string, string>>();
        if (!string.IsNullOrEmpty(database))
        {
            headers.Add(new("schema", HeaderValue("Database", database)));
        }

        foreach ((string key, string compact, string value) in OptionEntries.Checked(options, s_tls, s_endpoint, "the one Flight endpoint it connects to, bounded timeouts"))
        {
            if (string.Equals(compact, "authmode", StringComparison.OrdinalIgnoreCase))
            {
                mode = Enum.TryParse(value, ignoreCase: true, out DremioAuthMode parsed) && Enum.IsDefined(parsed) && !value.All(char.IsDigit)
                    ? parsed
                    : throw new SecureConnectException(
                        ErrorIds.InvalidOption,
                        ErrorKind.InvalidArgument,
                        $"The option '{key}' is Basic (a user name and password, or a personal access token as the password) or Token (the password of -Credential is a token sent as a bearer).",
                        key);
                continue;
            }

            if (!s_headers.TryGetValue(compact, out string? header))
            {
                throw new SecureConnectException(
                    ErrorIds.InvalidOption,
                    ErrorKind.InvalidArgument,
                    $"The option '{key}' is not a Dremio setting SecureConnect passes on: only the login's form and the session headers Dremio reads (default schema, workload routing) are, never those that weaken TLS or move the endpoint. Allowed: {string.Join(", ", Allowed)}.",
                    key);
            }

            string text = HeaderValue(key, value);
            if (header == "schema" && headers.FirstOrDefault(h => h.Key == "schema").Value is { } schema && schema != text)
            {
                throw new SecureConnectException(
                    ErrorIds.InvalidOption,
                    ErrorKind.InvalidArgument,
                    $"The option '{key}' ('{text}') and -Database ('{schema}') both set Dremio's default schema: give one of them.",
                    key);
            }

            headers.RemoveAll(h => h.Key == header);
            headers.Add(new(header, text));
        }

        return new DremioOptions(mode, headers);
    }

    /// <summary>
    /// A -ConnectionString for Dremio: Host (or Server), Port, User (or UserName, UID), Password (or PWD), Schema (or
    /// Database); any other key is an option, judged like -Option (TLS keys of Dremio's drivers: SslPolicyViolation).
    /// </summary>
    public static ParsedConnectionString Parse(string connectionString)
    {
        var generic = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        string? host = null;
        int? port = null;
        string? schema = null;
        string? user = null;
        string? password = null;
        var options = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (string key in generic.Keys.Cast<string>())
        {
            string value = Convert.ToString(generic[key], CultureInfo.InvariantCulture) ?? string.Empty;
            switch (key.Replace(" ", string.Empty, StringComparison.Ordinal).ToLowerInvariant())
            {
                case "host" or "server" or "hostname":
                    host = value;
                    break;
                case "port":
                    port = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is > 0 and <= 65535
                        ? p
                        : throw new FormatException($"Port '{value}' is not a port number.");
                    break;
                case "schema" or "database":
                    schema = value;
                    break;
                case "user" or "username" or "uid":
                    user = value;
                    break;
                case "password" or "pwd":
                    password = value;
                    break;
                default:
                    options[key] = value;
                    break;
            }
        }

        From(options, schema);
        return new ParsedConnectionString(host, port, schema, user, password, options);
    }

    /// <summary>The options without secrets, for Verbose output.</summary>
    public static string Describe(DremioOptions options) =>
        $"login={(options.AuthMode == DremioAuthMode.Token ? "bearer token" : "basic, then the bearer token it returns")}; " +
        (options.Headers.Count == 0 ? "no session headers" : string.Join(", ", options.Headers.Select(h => $"{h.Key}={h.Value}")));

    // gRPC metadata values are printable ASCII.
    private static string HeaderValue(string key, string value) =>
        value.Length is > 0 and <= 256 && value.All(c => c is >= ' ' and <= '~')
            ? value
            : throw new SecureConnectException(ErrorIds.InvalidOption, ErrorKind.InvalidArgument, $"The value of '{key}' must be 1 to 256 printable ASCII characters (it travels as a gRPC header).", key);
}
