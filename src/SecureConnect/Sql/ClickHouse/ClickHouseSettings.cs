using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Text.RegularExpressions;
using SecureConnect.Common;

namespace SecureConnect.Sql.ClickHouse;

/// <summary>
/// What -Option may set on a ClickHouse integration: server settings that only limit or tune a query (threads, block
/// size, result and memory limits, read-only), sent as URL parameters with each request. TLS-like keys are the SSL
/// policy's (SslPolicyViolation); the endpoint, login, format and query identity are the integration's or
/// SecureConnect's own (InvalidOption); output format settings would change what the parser reads (InvalidOption); any
/// other key is refused because it is not on the list.
/// </summary>
internal static class ClickHouseSettings
{
    public static readonly IReadOnlyList<string> Allowed = new[]
    {
        "max_threads", "max_block_size", "max_result_rows", "max_result_bytes", "result_overflow_mode",
        "max_rows_to_read", "max_bytes_to_read", "read_overflow_mode", "max_memory_usage", "max_execution_time",
        "timeout_overflow_mode", "readonly", "priority", "max_rows_to_group_by", "group_by_overflow_mode",
        "max_bytes_before_external_group_by", "max_bytes_before_external_sort", "join_use_nulls",
        "use_uncompressed_cache", "max_query_size", "max_rows_to_sort", "max_bytes_to_sort", "sort_overflow_mode",
        "max_ast_depth", "max_ast_elements", "max_expanded_ast_elements",
    };

    private static readonly HashSet<string> s_tls = new(StringComparer.OrdinalIgnoreCase)
    {
        "ssl", "sslmode", "ssl_mode", "secure", "tls", "https", "protocol", "scheme", "verify", "sslverify", "ca", "cacert",
        "ca_cert", "sslrootcert", "trustservercertificate", "trust_server_certificate", "skip_verify", "insecure",
    };

    private static readonly HashSet<string> s_endpoint = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "server", "hostname", "port", "database", "db", "user", "username", "password", "key", "quota_key",
        "query_id", "session_id", "session_timeout", "session_check", "default_format", "format", "query",
        "compress", "decompress", "enable_http_compression", "buffer_size", "wait_end_of_query", "url", "endpoint",
    };

    // A value ClickHouse reads as a number or a word ('throw', 'break'): nothing that could carry another setting.
    private static readonly Regex s_value = new("^[A-Za-z0-9_.-]{1,64}$", RegexOptions.CultureInvariant);

    /// <summary>The settings to send, by ClickHouse's own names; throws for any key that is not an allowed tuning setting.</summary>
    public static List<KeyValuePair<string, string>> From(IDictionary options)
    {
        var settings = new List<KeyValuePair<string, string>>();
        foreach (DictionaryEntry entry in options)
        {
            string key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty;
            object? raw = entry.Value is PSObject pso ? pso.BaseObject : entry.Value;
            string compact = key.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("-", "_", StringComparison.Ordinal);
            if (s_tls.Contains(compact) || s_tls.Contains(compact.Replace("_", string.Empty, StringComparison.Ordinal)))
            {
                throw new SecureConnectException(
                    ErrorIds.SslPolicyViolation,
                    ErrorKind.SecurityError,
                    $"The option '{key}' would change the connection's TLS settings, which only the SSL policy may set. Use Set-SslPolicy (or -SslMode) instead.",
                    key);
            }

            if (s_endpoint.Contains(compact) || compact.StartsWith("param_", StringComparison.OrdinalIgnoreCase) || compact.StartsWith("session_", StringComparison.OrdinalIgnoreCase))
            {
                throw new SecureConnectException(
                    ErrorIds.InvalidOption,
                    ErrorKind.InvalidArgument,
                    $"The option '{key}' is set by the integration itself (-HostName, -Port, -Database, -Credential) or by SecureConnect for each query (format, query id, parameters); remove it from -Option.",
                    key);
            }

            string? canonical = Allowed.FirstOrDefault(a => string.Equals(a, compact, StringComparison.OrdinalIgnoreCase));
            if (canonical is null)
            {
                throw new SecureConnectException(
                    ErrorIds.InvalidOption,
                    ErrorKind.InvalidArgument,
                    $"The option '{key}' is not a ClickHouse setting SecureConnect passes on: only settings that limit or tune a query are, never those that could weaken TLS, move the endpoint, log in another way, change the output format or reach files. Allowed: {string.Join(", ", Allowed)}.",
                    key);
            }

            string value = raw switch
            {
                bool b => b ? "1" : "0",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => Convert.ToString(raw, CultureInfo.InvariantCulture) ?? string.Empty,
            };
            if (!s_value.IsMatch(value))
            {
                throw new SecureConnectException(
                    ErrorIds.InvalidOption,
                    ErrorKind.InvalidArgument,
                    $"The value of option '{key}' must be a number or a single word (letters, digits, '_', '.', '-').",
                    key);
            }

            settings.Add(new KeyValuePair<string, string>(canonical, value));
        }

        return settings;
    }

    /// <summary>
    /// A -ConnectionString for ClickHouse: Host (or Server), Port, Database, User (or Username), Password; any other
    /// key is an option, judged like -Option.
    /// </summary>
    public static ParsedConnectionString Parse(string connectionString) => ConnectionStrings.ParseKeyValues(connectionString, "database", "db");

    /// <summary>The settings without secrets, for Verbose output.</summary>
    public static string Describe(IEnumerable<KeyValuePair<string, string>> settings)
    {
        var text = new StringBuilder();
        foreach (KeyValuePair<string, string> setting in settings)
        {
            text.Append(text.Length == 0 ? string.Empty : ", ").Append(setting.Key).Append('=').Append(setting.Value);
        }

        return text.Length == 0 ? "no settings" : text.ToString();
    }
}
