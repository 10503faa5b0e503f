using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net;
using SecureConnect.Common;
using SecureConnect.Egress;
using SecureConnect.Integrations;
using SecureConnect.Sql;

namespace SecureConnect.Commands;

/// <summary>Get-EgressAllowlist: the addresses a database firewall must allow.</summary>
[Cmdlet(VerbsCommon.Get, "EgressAllowlist", HelpUri = HelpUris.Cmdlets + "Get-EgressAllowlist.md")]
[OutputType(typeof(EgressAddress))]
public sealed class GetEgressAllowlistCommand : IntegrationCmdlet
{
    /// <summary>An integration: its server reports the address it sees (Observed).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(IntegrationNameCompleter))]
    public string? Integration { get; set; }

    /// <summary>Configured (default), Interface, Observed (with -Integration) or Preset (with -Preset).</summary>
    [Parameter]
    public EgressSource? Source { get; set; }

    /// <summary>A built-in list of a well-known service's published egress addresses (e.g. Deepnote).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(EgressPresetCompleter))]
    public string? Preset { get; set; }

    /// <summary>The login for -Integration (overrides the session's).</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        try
        {
            EgressSource source = Source ?? (Integration is not null ? EgressSource.Observed : Preset is not null ? EgressSource.Preset : EgressSource.Configured);
            switch (source)
            {
                case EgressSource.Configured:
                    WriteObject(new EgressStore(Store).Configured(), enumerateCollection: true);
                    break;
                case EgressSource.Interface:
                    WriteObject(EgressStore.Interfaces(), enumerateCollection: true);
                    break;
                case EgressSource.Preset:
                    foreach (string name in Preset is null ? EgressStore.PresetNames() : new[] { Preset })
                    {
                        WriteObject(EgressStore.Preset(name), enumerateCollection: true);
                    }

                    break;
                case EgressSource.Observed:
                    if (Integration is null)
                    {
                        ThrowTerminating(ErrorIds.IntegrationRequired, ErrorKind.InvalidArgument, "-Source Observed needs -Integration: the database whose server reports the address it sees.", "Integration");
                    }

                    WriteObject(Observe(Integration!).Address);
                    break;
            }
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
    }

    private (EgressAddress Address, string Via) Observe(string name) => EgressObserver.Observe(this, name, Credential);
}

/// <summary>Asks a database which address it sees for this connection.</summary>
internal static class EgressObserver
{
    public static (EgressAddress Address, string Via) Observe(IntegrationCmdlet cmdlet, string name, PSCredential? credential)
    {
        (ConnectionPlan spec, NetworkCredential? network, SslPolicyLevels levels) = cmdlet.ResolveIntegration(name, credential);
        cmdlet.WarnAboutKnownHostsFor(spec);
        using IEngineSession opened = SecureConnectionOpener.Open(spec, network, levels, cmdlet.Store, null, cmdlet.Verbose, cmdlet.Cancel);
        ServerSessionInfo session = opened.DescribeSession(cmdlet.Cancel);
        if (session.ClientAddress is null || !IPAddress.TryParse(session.ClientAddress, out IPAddress? address))
        {
            throw new SecureConnectException(
                ErrorIds.AddressNotObserved,
                ErrorKind.InvalidData,
                $"The server of '{name}' did not report the client address of this connection ('{session.ClientAddress}'); it may connect through a local socket or a proxy.",
                name);
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        bool v6 = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        string description = spec.Tunnel is not null
            ? $"the address '{name}' sees: the SSH bastion {spec.Tunnel.Bastion.HostName}'s on the database's network (the connection goes through the tunnel). Allow this address, not this machine's."
            : $"the address '{name}' sees for this machine's connection (after any NAT). Allow this address.";
        return (new EgressAddress(address.ToString(), v6 ? 128 : 32, v6 ? "IPv6" : "IPv4", EgressSource.Observed, description), opened.Via);
    }
}

/// <summary>Add-EgressAddress: declares addresses the workspace's connections leave from.</summary>
[Cmdlet(VerbsCommon.Add, "EgressAddress", SupportsShouldProcess = true, HelpUri = HelpUris.Cmdlets + "Add-EgressAddress.md")]
[OutputType(typeof(EgressAddress))]
public sealed class AddEgressAddressCommand : SecureConnectCmdlet
{
    /// <summary>Addresses or CIDR networks.</summary>
    // By value only: an EgressAddress converts to its Cidr, whereas binding by property name would take its
    // Address property and lose the prefix length.
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [Alias("Cidr")]
    [ValidateNotNullOrEmpty]
    public string[] Address { get; set; } = Array.Empty<string>();

