using System.Management.Automation;
using SecureConnect.Ssh.Tunnels;

namespace SecureConnect.Commands;

/// <summary>Remove-Module SecureConnect stops every tunnel of the process and frees its ports.</summary>
public sealed class ModuleCleanup : IModuleAssemblyCleanup
{
    /// <inheritdoc/>
    public void OnRemove(PSModuleInfo psModuleInfo)
    {
        TunnelRegistry.StopAll();
        Ssh.Keys.WorkspaceKeyUnlocks.Clear();
    }
}
