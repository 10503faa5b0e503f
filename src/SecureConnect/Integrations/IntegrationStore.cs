using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SecureConnect.Common;
using SecureConnect.Workspace;

namespace SecureConnect.Integrations;

/// <summary>An integration as stored in workspace.json: never a password.</summary>
internal sealed class IntegrationRecord
{
    public string Name { get; set; } = string.Empty;

    public IntegrationType Type { get; set; }

    public string HostName { get; set; } = string.Empty;

    public int Port { get; set; }

    public string? Database { get; set; }

    public string? UserName { get; set; }

    public SslMode? SslMode { get; set; }

    /// <summary>File name of the CA certificate inside the workspace's ca/ folder.</summary>
    public string? CaCertificateFile { get; set; }

    /// <summary>File name of the certificate revocation list inside the workspace's ca/ folder (as libpq's sslcrl).</summary>
    public string? CrlFile { get; set; }

    /// <summary>The SecretManagement secret that holds the credential (a name, never the secret).</summary>
    public string? CredentialSecret { get; set; }

    public string? SshBastion { get; set; }

    public int SshBastionPort { get; set; } = 22;

    public string? SshUser { get; set; }

    public string[] SshJumpHost { get; set; } = Array.Empty<string>();

    public string? SshHostKeyFingerprint { get; set; }