    /// <summary>What the addresses are (a NAT gateway, a runbook worker).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? Description { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        try
        {
            // Every value is checked before anything is written: one bad address adds none.
            List<IpNet> networks = Address.Select(IpNet.Parse).ToList();
            foreach (IpNet everyone in networks.Where(n => n.AllowsEveryone))
            {
                WriteWarning(EveryoneWarning.For(everyone, "The allowlist"));
            }

            string list = string.Join(", ", networks.Select(n => n.Cidr));
            if (!ShouldProcess(list, "Add to the egress allowlist"))
            {
                return;
            }

            WriteObject(new EgressStore(Store).Add(networks, Description), enumerateCollection: true);
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
    }
}

/// <summary>Remove-EgressAddress: takes addresses off the configured allowlist.</summary>
[Cmdlet(VerbsCommon.Remove, "EgressAddress", SupportsShouldProcess = true, HelpUri = HelpUris.Cmdlets + "Remove-EgressAddress.md")]
[OutputType(typeof(void))]
public sealed class RemoveEgressAddressCommand : SecureConnectCmdlet
{
    /// <summary>Addresses or CIDR networks; EgressAddress objects pipe in by their Cidr.</summary>
    // By value only: an EgressAddress converts to its Cidr, whereas binding by property name would take its
    // Address property and lose the prefix length.
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [Alias("Cidr")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(EgressAddressCompleter))]
    public string[] Address { get; set; } = Array.Empty<string>();

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var store = new EgressStore(Store);
        foreach (string text in Address)
        {
            try
            {
                IpNet network = IpNet.Parse(text);
                if (!ShouldProcess(network.Cidr, "Remove from the egress allowlist"))
                {
                    continue;
                }

                if (!store.Remove(network.Cidr))
                {
                    WriteError(new SecureConnectException(ErrorIds.EgressAddressNotFound, ErrorKind.ObjectNotFound, $"{network.Cidr} is not in the egress allowlist. Get-EgressAllowlist lists it.", network.Cidr));
                }
            }
            catch (SecureConnectException e)
            {
                WriteError(e);
            }
        }
    }
}

/// <summary>ConvertTo-FirewallRule: renders allowlist entries as rules for a kind of firewall.</summary>
[Cmdlet(VerbsData.ConvertTo, "FirewallRule", HelpUri = HelpUris.Cmdlets + "ConvertTo-FirewallRule.md")]
[OutputType(typeof(string))]
public sealed class ConvertToFirewallRuleCommand : SecureConnectCmdlet
{
    private readonly List<AllowEntry> _entries = new();

    /// <summary>The addresses (EgressAddress objects pipe in; strings and CIDRs too).</summary>
    // By value only: an EgressAddress converts to its Cidr, whereas binding by property name would take its
    // Address property and lose the prefix length.
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [Alias("Cidr")]
    [ValidateNotNullOrEmpty]
    public string[] Address { get; set; } = Array.Empty<string>();

    /// <summary>The description of piped addresses.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Description { get; set; }

    /// <summary>The kind of firewall.</summary>
    [Parameter(Mandatory = true)]
    public FirewallRuleFormat Format { get; set; }

    /// <summary>The database port to allow (network firewalls).</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>The database (PgHba, MySqlGrant).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>The database user (PgHba, MySqlGrant).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? User { get; set; }

    /// <summary>A rule, chain, table or instance name.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (string text in Address)
        {
            try
            {
                IpNet network = IpNet.Parse(text);
                if (_entries.All(e => e.Network.Cidr != network.Cidr))
                {
                    if (network.AllowsEveryone)
                    {
                        WriteWarning(EveryoneWarning.For(network, "The rule"));
                    }

                    _entries.Add(new AllowEntry(network, Description));
                }
            }
            catch (SecureConnectException e)
            {
                WriteError(e);
            }
        }
    }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        try
        {
            // Rendered at the end: some formats carry the whole list in one rule (gcloud replaces the list).
            IReadOnlyList<string> rules = FirewallRuleRenderer.Render(Format, _entries, new RuleTarget(Port == 0 ? null : Port, Database, User, Name));
            WriteObject(rules, enumerateCollection: true);
        }
        catch (SecureConnectException e)
        {
            ThrowTerminating(e);
        }
    }
}

/// <summary>The warning for 0.0.0.0/0 and ::/0: allowed, since a deliberate open rule exists, but never silently.</summary>
internal static class EveryoneWarning
{
    public static string For(IpNet network, string subject) =>
        $"{subject} gets {network.Cidr}, which allows every {network.Family} address, not only your egress addresses. " +
        "If that is not intended, give the addresses your connections leave from (Get-EgressAllowlist -Source Observed or Interface shows them).";
}

/// <summary>Test-EgressAllowlist: is the address the database sees covered by the allowlist?</summary>
[Cmdlet(VerbsDiagnostic.Test, "EgressAllowlist", HelpUri = HelpUris.Cmdlets + "Test-EgressAllowlist.md")]
[OutputType(typeof(EgressTestResult))]
public sealed class TestEgressAllowlistCommand : IntegrationCmdlet
{
    /// <summary>The integration to connect to.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(IntegrationNameCompleter))]
    public string Integration { get; set; } = string.Empty;

    /// <summary>The login (overrides the session's).</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        try
        {
            (EgressAddress observed, string via) = EgressObserver.Observe(this, Integration, Credential);
            IReadOnlyList<EgressAddress> allowlist = new EgressStore(Store).Configured();
            IPAddress address = IPAddress.Parse(observed.Address);
            EgressAddress? covering = allowlist.FirstOrDefault(e => IpNet.Parse(e.Cidr).Contains(address));
            string message = covering is not null
                ? $"{observed.Address} is covered by {covering.Cidr}" + (covering.Description is null ? "." : $" ({covering.Description}).")
                : $"{observed.Address} is NOT in the allowlist ({allowlist.Count} entries). Add it: Add-EgressAddress {observed.Address} -Description '{Integration} via {via}'";
            WriteObject(new EgressTestResult(Integration, observed.Address, via, covering is not null, covering?.Cidr, covering?.Description, allowlist.Count, message));
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
    }
}
