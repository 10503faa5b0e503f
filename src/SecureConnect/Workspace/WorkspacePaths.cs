using System;
using System.IO;

namespace SecureConnect.Workspace;

/// <summary>
/// Where a workspace lives. Read from SECURECONNECT_HOME each time a cmdlet runs, so a test or a runbook can
/// switch workspaces within one process.
/// </summary>
internal sealed class WorkspacePaths
{
    public const string HomeVariable = "SECURECONNECT_HOME";

    public WorkspacePaths(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public string SettingsFile => Path.Combine(Root, "workspace.json");

    public string LockFile => Path.Combine(Root, ".lock");

    public string KeysDirectory => Path.Combine(Root, "keys");

    public string RetiredKeysDirectory => Path.Combine(KeysDirectory, "retired");

    public string PrivateKeyFile => Path.Combine(KeysDirectory, "workspace_key");

    public string PublicKeyFile => PrivateKeyFile + ".pub";

    public string KnownHostsFile => Path.Combine(Root, "known_hosts");

    public string CaDirectory => Path.Combine(Root, "ca");

    /// <summary>
    /// The workspace of the current environment. A relative SECURECONNECT_HOME starts at
    /// <paramref name="currentDirectory"/> (PowerShell's current file-system location), a leading "~" at the home folder.
    /// </summary>
    public static WorkspacePaths Current(string currentDirectory)
    {
        string? fromEnv = Environment.GetEnvironmentVariable(HomeVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return new WorkspacePaths(UserPath.Resolve(fromEnv, currentDirectory));
        }

        if (OperatingSystem.IsWindows())
        {
            return new WorkspacePaths(Path.Combine(
                Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "SecureConnect"));
        }

        return new WorkspacePaths(Path.Combine(
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".secureconnect"));
    }
}
