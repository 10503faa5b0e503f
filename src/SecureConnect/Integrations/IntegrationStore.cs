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

/// <summary>
/// Integrations and SSL policy levels in workspace.json, read and changed under the workspace lock.
/// </summary>
internal sealed class IntegrationStore
{
    private const string IntegrationsKey = "integrations";
    private const string PolicyKey = "sslPolicy";

    private static readonly Regex s_name = new("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", RegexOptions.CultureInvariant);

    private static readonly JsonSerializerOptions s_json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
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
                "InvalidIntegrationName",
                ErrorKind.InvalidArgument,
                $"'{name}' is not a valid integration name: use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit.",
                name);
        }
    }

    public IReadOnlyList<IntegrationRecord> All() => ReadAll(_store.ReadSettings()).Values.OrderBy(r => r.Name, StringComparer.OrdinalIgnoreCase).ToList();

    public IntegrationRecord Get(string name)
    {
        Dictionary<string, IntegrationRecord> all = ReadAll(_store.ReadSettings());
        return all.TryGetValue(name, out IntegrationRecord? record) ? record : throw NotFound(name);
    }

    public SslPolicyLevels Policy() => ReadPolicy(_store.ReadSettings());

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
                    "IntegrationExists",
                    ErrorKind.ResourceExists,
                    $"An integration named '{record.Name}' already exists. Change it with Set-SecureIntegration, or remove it first.",
                    record.Name);
            }

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
            if (record.CaCertificateFile is not null)
            {
                SecureFile.TryDelete(Path.Combine(_store.Paths.CaDirectory, record.CaCertificateFile));
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
    public static (SslMode Mode, string Source) Effective(IntegrationRecord record, SslPolicyLevels levels) =>
        record.SslMode is { } own ? (own, "Integration")
        : levels.Default is { } workspaceDefault ? (workspaceDefault, "Default")
        : (SslMode.Preferred, "BuiltIn");

    public string? CaPath(IntegrationRecord record) =>
        record.CaCertificateFile is null ? null : Path.Combine(_store.Paths.CaDirectory, record.CaCertificateFile);

    public Integration ToPublic(IntegrationRecord record, SslPolicyLevels levels, bool hasCredential)
    {
        (SslMode mode, string source) = Effective(record, levels);
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
            mode,
            source,
            ca,
            record.SshBastion,
            record.SshBastionPort,
            record.SshUser,
            record.SshJumpHost,
            record.SshHostKeyFingerprint,
            options,
            hasCredential);
    }

    private static SecureConnectException NotFound(string name) => new(
        "IntegrationNotFound",
        ErrorKind.ObjectNotFound,
        $"There is no integration named '{name}' in this workspace. Get-SecureIntegration lists them; New-SecureIntegration adds one.",
        name);

    private static Dictionary<string, IntegrationRecord> ReadAll(JsonObject settings)
    {
        var all = new Dictionary<string, IntegrationRecord>(StringComparer.OrdinalIgnoreCase);
        if (settings[IntegrationsKey] is JsonObject integrations)
        {
            foreach (KeyValuePair<string, JsonNode?> entry in integrations)
            {
                try
                {
                    IntegrationRecord? record = entry.Value?.Deserialize<IntegrationRecord>(s_json);
                    if (record is not null)
                    {
                        record.Name = entry.Key;
                        record.Options = new Dictionary<string, string>(record.Options ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
                        record.SshJumpHost ??= Array.Empty<string>();
                        all[entry.Key] = record;
                    }
                }
                catch (JsonException e)
                {
                    throw new SecureConnectException(
                        "WorkspaceCorrupt",
                        ErrorKind.InvalidData,
                        $"The integration '{entry.Key}' in workspace.json is not valid ({e.Message}). Fix the file or remove that entry; SecureConnect will not overwrite it.",
                        entry.Key,
                        e);
                }
            }
        }

        return all;
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

    private static SslPolicyLevels ReadPolicy(JsonObject settings)
    {
        JsonObject? policy = settings[PolicyKey] as JsonObject;
        return new SslPolicyLevels(ParseMode(policy?["default"]), ParseMode(policy?["minimum"]));
    }

    private static SslMode? ParseMode(JsonNode? node)
    {
        string? text = node?.GetValue<string>();
        return text is not null && Enum.TryParse(text, ignoreCase: true, out SslMode mode) ? mode : null;
    }

    internal static string FormatOption(object? value) =>
        Convert.ToString(value is System.Management.Automation.PSObject pso ? pso.BaseObject : value, CultureInfo.InvariantCulture) ?? string.Empty;
}
