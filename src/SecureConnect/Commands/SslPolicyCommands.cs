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

    /// <summary>The mode. With -Default it is also the first positional argument (Set-SslPolicy -Default VerifyCA), as -Minimum takes its mode.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ForIntegration)]
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ForDefault)]
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
                        SslPolicyLevels levels = Integrations.UpdatePolicy(levels => levels with { Default = Mode });
                        WarnBelowMinimum(levels);
                        WriteObject(SslPolicyReport.Default(levels));
                    }

                    break;
                case ForMinimum:
                    if (ShouldProcess("workspace minimum", $"Refuse queries to integrations below SSL mode {Minimum}"))
                    {
                        SslPolicyLevels levels = Integrations.UpdatePolicy(levels => levels with { Minimum = Minimum });
                        WarnBelowMinimum(levels);
                        WriteObject(SslPolicyReport.Minimum(levels));
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
                        if (IntegrationEdits.BelowMinimumWarning(record, levels) is { } warning)
                        {
                            WriteWarning(warning);
                        }

                        WriteObject(SslPolicyReport.Integration(record, levels));
                    }

                    break;
            }
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
    }

    /// <summary>
    /// A changed default or minimum says which integrations it leaves below the minimum, as New-SecureIntegration
    /// says it of the one it creates: their queries are refused (SslPolicyViolation) from now on.
    /// </summary>
    private void WarnBelowMinimum(SslPolicyLevels levels)
    {
        if (levels.Minimum is { } minimum && levels.Default is { } workspaceDefault && workspaceDefault < minimum)
        {
            WriteWarning($"The workspace default {workspaceDefault} is below the workspace minimum {minimum}: queries to integrations without their own SSL mode are refused (SslPolicyViolation). Raise it with: Set-SslPolicy -Default {minimum}");
        }

        foreach (IntegrationRecord record in Integrations.All())
        {
            if (IntegrationEdits.BelowMinimumWarning(record, levels) is { } warning)
            {
                WriteWarning(warning);
            }
        }
    }
}

/// <summary>The rows Get-SslPolicy and Set-SslPolicy output, built the same way by both.</summary>
internal static class SslPolicyReport
{
    public static SslPolicySetting Minimum(SslPolicyLevels levels) =>
        new("Minimum", null, levels.Minimum, null, levels.Minimum is null ? "NotSet" : "Minimum", false);

    /// <summary>The default's effective mode is what an integration without its own mode uses; below the minimum its queries are refused.</summary>
    public static SslPolicySetting Default(SslPolicyLevels levels)
    {
        SslMode effective = levels.Default ?? SslMode.Preferred;
        return new("Default", null, levels.Default, effective, levels.Default is null ? "BuiltIn" : "Default", levels.Minimum is { } min && effective < min);
    }

    public static SslPolicySetting Integration(IntegrationRecord record, SslPolicyLevels levels)
    {
        (SslMode effective, SslModeSource source) = IntegrationStore.Effective(record, levels);
        return new("Integration", record.Name, record.SslMode, effective, source.ToString(), levels.Minimum is { } min && effective < min);
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
                WriteObject(SslPolicyReport.Minimum(levels));
                WriteObject(SslPolicyReport.Default(levels));
            }

            var patterns = Integration?.Select(n => NamePatterns.Create(n, ErrorIds.InvalidIntegrationName, "an integration name")).ToList();
            // A saved SSH tunnel has no SSL mode (SecureConnect does not speak what it carries): not listed.
            foreach (IntegrationRecord record in Integrations.All().Where(r => r.Type != IntegrationType.SshTunnel && (patterns is null || patterns.Any(p => p.IsMatch(r.Name)))))
            {
                WriteObject(SslPolicyReport.Integration(record, levels));
            }
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
    }
}
