using System;
using System.IO;
using System.Security.AccessControl;
using System.Security.Principal;
using SecureConnect.Common;

namespace SecureConnect.Workspace;

/// <summary>
/// File operations with the guarantees the workspace needs: atomic replacement (temp file in the same folder,
/// flushed, then renamed over the target) and owner-only permissions from the moment the file exists.
/// </summary>
internal static class SecureFile
{
    public const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates a folder (and its parents) that only the owner can open.</summary>
    public static void EnsureDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, OwnerOnlyDirectory);
        }
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> atomically, owner-only.</summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> content)
    {
        string directory = Path.GetDirectoryName(path)!;
        string temp = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
            };
            if (!OperatingSystem.IsWindows())
            {
                // The mode is set at creation so the content is never readable by others, not even briefly.
                options.UnixCreateMode = OwnerReadWrite;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            if (OperatingSystem.IsWindows())
            {
                RestrictToCurrentUser(temp);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>True when group or others have any permission on the file (what OpenSSH calls unprotected).</summary>
    public static bool IsUnprotected(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        return (File.GetUnixFileMode(path) & GroupOrOther) != 0;
    }

    /// <summary>The permission bits as ls -l shows them in octal, e.g. 0644.</summary>
    public static string DescribeMode(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return "(ACL)";
        }

        return Convert.ToString((int)File.GetUnixFileMode(path), 8).PadLeft(4, '0');
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Removes an empty directory; leaves one that still holds something.</summary>
    public static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: false);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void RestrictToCurrentUser(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            return;
        }

        var security = new FileSecurity();
        security.SetAccessRuleProtection(isProtected: true, preserveInheritance: false);
        SecurityIdentifier user = WindowsIdentity.GetCurrent().User!;
        security.SetOwner(user);
        security.AddAccessRule(new FileSystemAccessRule(user, FileSystemRights.FullControl, AccessControlType.Allow));
        new FileInfo(path).SetAccessControl(security);
    }
}
