using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using SecureConnect.Common;
using SecureConnect.Integrations;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Ssh.Tunnels;

namespace SecureConnect.Commands;

// The default set is the integration's: an Integration object piped in binds to -Integration (as its name, by the
// transformation, without type conversion) before -Name could take its Name property; the manual set is chosen as
// soon as one of its parameters is given or an object with its properties is piped.
/// <summary>Start-SshTunnel: forwards a local port through a bastion to a remote host and port, or starts saved integrations' tunnels.</summary>
[Cmdlet(VerbsLifecycle.Start, "SshTunnel", SupportsShouldProcess = true, DefaultParameterSetName = ByIntegration, HelpUri = HelpUris.Cmdlets + "Start-SshTunnel.md")]
[OutputType(typeof(SshTunnel))]
public sealed class StartSshTunnelCommand : SecureConnectCmdlet
{
    private const string Manual = "Manual";
    private const string ByIntegration = "Integration";

    /// <summary>
    /// Saved integrations whose tunnels to start, by name or as Integration objects. Wildcards select SshTunnel
    /// integrations only; a name without wildcards may also be a database integration with an SSH bastion.
    /// </summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = ByIntegration)]
    [IntegrationNameTransformation]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(IntegrationNameCompleter))]
    public string[]? Integration { get; set; }

    /// <summary>The bastion: host, user@host, host:port or user@host:port (as -JumpHost and New-SecureIntegration -SshBastion).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = Manual)]
    [ValidateNotNullOrEmpty]
    public string Bastion { get; set; } = string.Empty;

    /// <summary>The bastion's SSH port.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = Manual)]
    [ValidateRange(1, 65535)]
    public int BastionPort { get; set; } = 22;

    /// <summary>The user on the bastion, unless -Bastion names it (user@host).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = Manual)]
    [ValidateNotNullOrEmpty]
    public string? User { get; set; }

    /// <summary>The host the bastion connects to.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = Manual)]
    [ValidateNotNullOrEmpty]
    public string RemoteHost { get; set; } = string.Empty;

    /// <summary>The port the bastion connects to.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true, ParameterSetName = Manual)]
    [ValidateRange(1, 65535)]
    public int RemotePort { get; set; }

    /// <summary>The local port on 127.0.0.1; 0 takes a free one.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = Manual)]
    [ValidateRange(0, 65535)]
    public int LocalPort { get; set; }

    /// <summary>A name (free text, e.g. 'My SSH tunnel'); sets MY_SSH_TUNNEL_LOCAL_HOST and MY_SSH_TUNNEL_LOCAL_PORT in the process environment.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = Manual)]
    [ValidateLength(1, EnvironmentNames.MaxNameLength)]
    public string? Name { get; set; }

    /// <summary>A private key other than the workspace key.</summary>
    [Parameter(ParameterSetName = Manual)]
    [ValidateNotNullOrEmpty]
    public string? KeyPath { get; set; }

    /// <summary>The passphrase of an encrypted key.</summary>
    [Parameter(ParameterSetName = Manual)]
    public SecureString? KeyPassphrase { get; set; }

    /// <summary>Intermediate bastions, in order: user@host[:port].</summary>
    [Parameter(ValueFromPipelineByPropertyName = true, ParameterSetName = Manual)]
    [ValidateNotNullOrEmpty]
    public string[]? JumpHost { get; set; }

    /// <summary>Strict (default) or AcceptNew.</summary>
    [Parameter(ParameterSetName = Manual)]
    public HostKeyPolicy HostKeyPolicy { get; set; } = HostKeyPolicy.Strict;

    /// <summary>Pins the bastion's host key to this fingerprint (SHA256:...).</summary>
    [Parameter(ParameterSetName = Manual)]
    [ValidatePattern("^(SHA256:)?[A-Za-z0-9+/]{43}=?$")]
    public string? HostKeyFingerprint { get; set; }

    /// <summary>Seconds between liveness probes of the bastion connection.</summary>
    [Parameter(ParameterSetName = Manual)]
    [ValidateRange(1, 3600)]
    public int KeepAliveInterval { get; set; } = 30;

    /// <summary>Seconds that connecting may take.</summary>
    [Parameter(ParameterSetName = Manual)]
    [ValidateRange(1, 600)]
    public int ConnectTimeout { get; set; } = 15;

    /// <summary>Do not reconnect when the bastion connection is lost.</summary>
    [Parameter(ParameterSetName = Manual)]
    public SwitchParameter NoReconnect { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        if (ParameterSetName == ByIntegration)
        {
            StartIntegrations(Integration!);
            return;
        }

        try
        {
            SshHop bastion = BastionText.Parse(Bastion, User, MyInvocation.BoundParameters.ContainsKey(nameof(BastionPort)) ? BastionPort : null);
            IReadOnlyList<SshHop> jumps = (JumpHost ?? Array.Empty<string>()).Select(j => JumpHostParser.Parse(j, bastion.User)).ToList();
            string? pin = HostKeyFingerprint is null ? null : (HostKeyFingerprint.StartsWith("SHA256:", StringComparison.Ordinal) ? HostKeyFingerprint : "SHA256:" + HostKeyFingerprint).TrimEnd('=');
            var options = new TunnelSpec(
                bastion,
                jumps,
                RemoteHost,
                RemotePort,
                LocalPort,
                Name,
                HostKeyPolicy,
                pin,
                TimeSpan.FromSeconds(KeepAliveInterval),
                TimeSpan.FromSeconds(ConnectTimeout),
                !NoReconnect);

            if (!ShouldProcess(options.Route, $"Start an SSH tunnel from 127.0.0.1:{(LocalPort == 0 ? "<free port>" : LocalPort)} (or use the identical one that is up)"))
            {
                return;
            }

            // Resolved here like every other path parameter of the module: relative to $PWD, "~" and PowerShell drives.
            string? keyPath = KeyPath is null ? null : ResolveFilePath(KeyPath, ErrorIds.KeyFileNotFound, "key file");
            SshTunnel tunnel;
            using (ProgressReporter.Begin(this, $"Start-SshTunnel {options.Route}"))
            {
                WarnAboutKnownHosts();
                tunnel = TunnelLauncher.StartOrReuse(Store, options, keyPath, KeyPassphrase, WriteVerbose, CancelToken);
            }

            if (tunnel.HostKeyNewlyTrusted)
            {
                WriteVerbose($"The bastion's host key {tunnel.HostKeyFingerprint} was trusted on first use (AcceptNew) and recorded in known_hosts.");
            }

            WriteObject(tunnel);
        }
        catch (SecureConnectException e)
        {
            ThrowTerminating(e);
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>PowerShell's wildcards (case-insensitive), for a name that has any.</summary>
    private static Predicate<string>? Wildcard(string name) =>
        WildcardPattern.ContainsWildcardCharacters(name) ? NamePatterns.Create(name, ErrorIds.InvalidIntegrationName, "an integration name").IsMatch : null;

    /// <summary>
    /// Starts (or reuses) the tunnel of each integration selected, named after it. One integration that fails does
    /// not keep the others from starting: its error is non-terminating, as for any input item.
    /// </summary>
    private void StartIntegrations(string[] names)
    {
        IReadOnlyList<IntegrationRecord> all;
        try
        {
            foreach (string name in names)
            {
                _ = Wildcard(name);
            }

            all = new IntegrationStore(Store).All();
        }
        catch (SecureConnectException e)
        {
            ThrowTerminating(e);
            return;
        }

        foreach (IntegrationSelection selection in IntegrationTunnels.Select(all, names, Wildcard))
        {
            if (selection.Error is not null)
            {
                WriteError(selection.Error);
                continue;
            }

            IntegrationRecord record = selection.Record!;
            try
            {
                TunnelSpec spec = IntegrationTunnels.Named(record);
                if (!ShouldProcess(record.Name, $"Start the SSH tunnel {spec.Route} (or use the identical one that is up)"))
                {
                    continue;
                }

                SshTunnel tunnel;
                using (ProgressReporter.Begin(this, $"Start-SshTunnel {record.Name}"))
                {
                    WarnAboutKnownHosts();
                    tunnel = TunnelLauncher.StartOrReuse(Store, spec, null, null, WriteVerbose, CancelToken);
                }

                WriteObject(tunnel);
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
}

/// <summary>Get-SshTunnel: the tunnels of this process.</summary>
[Cmdlet(VerbsCommon.Get, "SshTunnel", DefaultParameterSetName = ByName, HelpUri = HelpUris.Cmdlets + "Get-SshTunnel.md")]
[OutputType(typeof(SshTunnel))]
public sealed class GetSshTunnelCommand : SecureConnectCmdlet
{
    private const string ByName = "ByName";
    private const string ById = "ById";

    /// <summary>Names, with wildcards.</summary>
    [Parameter(Position = 0, ParameterSetName = ByName)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TunnelNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Ids.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ById, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TunnelIdCompleter))]
    public long[]? Id { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        // An id or a name without wildcards that matches nothing is an error, as for Get-Process -Id; a wildcard is not.
        foreach (SshTunnel tunnel in TunnelSelection.Select(this, Name, Id, writeNotFound: true))
        {
            WriteObject(tunnel);
        }
    }
}

/// <summary>Stop-SshTunnel and Test-SshTunnel: tunnels by pipeline, -Name (wildcards) or -Id.</summary>
public abstract class TunnelTargetCmdlet : SecureConnectCmdlet
{
    /// <summary>Parameter set: tunnel objects.</summary>
    protected const string ByTunnel = "ByTunnel";

    /// <summary>Parameter set: names.</summary>
    protected const string ByName = "ByName";

    /// <summary>Parameter set: ids.</summary>
    protected const string ById = "ById";

    /// <summary>Tunnels from Get-SshTunnel or Start-SshTunnel.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = ByTunnel)]
    public SshTunnel[]? Tunnel { get; set; }

    /// <summary>Names, with wildcards.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ByName)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(TunnelNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Ids; objects with an Id property (also deserialized ones) pipe in.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ById, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(TunnelIdCompleter))]
    public long[]? Id { get; set; }

    /// <summary>The tunnels this invocation targets, as a snapshot.</summary>
    internal List<SshTunnel> Targets() =>
        (Tunnel is not null ? Tunnel : TunnelSelection.Select(this, Name, Id, writeNotFound: true)).ToList();
}

/// <summary>Stop-SshTunnel: stops tunnels and frees their local ports.</summary>
[Cmdlet(VerbsLifecycle.Stop, "SshTunnel", SupportsShouldProcess = true, DefaultParameterSetName = ByTunnel, HelpUri = HelpUris.Cmdlets + "Stop-SshTunnel.md")]
[OutputType(typeof(SshTunnel))]
public sealed class StopSshTunnelCommand : TunnelTargetCmdlet
{
    /// <summary>Outputs the stopped tunnels.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (SshTunnel tunnel in Targets())
        {
            TunnelRuntime? runtime = TunnelRegistry.Get(tunnel.Id);
            if (runtime is null)
            {
                WriteVerbose($"Tunnel #{tunnel.Id} is already stopped.");
                continue;
            }

            if (!ShouldProcess($"#{tunnel.Id} {tunnel}", "Stop the SSH tunnel"))
            {
                continue;
            }

            TunnelRegistry.Stop(runtime);
            WriteVerbose($"Stopped tunnel #{tunnel.Id}; 127.0.0.1:{tunnel.LocalPort} is free.");
            if (PassThru)
            {
                WriteObject(runtime.Model);
            }
        }
    }
}

/// <summary>Test-SshTunnel: checks that the bastion forwards a connection to the remote end.</summary>
[Cmdlet(VerbsDiagnostic.Test, "SshTunnel", DefaultParameterSetName = ByTunnel, HelpUri = HelpUris.Cmdlets + "Test-SshTunnel.md")]
[OutputType(typeof(SshTunnelTestResult))]
public sealed class TestSshTunnelCommand : TunnelTargetCmdlet
{
    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        foreach (SshTunnel tunnel in Targets())
        {
            TunnelRuntime? runtime = TunnelRegistry.Get(tunnel.Id);
            if (runtime is null)
            {
                WriteObject(new SshTunnelTestResult(tunnel.Id, tunnel.Name, tunnel.LocalPort, tunnel.RemoteHost, tunnel.RemotePort, tunnel.State, false, null, "The tunnel is stopped."));
                continue;
            }

            WriteObject(runtime.Test(CancelToken));
        }
    }
}