    public Dictionary<string, string> Options { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>The workspace's SSL policy levels.</summary>
internal sealed record SslPolicyLevels(SslMode? Default, SslMode? Minimum);

/// <summary>Where a connection's SSL mode came from.</summary>
internal enum SslModeSource
{
    /// <summary>The integration's own -SslMode (or the ad-hoc -SslMode).</summary>
    Integration,

    /// <summary>The workspace default (Set-SslPolicy -Default).</summary>
    Default,

    /// <summary>Neither was set: Preferred.</summary>
    BuiltIn,
}

/// <summary>
/// Integrations and SSL policy levels in workspace.json, read and changed under the workspace lock.
/// </summary>
internal sealed class IntegrationStore
{
    private const string IntegrationsKey = "integrations";
    private const string PolicyKey = "sslPolicy";

    /// <summary>The SslModeSource of an integration that has no SSL mode (a saved SSH tunnel).</summary>
    public const string NotApplicable = nameof(NotApplicable);

    // Names are text people read ('My SSH tunnel', as the hosted notebook names integrations) and also a file name
    // (ca/<name>.pem) and a wildcard target: letters, digits, spaces, '_', '.', '-', never a path or wildcard character,
    // nor a space at either end.
    private static readonly Regex s_name = new("^[A-Za-z0-9](?:[A-Za-z0-9 _.-]{0,62}[A-Za-z0-9_.-])?$", RegexOptions.CultureInvariant);

    private const string NameRule = "1-64 letters, digits, spaces, '_', '.' or '-', starting with a letter or digit and not ending in a space";

    private const string SslModeKey = "sslMode";
    private const string CaFileKey = "caCertificateFile";
    private const string CrlFileKey = "crlFile";
    private const string IntegrationsPath = "$." + IntegrationsKey;
    private const string PolicyPath = "$." + PolicyKey;

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        PropertyNameCaseInsensitive = true,
        // Names only: an enum number in the file ("type": 3) is not taken for whichever member has that value.
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false) },
    };

    private readonly WorkspaceStore _store;

    public IntegrationStore(WorkspaceStore store)
    {
        _store = store;
    }

    public WorkspaceStore Workspace => _store;

    public static void ValidateName(string name)
    {
        if (!s_name.IsMatch(name))
        {
            throw new SecureConnectException(
                ErrorIds.InvalidIntegrationName,
                ErrorKind.InvalidArgument,
                $"'{name}' is not a valid integration name: use {NameRule}, e.g. 'My SSH tunnel'.",
                name);
        }
    }

    /// <summary>
    /// Reads the integrations and the policy levels of <paramref name="settings"/> and throws WorkspaceCorrupt for the
    /// first value that does not read as what it must be (WorkspaceStore checks every settings file it reads with it).
    /// </summary>
    public static void Check(JsonObject settings, WorkspacePaths paths)
    {
        ReadPolicy(settings, paths);
        ReadAll(settings, paths);
    }

    public IReadOnlyList<IntegrationRecord> All() => ReadAll(_store.ReadSettings()).Values.OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ToList();

    public IntegrationRecord Get(string name)
    {
        Dictionary<string, IntegrationRecord> all = ReadAll(_store.ReadSettings());
        return all.TryGetValue(name, out IntegrationRecord? record) ? record : throw NotFound(name);
    }

    public SslPolicyLevels Policy() => ReadPolicy(_store.ReadSettings());

    /// <summary>An integration and the policy levels from one reading of workspace.json (a consistent view).</summary>
    public (IntegrationRecord Record, SslPolicyLevels Levels) GetWithPolicy(string name)
    {
        System.Text.Json.Nodes.JsonObject settings = _store.ReadSettings();
        Dictionary<string, IntegrationRecord> all = ReadAll(settings);
        return all.TryGetValue(name, out IntegrationRecord? record) ? (record, ReadPolicy(settings)) : throw NotFound(name);
    }

    private Dictionary<string, IntegrationRecord> ReadAll(JsonObject settings) => ReadAll(settings, _store.Paths);

    private SslPolicyLevels ReadPolicy(JsonObject settings) => ReadPolicy(settings, _store.Paths);

    /// <summary>Adds a new integration; fails when the name is taken.</summary>
    public IntegrationRecord Add(IntegrationRecord record, Func<IntegrationRecord, string?>? storeCa = null)
    {
        ValidateName(record.Name);
        return _store.UpdateSettings(settings =>
        {
            Dictionary<string, IntegrationRecord> all = ReadAll(settings);
            if (all.ContainsKey(record.Name))
            {
                throw new SecureConnectException(
                    ErrorIds.IntegrationExists,
                    ErrorKind.ResourceExists,
                    $"An integration named '{record.Name}' already exists. Change it with Set-SecureIntegration, or remove it first.",
                    record.Name);
            }

            IntegrationTunnels.Check(record);
            IntegrationTunnels.CheckVariables(record, all.Values);
            if (storeCa is not null)
            {
                record.CaCertificateFile = storeCa(record);
            }

            all[record.Name] = record;
            WriteAll(settings, all);
            return record;
        });
    }

    /// <summary>Changes an integration under the lock.</summary>
    public IntegrationRecord Update(string name, Action<IntegrationRecord> change)
    {
        return _store.UpdateSettings(settings =>
        {
            Dictionary<string, IntegrationRecord> all = ReadAll(settings);
            if (!all.TryGetValue(name, out IntegrationRecord? record))
            {
                throw NotFound(name);
            }

            change(record);
            IntegrationTunnels.Check(record);
            all[record.Name] = record;
            WriteAll(settings, all);
            return record;
        });
    }

    public IntegrationRecord Remove(string name)
    {
        return _store.UpdateSettings(settings =>
        {
            Dictionary<string, IntegrationRecord> all = ReadAll(settings);
            if (!all.Remove(name, out IntegrationRecord? record))
            {
                throw NotFound(name);
            }

            WriteAll(settings, all);
            if (CaPath(record) is { } caPath)
            {
                SecureFile.TryDelete(caPath);
            }

            if (CrlPath(record) is { } crlPath)
            {
                SecureFile.TryDelete(crlPath);
            }

            return record;
        });
    }

    public SslPolicyLevels UpdatePolicy(Func<SslPolicyLevels, SslPolicyLevels> change)
    {
        return _store.UpdateSettings(settings =>
        {
            SslPolicyLevels levels = change(ReadPolicy(settings));
            var node = new JsonObject();
            if (levels.Default is { } d)
            {
                node["default"] = d.ToString();
            }

            if (levels.Minimum is { } m)
            {
                node["minimum"] = m.ToString();
            }

            settings[PolicyKey] = node;
            return levels;
        });
    }

    /// <summary>The mode an integration's queries use, and where it comes from.</summary>
    public static (SslMode Mode, SslModeSource Source) Effective(SslMode? own, SslPolicyLevels levels) =>
        own is { } mode ? (mode, SslModeSource.Integration)
        : levels.Default is { } workspaceDefault ? (workspaceDefault, SslModeSource.Default)
        : (SslMode.Preferred, SslModeSource.BuiltIn);

    /// <summary>The mode an integration's queries use, and where it comes from.</summary>
    public static (SslMode Mode, SslModeSource Source) Effective(IntegrationRecord record, SslPolicyLevels levels) => Effective(record.SslMode, levels);

    /// <summary>The full path of the integration's CA certificate, always inside the workspace's ca/ folder.</summary>
    public string? CaPath(IntegrationRecord record) =>
        record.CaCertificateFile is null
            ? null
            : ResolveCaFile(_store.Paths, record.CaCertificateFile, SettingsJson.Member(SettingsJson.Member(IntegrationsPath, record.Name), CaFileKey));

    /// <summary>The full path of the integration's CRL file, always inside the workspace's ca/ folder.</summary>
    public string? CrlPath(IntegrationRecord record) =>
        record.CrlFile is null
            ? null
            : ResolveCaFile(_store.Paths, record.CrlFile, SettingsJson.Member(SettingsJson.Member(IntegrationsPath, record.Name), CrlFileKey));

    public Integration ToPublic(IntegrationRecord record, SslPolicyLevels levels, bool hasCredential)
    {
        // A saved tunnel has no SSL mode: showing the workspace default on it would claim a policy nothing enforces.
        bool tunnel = record.Type == IntegrationType.SshTunnel;
        (SslMode mode, SslModeSource source) = Effective(record, levels);
        (string Host, string Port)? variables = record.SshBastion is null ? null : TunnelUsage.Variables(record.Name);
        string? caPath = CaPath(record);
        CaCertificateInfo? ca = caPath is not null && File.Exists(caPath) ? CaCertificates.Describe(caPath) : null;
        var options = new Hashtable(StringComparer.OrdinalIgnoreCase);
        foreach (KeyValuePair<string, string> option in record.Options)
        {
            options[option.Key] = option.Value;
        }

        return new Integration(
            record.Name,
            record.Type,
            record.HostName,
            record.Port,
            record.Database,
            record.UserName,
            tunnel ? null : mode,
            tunnel ? NotApplicable : source.ToString(),
            ca,
            record.SshBastion,
            record.SshBastionPort,
            record.SshUser,
            record.SshJumpHost,
            record.SshHostKeyFingerprint,
            options,
            hasCredential,
            variables?.Host,
            variables?.Port,
            tunnel ? TunnelUsage.PowerShell(record.Name) : null,
            tunnel ? TunnelUsage.Python(record.Name) : null,
            record.CredentialSecret,
            CrlPath(record));
    }

    internal static SecureConnectException NotFound(string name) => new(
        ErrorIds.IntegrationNotFound,
        ErrorKind.ObjectNotFound,
        $"There is no integration named '{name}' in this workspace. Get-SecureIntegration lists them; New-SecureIntegration adds one.",
        name);

    private static Dictionary<string, IntegrationRecord> ReadAll(JsonObject settings, WorkspacePaths paths)
    {
        string file = paths.SettingsFile;
        var all = new Dictionary<string, IntegrationRecord>(StringComparer.OrdinalIgnoreCase);
        JsonNode? section = settings[IntegrationsKey];
        if (section is null)
        {
            return all;
        }

        if (section is not JsonObject integrations)
        {
            throw SettingsJson.Corrupt(file, IntegrationsPath, section, "an object of integrations by name");
        }

        foreach (KeyValuePair<string, JsonNode?> entry in integrations)
        {
            string path = SettingsJson.Member(IntegrationsPath, entry.Key);

            // The name becomes a file name (ca/<name>.pem) and a key of the session's credentials.
            if (!s_name.IsMatch(entry.Key))
            {
                throw SettingsJson.Corrupt(file, path, JsonValue.Create(entry.Key), $"an integration name ({NameRule})");
            }

            if (entry.Value is not JsonObject stored)
            {
                throw SettingsJson.Corrupt(file, path, entry.Value, "an integration (a JSON object)");
            }

            // The mode is read here, not by the serializer, so that "Strict" is VerifyFull and nothing else slips by.
            var copy = (JsonObject)stored.DeepClone();
            SslMode? mode = null;
            if (SettingsJson.Find(copy, SslModeKey, file, path) is { } modeEntry)
            {
                mode = SettingsJson.ReadSslMode(modeEntry.Value, file, SettingsJson.Member(path, modeEntry.Key));
                copy.Remove(modeEntry.Key);
            }

            IntegrationRecord? record;
            try
            {
                record = copy.Deserialize<IntegrationRecord>(s_json);
            }
            catch (JsonException e)
            {
                string where = e.Path is { Length: > 1 } member ? path + member[1..] : path;
                throw SettingsJson.Corrupt(file, where, ValueAt(copy, e.Path), "a value of the right type for that setting", e);
            }

            // A port that no socket has would fail later, at connect, with a driver's own exception.
            foreach ((string key, int port) in new[] { ("port", record!.Port), ("sshBastionPort", record.SshBastionPort) })
            {
                if (port is < 1 or > 65535)
                {
                    string member = SettingsJson.Find(copy, key, file, path)?.Key ?? key;
                    throw SettingsJson.Corrupt(file, SettingsJson.Member(path, member), JsonValue.Create(port), "a port from 1 to 65535");
                }
            }

            record.Name = entry.Key;
            record.SslMode = mode;
            record.Options = new Dictionary<string, string>(record.Options ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
            record.SshJumpHost ??= Array.Empty<string>();
            if (record.CaCertificateFile is not null)
            {
                string caKey = SettingsJson.Find(copy, CaFileKey, file, path)?.Key ?? CaFileKey;
                ResolveCaFile(paths, record.CaCertificateFile, SettingsJson.Member(path, caKey));
            }

            if (record.CrlFile is not null)
            {
                string crlKey = SettingsJson.Find(copy, CrlFileKey, file, path)?.Key ?? CrlFileKey;
                ResolveCaFile(paths, record.CrlFile, SettingsJson.Member(path, crlKey));
            }

            all[entry.Key] = record;
        }

        return all;
    }

    /// <summary>
    /// The full path of a CA file named in workspace.json: inside the workspace's ca/ folder or corrupt, so that an edited
    /// value ("../../etc/ssl/x.pem", "/etc/...") is never read as a trust anchor nor deleted with its integration.
    /// </summary>
    private static string ResolveCaFile(WorkspacePaths paths, string value, string jsonPath)
    {
        string caDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(paths.CaDirectory));
        string full;
        try
        {
            full = value.Length == 0 ? caDirectory : Path.GetFullPath(value, caDirectory);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            // A name no file can have ("a\u0000.pem"): found by fuzzing as a raw ArgumentException.
            throw SettingsJson.Corrupt(paths.SettingsFile, jsonPath, JsonValue.Create(value), "a file name", e);
        }

        StringComparison comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (!full.StartsWith(caDirectory + Path.DirectorySeparatorChar, comparison))
        {
            throw SettingsJson.Corrupt(paths.SettingsFile, jsonPath, JsonValue.Create(value), $"a file in the workspace's CA folder '{caDirectory}'");
        }

        return full;
    }

    private static JsonNode? ValueAt(JsonObject integration, string? jsonPath)
    {
        // "$.port" -> the value of port; deeper paths show the whole integration.
        if (jsonPath is { Length: > 2 } && jsonPath.StartsWith("$.", StringComparison.Ordinal) && jsonPath.IndexOfAny(new[] { '.', '[' }, 2) < 0)
        {
            string name = jsonPath[2..];
            return integration.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value ?? integration;
        }

        return integration;
    }

    private static void WriteAll(JsonObject settings, Dictionary<string, IntegrationRecord> all)
    {
        var node = new JsonObject();
        foreach (IntegrationRecord record in all.Values.OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase))
        {
            JsonNode? value = JsonSerializer.SerializeToNode(record, s_json);
            (value as JsonObject)?.Remove("name");
            node[record.Name] = value;
        }

        settings[IntegrationsKey] = node;
    }

    private static SslPolicyLevels ReadPolicy(JsonObject settings, WorkspacePaths paths)
    {
        string file = paths.SettingsFile;
        JsonNode? section = settings[PolicyKey];
        if (section is null)
        {
            return new SslPolicyLevels(null, null);
        }

        if (section is not JsonObject policy)
        {
            throw SettingsJson.Corrupt(file, PolicyPath, section, "an object with the SSL policy levels (\"default\", \"minimum\")");
        }

        return new SslPolicyLevels(ReadLevel(policy, "default", file), ReadLevel(policy, "minimum", file));
    }

    private static SslMode? ReadLevel(JsonObject policy, string name, string file) =>
        SettingsJson.Find(policy, name, file, PolicyPath) is { } entry
            ? SettingsJson.ReadSslMode(entry.Value, file, SettingsJson.Member(PolicyPath, entry.Key))
            : null;

    internal static string FormatOption(object? value) =>
        Convert.ToString(value is System.Management.Automation.PSObject pso ? pso.BaseObject : value, CultureInfo.InvariantCulture) ?? string.Empty;
}
