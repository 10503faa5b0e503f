using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;
using SecureConnect.Common;

namespace SecureConnect.Sql.Trino;

/// <summary>The session of every Trino request, as client request headers (never the login).</summary>
/// <param name="Catalog">X-Trino-Catalog.</param>
/// <param name="Schema">X-Trino-Schema.</param>
/// <param name="Source">X-Trino-Source (SecureConnect when not set).</param>
/// <param name="ClientTags">X-Trino-Client-Tags (resource groups).</param>
/// <param name="ClientInfo">X-Trino-Client-Info.</param>
/// <param name="TimeZone">X-Trino-Time-Zone.</param>
/// <param name="Language">X-Trino-Language.</param>
/// <param name="SessionProperties">X-Trino-Session, name=value pairs in order.</param>
internal sealed record TrinoSessionHeaders(
    string? Catalog,
    string? Schema,
    string Source,
    string? ClientTags,
    string? ClientInfo,
    string? TimeZone,
    string? Language,
    IReadOnlyList<KeyValuePair<string, string>> SessionProperties)
{
    /// <summary>The headers to send, in a stable order; session property values URL-encoded as Trino reads them.</summary>
    public IEnumerable<KeyValuePair<string, string>> Headers()
    {
        yield return new("X-Trino-Source", Source);
        if (Catalog is not null)
        {
            yield return new("X-Trino-Catalog", Catalog);
        }

        if (Schema is not null)
        {
            yield return new("X-Trino-Schema", Schema);
        }

        if (ClientTags is not null)
        {
            yield return new("X-Trino-Client-Tags", ClientTags);
        }

        if (ClientInfo is not null)
        {
            yield return new("X-Trino-Client-Info", ClientInfo);
        }

        if (TimeZone is not null)
        {
            yield return new("X-Trino-Time-Zone", TimeZone);
        }

        if (Language is not null)
        {
            yield return new("X-Trino-Language", Language);
        }

        if (SessionProperties.Count > 0)
        {
            yield return new("X-Trino-Session", string.Join(",", SessionProperties.Select(p => p.Key + "=" + Uri.EscapeDataString(p.Value))));
        }
    }

    public string Describe() =>
        $"catalog={Catalog ?? "(none)"}; schema={Schema ?? "(none)"}; source={Source}" +
        (ClientTags is null ? string.Empty : $"; client tags={ClientTags}") +
        (TimeZone is null ? string.Empty : $"; time zone={TimeZone}") +
        (SessionProperties.Count == 0 ? string.Empty : "; session=" + string.Join(",", SessionProperties.Select(p => p.Key + "=" + p.Value)));
}

/// <summary>
/// What -Option may set on a Trino integration: the session of its queries, sent as Trino's client request headers
/// (Catalog, Schema, Source, ClientTags, ClientInfo, TimeZone, Language, and SessionProperties as 'name=value,...').
/// TLS-like keys (SSL, SSLVerification, SSLTrustStorePath, ...) are the SSL policy's (SslPolicyViolation); the
/// endpoint, login, roles, credentials, proxies and Kerberos are the integration's (InvalidOption); any other key is
/// refused because it is not on the list. -Database is a shorthand for the catalog ('hive') or catalog and schema
/// ('hive.sales'); Catalog and Schema in -Option win over it.
/// </summary>
internal static class TrinoOptions
{
    public const string DefaultSource = "SecureConnect";

    public static readonly IReadOnlyList<string> Allowed = new[] { "Catalog", "Schema", "Source", "ClientTags", "ClientInfo", "TimeZone", "Language", "SessionProperties" };

    private static readonly string[] s_tlsPrefixes = { "ssl", "tls" };

    private static readonly HashSet<string> s_tls = new(StringComparer.OrdinalIgnoreCase)
    {
        "secure", "https", "scheme", "protocol", "insecure", "verify", "verifyca", "verifyfull", "ca", "cacert", "truststore",
        "keystore", "hostnameverification", "disablehostnameverification",
    };

