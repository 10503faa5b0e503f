using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureConnect.Common;
using SecureConnect.Workspace;

namespace SecureConnect.Egress;

/// <summary>
/// The workspace's configured egress addresses (workspace.json "egress"), this machine's interface addresses, and
/// the presets shipped as data with the module.
/// </summary>
internal sealed class EgressStore
{
    private const string Key = "egress";
    private const string PresetFile = "egress-presets.json";

    private readonly WorkspaceStore _store;

    public EgressStore(WorkspaceStore store)
    {
        _store = store;
    }

    public IReadOnlyList<EgressAddress> Configured() => Read(_store.ReadSettings(), _store.Paths.SettingsFile);

    /// <summary>Throws WorkspaceCorrupt when the egress section does not read (WorkspaceStore checks every settings file it reads).</summary>
    public static void Check(JsonObject settings, string file) => Read(settings, file);

    /// <summary>Adds addresses; a duplicate fails with EgressAddressExists and nothing is added.</summary>
    public IReadOnlyList<EgressAddress> Add(IReadOnlyList<IpNet> networks, string? description)
    {
        return _store.UpdateSettings(settings =>
        {
            List<EgressAddress> current = Read(settings, _store.Paths.SettingsFile).ToList();
            var added = new List<EgressAddress>();
            foreach (IpNet network in networks)
            {
                EgressAddress? existing = current.Concat(added).FirstOrDefault(e => e.Cidr == network.Cidr);
                if (existing is not null)
                {
                    throw new SecureConnectException(
                        ErrorIds.EgressAddressExists,
                        ErrorKind.ResourceExists,
                        $"{network.Cidr} is already in the allowlist" + (existing.Description is null ? "." : $" ('{existing.Description}').") + " Remove-EgressAddress first to change its description.",
                        network.Cidr);
                }

                added.Add(new EgressAddress(network.Address.ToString(), network.PrefixLength, network.Family, EgressSource.Configured, description));
            }

            Write(settings, current.Concat(added));
            return (IReadOnlyList<EgressAddress>)added;
        });
    }

    public bool Remove(string cidr)
    {
        return _store.UpdateSettings(settings =>
        {
            List<EgressAddress> current = Read(settings, _store.Paths.SettingsFile).ToList();
            int removed = current.RemoveAll(e => e.Cidr == cidr);
            Write(settings, current);
            return removed > 0;
        });
    }

    /// <summary>This machine's own unicast, non-loopback addresses.</summary>
    public static IReadOnlyList<EgressAddress> Interfaces()
    {
        var result = new List<EgressAddress>();
        foreach (NetworkInterface nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback)
            {
                continue;
            }

            foreach (UnicastIPAddressInformation unicast in nic.GetIPProperties().UnicastAddresses)
            {
                IPAddress address = unicast.Address;
                if (IPAddress.IsLoopback(address) || address.IsIPv6LinkLocal || address.IsIPv6Multicast)
                {
                    continue;
                }

                bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
                result.Add(new EgressAddress(address.ToString(), v6 ? 128 : 32, v6 ? "IPv6" : "IPv4", EgressSource.Interface, $"interface {nic.Name}"));
            }
        }

        return result;
    }

    /// <summary>The named preset's addresses.</summary>
    public static IReadOnlyList<EgressAddress> Preset(string name)
    {
        JsonObject presets = LoadPresets();
        foreach (KeyValuePair<string, JsonNode?> preset in presets)
        {
            if (string.Equals(preset.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                string description = preset.Value?["description"]?.GetValue<string>() ?? preset.Key;
                return preset.Value?["addresses"]?.AsArray()
                    .Select(a => IpNet.Parse(a!.GetValue<string>()))
                    .Select(n => new EgressAddress(n.Address.ToString(), n.PrefixLength, n.Family, EgressSource.Preset, $"{preset.Key}: {description}"))
                    .ToList() ?? new List<EgressAddress>();
            }
        }

        throw new SecureConnectException(
            ErrorIds.PresetNotFound,
            ErrorKind.ObjectNotFound,
            $"There is no egress preset named '{name}'. Known presets: {string.Join(", ", PresetNames())}.",
            name);
    }

    public static IReadOnlyList<string> PresetNames() => LoadPresets().Select(p => p.Key).OrderBy(n => n, StringComparer.OrdinalIgnoreCase).ToList();

    private static JsonObject LoadPresets()
    {
        string path = Path.Combine(Path.GetDirectoryName(typeof(EgressStore).Assembly.Location)!, PresetFile);
        JsonNode? root = JsonNode.Parse(File.ReadAllText(path));
        return root?["presets"] as JsonObject ?? new JsonObject();
    }

    /// <summary>
    /// The configured addresses. A value that does not read as a list of {cidr, description} entries is WorkspaceCorrupt
    /// (never skipped, so a later change never replaces what the file held).
    /// </summary>
    private static IReadOnlyList<EgressAddress> Read(JsonObject settings, string file)
    {
        var result = new List<EgressAddress>();
        JsonNode? value = settings[Key];
        if (value is null)
        {
            return result;
        }

        if (value is not JsonArray entries)
        {
            throw SettingsJson.Corrupt(file, "$." + Key, value, "a list of egress entries");
        }

        for (int i = 0; i < entries.Count; i++)
        {
            string path = $"$.{Key}[{i}]";
            if (entries[i] is not JsonObject entry || entry["cidr"] is not JsonValue cidrValue || !cidrValue.TryGetValue(out string? cidr))
            {
                throw SettingsJson.Corrupt(file, path, entries[i], "an entry with a \"cidr\" text");
            }

            string? description = null;
            if (entry["description"] is { } describedNode && (describedNode is not JsonValue describedValue || !describedValue.TryGetValue(out description)))
            {
                throw SettingsJson.Corrupt(file, path + ".description", describedNode, "a text");
            }

            IpNet network;
            try
            {
                network = IpNet.Parse(cidr);
            }
            catch (SecureConnectException e) when (e.ErrorId is ErrorIds.InvalidAddress or ErrorIds.HostBitsSet)
            {
                throw SettingsJson.Corrupt(file, path + ".cidr", cidrValue, "an address or network (" + e.Message + ")", e);
            }

            result.Add(new EgressAddress(network.Address.ToString(), network.PrefixLength, network.Family, EgressSource.Configured, description));
        }

        return result;
    }

    private static void Write(JsonObject settings, IEnumerable<EgressAddress> entries)
    {
        var array = new JsonArray();
        foreach (EgressAddress entry in entries)
        {
            var node = new JsonObject { ["cidr"] = entry.Cidr };
            if (entry.Description is not null)
            {
                node["description"] = entry.Description;
            }

            array.Add(node);
        }

        settings[Key] = array;
    }
}
