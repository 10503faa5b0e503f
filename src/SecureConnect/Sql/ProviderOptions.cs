using System;
using System.Collections;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Management.Automation;
using SecureConnect.Common;

namespace SecureConnect.Sql;

/// <summary>
/// What an engine lets -Option set, by the driver's own canonical names: TLS settings (only the SSL policy sets
/// them), the endpoint and login (only the integration sets them), and an allow-list of the settings that only tune
/// the driver. Anything else is refused: an option the list does not know is never passed on.
/// </summary>
internal sealed class OptionRules
{
    public OptionRules(IEnumerable<string> tls, IEnumerable<string> endpoint, IEnumerable<string> allowed)
    {
        Tls = new HashSet<string>(tls.Select(ProviderOptions.Normalize), StringComparer.Ordinal);
        Endpoint = new HashSet<string>(endpoint.Select(ProviderOptions.Normalize), StringComparer.Ordinal);
        Allowed = allowed.ToArray();
        AllowedNormalized = new HashSet<string>(Allowed.Select(ProviderOptions.Normalize), StringComparer.Ordinal);
    }

    public HashSet<string> Tls { get; }

    public HashSet<string> Endpoint { get; }

    public IReadOnlyList<string> Allowed { get; }

    public HashSet<string> AllowedNormalized { get; }
}

/// <summary>
/// Applies an integration's -Option values to a driver's connection string builder. Each key is first resolved to
/// the driver's canonical name (so aliases such as Npgsql's PSW or MySqlConnector's Tls-Version are judged as what
/// they are), then judged against the engine's <see cref="OptionRules"/>; each provider checks the effective
/// connection string again after it is built.
/// </summary>
internal static class ProviderOptions
{
    public static void Apply(DbConnectionStringBuilder builder, IDictionary options, OptionRules rules)
    {
        foreach (DictionaryEntry entry in options)
        {
            string key = Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            object? value = entry.Value is PSObject pso ? pso.BaseObject : entry.Value;
            string canonical = Canonical(builder, key, value, out Exception? refused);
            string normalized = Normalize(canonical);
            if (rules.Tls.Contains(normalized))
            {
                throw new SecureConnectException(
                    ErrorIds.SslPolicyViolation,
                    ErrorKind.SecurityError,
                    $"The option '{key}' (the driver's '{canonical}') would change the connection's TLS settings, which only the SSL policy may set. Use Set-SslPolicy (or -SslMode) instead.",
                    key);
            }

            if (rules.Endpoint.Contains(normalized))
            {
                throw new SecureConnectException(
                    ErrorIds.InvalidOption,
                    ErrorKind.InvalidArgument,
                    $"The option '{key}' (the driver's '{canonical}') is set by the integration itself (-HostName, -Port, -Database, -Credential); remove it from -Option.",
                    key);
            }

            if (refused is not null)
            {
                throw new SecureConnectException(
                    ErrorIds.InvalidOption,
                    ErrorKind.InvalidArgument,
                    $"The driver does not accept the option '{key}' with that value: {refused.Message}",
                    key,
                    refused);
            }

            if (!rules.AllowedNormalized.Contains(normalized))
            {
                throw new SecureConnectException(
                    ErrorIds.InvalidOption,
                    ErrorKind.InvalidArgument,
                    $"The option '{key}' (the driver's '{canonical}') is not one SecureConnect passes on: only settings that tune the driver are, never those that could weaken TLS, move or add an endpoint, log in another way or reach local files. Allowed: {string.Join(", ", rules.Allowed)}.",
                    key);
            }

            builder[key] = value;
        }
    }

    /// <summary>Fails when the effective TLS setting is not the one the policy asked for.</summary>
    public static void EnsureEffective(string what, object? expected, object? actual)
    {
        if (!Equals(expected, actual))
        {
            throw new SecureConnectException(
                ErrorIds.SslPolicyViolation,
                ErrorKind.SecurityError,
                $"The effective connection string has {what} = '{actual}', but the SSL policy requires '{expected}'. Nothing was sent.",
                what);
        }
    }

    internal static string Normalize(string key) => key.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal).ToLowerInvariant();

    /// <summary>The driver's own name for <paramref name="key"/>: set it on an empty builder of the same driver and read back the key it wrote.</summary>
    private static string Canonical(DbConnectionStringBuilder builder, string key, object? value, out Exception? refused)
    {
        refused = null;
        var probe = (DbConnectionStringBuilder)Activator.CreateInstance(builder.GetType())!;
        try
        {
            probe[key] = value;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException or KeyNotFoundException or NotSupportedException)
        {
            // Judged as given (a TLS or endpoint name is still refused as such), then refused for the driver's reason.
            refused = e;
            return key;
        }

        var written = new DbConnectionStringBuilder { ConnectionString = probe.ConnectionString };
        foreach (string name in written.Keys)
        {
            // The driver writes its canonical spelling; a generic builder gives it back lower-cased, so match it
            // against the driver's own key list for the display spelling.
            foreach (string known in probe.Keys)
            {
                if (string.Equals(known, name, StringComparison.OrdinalIgnoreCase))
                {
                    return known;
                }
            }

            return name;
        }

        // The driver wrote nothing (a value equal to its default, or a key it ignores): judge the key as given.
        return key;
    }
}
