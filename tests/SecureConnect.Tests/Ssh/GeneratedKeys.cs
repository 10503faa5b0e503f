using System;
using System.Collections.Concurrent;
using SecureConnect.Ssh.Keys;
using KeyAlgorithm = SecureConnect.Ssh.Keys.SshKeyAlgorithm;

namespace SecureConnect.Tests.Ssh;

/// <summary>
/// Keys generated once per test run and shared: even with the platform's generator a 4096-bit RSA key takes
/// a noticeable fraction of a second.
/// </summary>
internal static class GeneratedKeys
{
    private static readonly ConcurrentDictionary<KeyAlgorithm, Lazy<SshKeyPair>> s_keys = new();

    public static SshKeyPair Get(KeyAlgorithm algorithm) =>
        s_keys.GetOrAdd(algorithm, a => new Lazy<SshKeyPair>(() => SshKeyGenerator.Generate(a, "test-" + a.ToString().ToLowerInvariant() + "@secureconnect"))).Value;
}