    private static readonly HashSet<string> s_endpoint = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "server", "hostname", "port", "url", "uri", "endpoint", "user", "username", "password", "accesstoken",
        "extracredentials", "extracredential", "roles", "role", "sessionuser", "originaluser", "httpproxy", "socksproxy",
        "dnsresolver", "dnsresolvercontext", "database", "preparedstatement", "transactionid", "traceToken",
        "externalauthentication", "externalauthenticationtokencache", "assumeliteralnamesinmetadatacallsfornonconformingclients",
    };

    // Catalog, schema and session property names: what Trino's own names look like (catalog.property allowed).
    private static readonly Regex s_identifier = new("^[A-Za-z_][A-Za-z0-9_.$-]{0,127}$", RegexOptions.CultureInvariant);

    // Header values: printable text without the characters that would end or split a header.
    private static readonly Regex s_headerText = new("^[\\x20-\\x7E]{1,256}$", RegexOptions.CultureInvariant);

    private static readonly Regex s_timeZone = new("^[A-Za-z0-9_+\\-/:]{1,64}$", RegexOptions.CultureInvariant);

    /// <summary>The headers of the integration's session; throws for any key that is not on the list, or a value that could not be sent faithfully.</summary>
    public static TrinoSessionHeaders From(IDictionary options, string? database)
    {
        string? catalog = null;
        string? schema = null;
        if (!string.IsNullOrEmpty(database))
        {
            string[] parts = database.Split('.', 2);
            catalog = Identifier("Database", parts[0]);
            schema = parts.Length > 1 ? Identifier("Database", parts[1]) : null;
        }

        string source = DefaultSource;
        string? tags = null, info = null, zone = null, language = null;
        var session = new List<KeyValuePair<string, string>>();
        foreach (DictionaryEntry entry in options)
        {
            string key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty;
            object? raw = entry.Value is PSObject pso ? pso.BaseObject : entry.Value;
            string value = raw switch
            {
                bool b => b ? "true" : "false",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => Convert.ToString(raw, CultureInfo.InvariantCulture) ?? string.Empty,
            };
            switch (Canonical(key))
            {
                case "Catalog":
                    catalog = Identifier(key, value);
                    break;
                case "Schema":
                    schema = Identifier(key, value);
                    break;
                case "Source":
                    source = HeaderText(key, value);
                    break;
                case "ClientTags":
                    tags = string.Join(",", HeaderText(key, value).Split(',').Select(t => t.Trim()).Where(t => t.Length > 0));
                    break;
                case "ClientInfo":
                    info = HeaderText(key, value);
                    break;
                case "TimeZone":
                    zone = s_timeZone.IsMatch(value) ? value : throw Invalid(key, "must be a time zone name ('Europe/Paris', 'UTC') or an offset ('+02:00')");
                    break;
                case "Language":
                    language = HeaderText(key, value);
                    break;
                case "SessionProperties":
                    session.AddRange(SessionProperties(key, value));
                    break;
            }
        }

        return new TrinoSessionHeaders(catalog, schema, source, tags, info, zone, language, session);
    }

    /// <summary>
    /// A -ConnectionString for Trino: Host (or Server), Port, User, Password, Catalog, Schema (or Database as
    /// catalog[.schema]); any other key is an option, judged like -Option.
    /// </summary>
    public static ParsedConnectionString Parse(string connectionString) => ConnectionStrings.ParseKeyValues(connectionString, "database");

    private static string Canonical(string key)
    {
        string compact = new(key.Where(char.IsLetterOrDigit).ToArray());
        if (s_tls.Contains(compact) || s_tlsPrefixes.Any(p => compact.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
        {
            throw new SecureConnectException(
                ErrorIds.SslPolicyViolation,
                ErrorKind.SecurityError,
                $"The option '{key}' would change the connection's TLS settings, which only the SSL policy may set. Use Set-SslPolicy (or -SslMode, -CaCertificatePath) instead.",
                key);
        }

        if (s_endpoint.Contains(compact) || compact.StartsWith("kerberos", StringComparison.OrdinalIgnoreCase))
        {
            throw new SecureConnectException(
                ErrorIds.InvalidOption,
                ErrorKind.InvalidArgument,
                $"The option '{key}' is set by the integration itself (-HostName, -Port, -Database, -Credential) or by SecureConnect for each query (prepared statements, transactions); remove it from -Option.",
                key);
        }

        return Allowed.FirstOrDefault(a => string.Equals(a, compact, StringComparison.OrdinalIgnoreCase))
            ?? throw new SecureConnectException(
                ErrorIds.InvalidOption,
                ErrorKind.InvalidArgument,
                $"The option '{key}' is not a Trino session setting SecureConnect passes on: only the session of the queries is (sent as Trino's client headers), never what could weaken TLS, move the endpoint or log in another way. Allowed: {string.Join(", ", Allowed)} (SessionProperties as 'name=value,name2=value2').",
                key);
    }

    private static IEnumerable<KeyValuePair<string, string>> SessionProperties(string key, string text)
    {
        foreach (string pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = pair.Split('=', 2);
            if (parts.Length != 2 || !s_identifier.IsMatch(parts[0].Trim()))
            {
                throw Invalid(key, $"must be 'name=value' pairs separated by commas ('query_max_run_time=10m,hive.insert_existing_partitions_behavior=APPEND'); '{pair}' is not");
            }

            yield return new(parts[0].Trim(), HeaderText(key, parts[1].Trim()));
        }
    }

    private static string Identifier(string key, string value) =>
        s_identifier.IsMatch(value) ? value : throw Invalid(key, "must be a Trino name (letters, digits, '_', starting with a letter or '_')");

    private static string HeaderText(string key, string value) =>
        s_headerText.IsMatch(value) ? value : throw Invalid(key, "must be 1 to 256 printable ASCII characters");

    private static SecureConnectException Invalid(string key, string why) =>
        new(ErrorIds.InvalidOption, ErrorKind.InvalidArgument, $"The value of option '{key}' {why}.", key);
}
