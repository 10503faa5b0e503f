using System;
using System.IO;

namespace SecureConnect.Workspace;

/// <summary>
/// Turns a path a person typed (SECURECONNECT_HOME, a cmdlet parameter) into a full path the way the shell they typed
/// it in would: a leading "~" is their home folder and a relative path starts at PowerShell's current location,
/// which a host can change without changing the process's current directory.
/// </summary>
internal static class UserPath
{
    /// <summary>
    /// The full path of <paramref name="path"/>; <paramref name="currentDirectory"/> is PowerShell's current
    /// file-system location (<c>SessionState.Path.CurrentFileSystemLocation.ProviderPath</c>), an absolute path.
    /// </summary>
    public static string Resolve(string path, string currentDirectory)
    {
        if (IsHome(path))
        {
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            string rest = path.Length > 1 ? path[2..] : string.Empty;
            return Path.GetFullPath(Path.Combine(home, rest));
        }

        return Path.GetFullPath(path, currentDirectory);
    }

    // Only "~" alone or followed by a separator: "~other/x" (another user's home in a POSIX shell) is not expanded by
    // PowerShell either, so it stays an ordinary relative name.
    private static bool IsHome(string path) =>
        path == "~" ||
        (path.Length > 1 && path[0] == '~' && (path[1] == '/' || path[1] == Path.DirectorySeparatorChar));
}
