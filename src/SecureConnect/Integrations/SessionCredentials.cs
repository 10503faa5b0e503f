using System;
using System.Collections.Concurrent;
using System.Management.Automation;

namespace SecureConnect.Integrations;

/// <summary>
/// Credentials given to New-/Set-SecureIntegration, kept in this process's memory only (never written anywhere),
/// per workspace and integration, for every runspace of the process.
/// </summary>
internal static class SessionCredentials
{
    private static readonly ConcurrentDictionary<string, PSCredential> s_credentials = new(StringComparer.OrdinalIgnoreCase);

    public static void Set(string workspace, string integration, PSCredential credential) => s_credentials[Key(workspace, integration)] = credential;

    public static PSCredential? Get(string workspace, string integration) =>
        s_credentials.TryGetValue(Key(workspace, integration), out PSCredential? credential) ? credential : null;

    public static void Remove(string workspace, string integration) => s_credentials.TryRemove(Key(workspace, integration), out _);

    private static string Key(string workspace, string integration) => workspace + "\n" + integration;
}
