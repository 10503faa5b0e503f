using System.Linq;
using System.Management.Automation;
using SecureConnect.Common;
using SecureConnect.Integrations;

namespace SecureConnect.Commands;

/// <summary>Set-SslPolicy: the SSL mode of an integration, the workspace default, or the workspace minimum.</summary>
[Cmdlet(VerbsCommon.Set, "SslPolicy", SupportsShouldProcess = true, DefaultParameterSetName = ForIntegration, HelpUri = HelpUris.Cmdlets + "Set-SslPolicy.md")]
[OutputType(typeof(SslPolicySetting))]
public sealed class SetSslPolicyCommand : IntegrationCmdlet
{
    private const string ForIntegration = "Integration";
    private const string ForDefault = "Default";
    private const string ForMinimum = "Minimum";

    /// <summary>The integration whose mode to set.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ForIntegration)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(IntegrationNameCompleter))]
    public string Integration { get; set; } = string.Empty;

    /// <summary>Sets the workspace default (for integrations without their own mode).</summary>
    [Parameter(Mandatory = true, ParameterSetName = ForDefault)]
    public SwitchParameter Default { get; set; }

    /// <summary>The mode.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ForIntegration)]
    [Parameter(Mandatory = true, ParameterSetName = ForDefault)]
    [SslModeTransformation]
    public SslMode Mode { get; set; }

    /// <summary>A PEM CA certificate for the integration.</summary>
    [Parameter(ParameterSetName = ForIntegration)]
    [ValidateNotNullOrEmpty]
    public string? CaCertificatePath { get; set; }

    /// <summary>The workspace floor: queries to integrations below it are refused.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ForMinimum)]
    [SslModeTransformation]
    public SslMode Minimum { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        try
        {
            switch (ParameterSetName)
            {
                case ForDefault:
                    if (ShouldProcess("workspace default", $"Set the default SSL mode to {Mode}"))
                    {
                        Integrations.UpdatePolicy(levels => levels with { Default = Mode });
                        WriteObject(new SslPolicySetting("Default", null, Mode, null, "Default", false));
                    }

                    break;
                case ForMinimum:
                    if (ShouldProcess("workspace minimum", $"Refuse queries to integrations below SSL mode {Minimum}"))
                    {
                        Integrations.UpdatePolicy(levels => levels with { Minimum = Minimum });
                        WriteObject(new SslPolicySetting("Minimum", null, Minimum, null, "Minimum", false));
                    }

                    break;
                default:
                    IntegrationTunnels.CheckSslMode(Integrations.Get(Integration));
                    if (ShouldProcess(Integration, $"Set the SSL mode to {Mode}"))
                    {
                        IntegrationRecord record = Integrations.Update(Integration, r =>
                        {
                            r.SslMode = Mode;
                            if (CaCertificatePath is not null)
                            {
                                r.CaCertificateFile = StoreCa(CaCertificatePath, r.Name);
                            }
                        });
                        SslPolicyLevels levels = Integrations.Policy();
                        (SslMode effective, SslModeSource source) = IntegrationStore.Effective(record, levels);
                        WriteObject(new SslPolicySetting("Integration", record.Name, record.SslMode, effective, source.ToString(), levels.Minimum is { } min && effective < min));
                    }

                    break;
            }
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
    }
}

/// <summary>Get-SslPolicy: the minimum, the default, and each integration's effective mode and its source (saved SSH tunnels have none).</summary>
[Cmdlet(VerbsCommon.Get, "SslPolicy", HelpUri = HelpUris.Cmdlets + "Get-SslPolicy.md")]
[OutputType(typeof(SslPolicySetting))]
public sealed class GetSslPolicyCommand : IntegrationCmdlet
{
    /// <summary>Only these integrations (wildcards).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(IntegrationNameCompleter))]
    public string[]? Integration { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        try
        {
            SslPolicyLevels levels = Integrations.Policy();
            if (Integration is null)
            {
                WriteObject(new SslPolicySetting("Minimum", null, levels.Minimum, null, levels.Minimum is null ? "NotSet" : "Minimum", false));
                WriteObject(new SslPolicySetting("Default", null, levels.Default, levels.Default ?? SslMode.Preferred, levels.Default is null ? "BuiltIn" : "Default", false));
            }

            var patterns = Integration?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
            // A saved SSH tunnel has no SSL mode (SecureConnect does not speak what it carries): not listed.
            foreach (IntegrationRecord record in Integrations.All().Where(r => r.Type != IntegrationType.SshTunnel && (patterns is null || patterns.Any(p => p.IsMatch(r.Name)))))
            {
                (SslMode effective, SslModeSource source) = IntegrationStore.Effective(record, levels);
                WriteObject(new SslPolicySetting("Integration", record.Name, record.SslMode, effective, source.ToString(), levels.Minimum is { } min && effective < min));
            }
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
    }
}
