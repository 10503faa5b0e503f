using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using SecureConnect.Ssh.Keys;

namespace SecureConnect.Ssh.KnownHosts;

/// <summary>
/// Decides whether to trust the host key a bastion presents. Stricter than OpenSSH in one respect: when the host
/// is known, a key of a type that known_hosts does not hold for it counts as a changed key rather than a new
/// one, because accepting it would let an attacker who cannot forge the known key simply offer another type.
/// </summary>
internal static class HostKeyVerifier
{
    private const string Sha256Prefix = "SHA256:";

    public static HostKeyDecision Decide(
        KnownHostsFile file,
        string host,
        int port,
        string keyType,
        byte[] blob,
        HostKeyPolicy policy,
        string? pinnedFingerprint)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(keyType);
        ArgumentNullException.ThrowIfNull(blob);

        string presented = SshFingerprint.Sha256(blob);
        List<KnownHostEntry> entries = file.Find(host, port).ToList();
        List<KnownHostEntry> trusted = entries.Where(e => !e.IsRevoked).ToList();
        string[] known = trusted.Select(e => e.Fingerprint).Distinct(StringComparer.Ordinal).ToArray();
        string where = Display(host, port);

        HostKeyDecision Make(HostKeyOutcome outcome, string message, KnownHostEntry? entry = null) =>
            new(outcome, host, port, keyType, presented, known, message, entry);

        KnownHostEntry? revoked = entries.FirstOrDefault(e => e.IsRevoked && e.HasKey(keyType, blob));
        if (revoked is not null)
        {
            return Make(
                HostKeyOutcome.Revoked,
                $"The host key of {where} ({keyType} {presented}) is revoked in known_hosts ('{file.Path}', line {revoked.LineNumber.ToString(CultureInfo.InvariantCulture)}). " +
                "Nothing was sent to the server. Do not connect until the bastion's administrator has installed a new host key; " +
                $"then verify its fingerprint with them and run: Get-SshServerKey -HostName {host} -Port {port.ToString(CultureInfo.InvariantCulture)} | Add-SshKnownHost",
                revoked);
        }

        // An explicit pin is the caller's own out-of-band verification, so it decides over known_hosts; only a
        // revocation (checked first) overrides it.
        if (!string.IsNullOrEmpty(pinnedFingerprint))
        {
            string pin = pinnedFingerprint.Trim();
            if (string.Equals(NormalizeFingerprint(pin), presented.Substring(Sha256Prefix.Length), StringComparison.Ordinal))
            {
                return Make(HostKeyOutcome.TrustedByPin, $"The host key of {where} ({keyType} {presented}) matches the pinned fingerprint.");
            }

            string hint = LooksLikeSha256(pin)
                ? string.Empty
                : $" A pin is the SHA256 fingerprint as 'ssh-keygen -l' prints it, e.g. '{presented}'; MD5 fingerprints are not accepted.";
            return Make(
                HostKeyOutcome.Mismatch,
                $"The host key of {where} does not match the pinned fingerprint {pin} (presented: {presented}). Nothing was sent to the server.{hint}");
        }

        KnownHostEntry? match = trusted.FirstOrDefault(e => e.HasKey(keyType, blob));
        if (match is not null)
        {
            return Make(
                HostKeyOutcome.Trusted,
                $"The host key of {where} ({keyType} {presented}) matches known_hosts line {match.LineNumber.ToString(CultureInfo.InvariantCulture)}.",
                match);
        }

        string portText = port.ToString(CultureInfo.InvariantCulture);
        if (trusted.Count > 0)
        {
            // Types are shown because a key of another type is the case users find hardest to explain.
            string knownList = string.Join(
                ", ",
                trusted.Select(e => $"{e.Fingerprint} ({e.KeyType})").Distinct(StringComparer.Ordinal));
            return Make(
                HostKeyOutcome.Mismatch,
                $"The host key of {where} does not match the trusted one (trusted: {knownList}; presented: {presented} ({keyType})). " +
                "This can mean an attacker is intercepting the connection, or that the host key was replaced. Nothing was sent to the server. " +
                $"If the change is expected, run: Remove-SshKnownHost -HostName {host} -Port {portText}; Get-SshServerKey -HostName {host} -Port {portText} | Add-SshKnownHost");
        }

        if (policy == HostKeyPolicy.AcceptNew)
        {
            return Make(
                HostKeyOutcome.TrustOnFirstUse,
                $"The host key of {where} ({keyType} {presented}) was not known; it is trusted on first use and recorded in known_hosts ('{file.Path}').");
        }

        return Make(
            HostKeyOutcome.Unknown,
            $"The host key of {where} is not trusted yet ({keyType} {presented}). Verify the fingerprint with the bastion's administrator, then run: " +
            $"Get-SshServerKey -HostName {host} -Port {portText} | Add-SshKnownHost   " +
            $"(or trust it on first use with Start-SshTunnel -HostKeyPolicy AcceptNew, or pin it: Start-SshTunnel -HostKeyFingerprint '{presented}', for an integration Set-SecureIntegration -SshHostKeyFingerprint '{presented}').");
    }

    /// <summary>
    /// The distinct key types of the non-revoked entries for host:port, in file order; the tunnel offers only
    /// these algorithms so the server cannot steer it to a key type we have no record of.
    /// </summary>
    public static IReadOnlyList<string> KnownKeyTypes(KnownHostsFile file, string host, int port)
    {
        ArgumentNullException.ThrowIfNull(file);
        return file.Find(host, port)
            .Where(e => !e.IsRevoked)
            .Select(e => e.KeyType)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The host key signature algorithms that verify a key of <paramref name="keyType"/>. An ssh-rsa key signs
    /// with rsa-sha2-512/256 on modern servers; ssh-rsa (SHA-1) comes last for old ones.
    /// </summary>
    public static IReadOnlyList<string> HostKeyAlgorithmsFor(string keyType)
    {
        ArgumentNullException.ThrowIfNull(keyType);
        return keyType switch
        {
            "ssh-rsa" => new[] { "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa" },
            _ => new[] { keyType },
        };
    }

    /// <summary>host:port for messages, with IPv6 addresses in brackets so the port stays readable.</summary>
    internal static string Display(string host, int port) =>
        (host.Contains(':') ? "[" + host + "]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The base64 part of a SHA256 fingerprint, with or without its prefix and '=' padding.</summary>
    private static string NormalizeFingerprint(string fingerprint)
    {
        string value = fingerprint.StartsWith(Sha256Prefix, StringComparison.OrdinalIgnoreCase)
            ? fingerprint.Substring(Sha256Prefix.Length)
            : fingerprint;
        return value.TrimEnd('=');
    }

    private static bool LooksLikeSha256(string pin)
    {
        // 32 bytes are 43 base64 characters without padding.
        string value = NormalizeFingerprint(pin);
        return value.Length == 43 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/');
    }
}
