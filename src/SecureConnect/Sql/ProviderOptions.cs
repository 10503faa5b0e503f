using System;
using System.Collections;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Management.Automation;
using SecureConnect.Common;

namespace SecureConnect.Sql;

/// <summary>
/// Applies an integration's -Option values to a driver's connection string builder. Options can tune a driver
/// (timeouts, application name, pooling) but never touch TLS, credentials or the endpoint: those keys are refused,
/// and each provider checks the effective connection string again after it is built.
/// </summary>
internal static class ProviderOptions
{
    public static void Apply(DbConnectionStringBuilder builder, IDictionary options, IEnumerable<string> securityKeys, IEnumerable<string> endpointKeys)
    {
        var security = new HashSet<string>(securityKeys.Select(Normalize), StringComparer.Ordinal);
        var endpoint = new HashSet<string>(endpointKeys.Select(Normalize), StringComparer.Ordinal);
        foreach (DictionaryEntry entry in options)
        {
            string key = Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
            string normalized = Normalize(key);
            if (security.Contains(normalized))
            {
                throw new SecureConnectException(
                    "SslPolicyViolation",
                    ErrorKind.SecurityError,
                    $"The option '{key}' would change the connection's TLS settings, which only the SSL policy may set. Use Set-SslPolicy (or -SslMode) instead.",
                    key);
            }

            if (endpoint.Contains(normalized))
            {
                throw new SecureConnectException(
                    "InvalidOption",
                    ErrorKind.InvalidArgument,
                    $"The option '{key}' is set by the integration itself (-HostName, -Port, -Database, -Credential); remove it from -Option.",
                    key);
            }

            object? value = entry.Value is PSObject pso ? pso.BaseObject : entry.Value;
            try
            {
                builder[key] = value;
            }
            catch (ArgumentException e)
            {
                throw new SecureConnectException(
                    "InvalidOption",
                    ErrorKind.InvalidArgument,
                    $"The driver does not accept the option '{key}' = '{value}': {e.Message}",
                    key,
                    e);
            }
        }
    }

    /// <summary>Fails when the effective TLS setting is not the one the policy asked for.</summary>
    public static void EnsureEffective(string what, object? expected, object? actual)
    {
        if (!Equals(expected, actual))
        {
            throw new SecureConnectException(
                "SslPolicyViolation",
                ErrorKind.SecurityError,
                $"The effective connection string has {what} = '{actual}', but the SSL policy requires '{expected}'. Nothing was sent.",
                what);
        }
    }

    private static string Normalize(string key) => key.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal).ToLowerInvariant();
}
