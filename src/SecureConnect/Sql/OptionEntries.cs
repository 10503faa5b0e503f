using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using SecureConnect.Common;

namespace SecureConnect.Sql;

/// <summary>One -Option entry of an engine without a connection-string builder: the key as typed, the key compacted
/// (no spaces, underscores or dashes) for the engine's rules, and the value as invariant text.</summary>
internal readonly record struct OptionEntry(string Key, string Compact, string Value);

/// <summary>
/// The -Option entries of an engine that judges keys itself (MongoDB, Dremio), after the two refusals every engine
/// makes first: a TLS key is SslPolicyViolation (only the SSL policy sets TLS), a key the integration or SecureConnect
/// sets is InvalidOption.
/// </summary>
internal static class OptionEntries
{
    /// <param name="options">The -Option hashtable.</param>
    /// <param name="tlsKeys">Compacted keys that touch TLS.</param>
    /// <param name="endpointKeys">Compacted keys the integration or SecureConnect sets.</param>
    /// <param name="setBySecureConnect">What SecureConnect itself fixes for this engine, for the InvalidOption message.</param>
    public static IEnumerable<OptionEntry> Checked(IDictionary options, ISet<string> tlsKeys, ISet<string> endpointKeys, string setBySecureConnect)
    {
        foreach (DictionaryEntry entry in options)
        {
            string key = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty;
            object? raw = entry.Value is PSObject pso ? pso.BaseObject : entry.Value;
            string value = raw switch
            {
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => Convert.ToString(raw, CultureInfo.InvariantCulture) ?? string.Empty,
            };
            string compact = key.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal);
            if (tlsKeys.Contains(compact))
            {
                throw new SecureConnectException(
                    ErrorIds.SslPolicyViolation,
                    ErrorKind.SecurityError,
                    $"The option '{key}' would change the connection's TLS settings, which only the SSL policy may set. Use Set-SslPolicy (or -SslMode, and -CaCertificatePath for the CA) instead.",
                    key);
            }

            if (endpointKeys.Contains(compact))
            {
                throw new SecureConnectException(
                    ErrorIds.InvalidOption,
                    ErrorKind.InvalidArgument,
                    $"The option '{key}' is set by the integration itself (-HostName, -Port, -Database, -Credential) or by SecureConnect ({setBySecureConnect}); remove it from -Option.",
                    key);
            }

            yield return new OptionEntry(key, compact, value);
        }
    }
}