/// <summary>Selects tunnels by name (wildcards) or id for the tunnel cmdlets.</summary>
internal static class TunnelSelection
{
    public static IEnumerable<SshTunnel> Select(SecureConnectCmdlet cmdlet, string[]? names, long[]? ids, bool writeNotFound)
    {
        IReadOnlyList<SshTunnel> all = TunnelRegistry.All().Select(t => t.Model).ToList();
        if (ids is not null)
        {
            foreach (long id in ids)
            {
                SshTunnel? found = all.FirstOrDefault(t => t.Id == id);
                if (found is not null)
                {
                    yield return found;
                }
                else if (writeNotFound)
                {
                    cmdlet.WriteError(new SecureConnectException(ErrorIds.TunnelNotFound, ErrorKind.ObjectNotFound, $"There is no SSH tunnel with id {id} in this process. Get-SshTunnel lists them.", id));
                }
            }

            yield break;
        }

        if (names is null)
        {
            foreach (SshTunnel tunnel in all)
            {
                yield return tunnel;
            }

            yield break;
        }

        var seen = new HashSet<long>();
        foreach (string name in names)
        {
            WildcardPattern pattern;
            try
            {
                pattern = NamePatterns.Create(name, ErrorIds.InvalidTunnelName, "a tunnel name");
            }
            catch (SecureConnectException e)
            {
                // One name that is no pattern fails alone, as one that matches nothing does.
                cmdlet.WriteError(e);
                continue;
            }

            bool any = false;
            foreach (SshTunnel tunnel in all.Where(t => t.Names.Any(n => pattern.IsMatch(n) || string.Equals(n, name, StringComparison.OrdinalIgnoreCase))))
            {
                any = true;
                if (seen.Add(tunnel.Id))
                {
                    yield return tunnel;
                }
            }

            if (!any && writeNotFound && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                cmdlet.WriteError(new SecureConnectException(ErrorIds.TunnelNotFound, ErrorKind.ObjectNotFound, $"There is no SSH tunnel named '{name}' in this process. Get-SshTunnel lists them.", name));
            }
        }
    }
}
