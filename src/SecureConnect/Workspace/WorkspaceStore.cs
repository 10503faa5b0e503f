using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using SecureConnect.Common;

namespace SecureConnect.Workspace;

/// <summary>
/// The workspace folder and its settings file. Runbooks run in parallel, so every change happens under an
/// exclusive lock file (bounded wait) and every write replaces files atomically. A settings file that does
/// not parse is reported with its path and line and never overwritten.
/// </summary>
internal sealed class WorkspaceStore
{
    private static readonly JsonSerializerOptions s_writeOptions = new() { WriteIndented = true };

    private readonly TimeSpan _lockTimeout;

    public WorkspaceStore(WorkspacePaths paths, TimeSpan? lockTimeout = null)
    {
        Paths = paths;
        _lockTimeout = lockTimeout ?? TimeSpan.FromSeconds(30);
    }

    public WorkspacePaths Paths { get; }

    /// <summary>The store of the workspace that SECURECONNECT_HOME names now, a relative name resolved against <paramref name="currentDirectory"/>.</summary>
    public static WorkspaceStore Current(string currentDirectory) => new(WorkspacePaths.Current(currentDirectory));

    /// <summary>Creates the workspace folder and its subfolders, owner-only.</summary>
    public void EnsureCreated()
    {
        try
        {
            SecureFile.EnsureDirectory(Paths.Root);
            SecureFile.EnsureDirectory(Paths.KeysDirectory);
            SecureFile.EnsureDirectory(Paths.CaDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SecureConnectException(
                "WorkspaceNotWritable",
                ErrorKind.PermissionDenied,
                $"Cannot create the workspace folder '{Paths.Root}': {e.Message} Set SECURECONNECT_HOME to a folder you can write to.",
                Paths.Root,
                e);
        }
    }

    /// <summary>Runs <paramref name="action"/> while holding the workspace lock.</summary>
    public T WithLock<T>(Func<T> action)
    {
        EnsureCreated();
        using FileStream lockStream = AcquireLock();
        return action();
    }

    /// <summary>Runs <paramref name="action"/> while holding the workspace lock.</summary>
    public void WithLock(Action action)
    {
        WithLock(() =>
        {
            action();
            return true;
        });
    }

    /// <summary>Reads workspace.json (an empty settings object when there is none yet).</summary>
    public JsonObject ReadSettings()
    {
        string path = Paths.SettingsFile;
        if (!File.Exists(path))
        {
            return NewSettings();
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SecureConnectException(
                "WorkspaceNotReadable",
                ErrorKind.ReadError,
                $"Cannot read the workspace settings file '{path}': {e.Message}",
                path,
                e);
        }

        try
        {
            JsonNode? node = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (node is JsonObject settings)
            {
                return settings;
            }

            throw new SecureConnectException(
                "WorkspaceCorrupt",
                ErrorKind.InvalidData,
                $"The workspace settings file '{path}' (line 1) does not hold a JSON object. Fix the file or move it away; SecureConnect will not overwrite it.",
                path);
        }
        catch (JsonException e)
        {
            long line = (e.LineNumber ?? 0) + 1;
            long column = (e.BytePositionInLine ?? 0) + 1;
            throw new SecureConnectException(
                "WorkspaceCorrupt",
                ErrorKind.InvalidData,
                $"The workspace settings file '{path}' is not valid JSON at line {line}, position {column}. Fix the file or move it away; SecureConnect will not overwrite it.",
                path,
                e);
        }
    }

    /// <summary>
    /// Reads the settings, lets <paramref name="change"/> modify them, and writes them back atomically, all under
    /// the lock so that concurrent writers never lose each other's changes.
    /// </summary>
    public T UpdateSettings<T>(Func<JsonObject, T> change)
    {
        return WithLock(() =>
        {
            JsonObject settings = ReadSettings();
            T result = change(settings);
            WriteSettings(settings);
            return result;
        });
    }

    /// <summary>Writes settings; call only while holding the lock.</summary>
    public void WriteSettings(JsonObject settings)
    {
        settings["version"] = 1;
        string json = settings.ToJsonString(s_writeOptions) + "\n";
        SecureFile.WriteAtomic(Paths.SettingsFile, Encoding.UTF8.GetBytes(json));
    }

    private static JsonObject NewSettings() => new() { ["version"] = 1 };

    private FileStream AcquireLock()
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var options = new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    // FileShare.None takes an exclusive advisory lock (flock on Unix), seen by other processes
                    // and by other handles in this process alike.
                    Share = FileShare.None,
                };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = SecureFile.OwnerReadWrite;
                }

                return new FileStream(Paths.LockFile, options);
            }
            catch (IOException e) when (stopwatch.Elapsed < _lockTimeout && IsSharingViolation(e))
            {
                Thread.Sleep(Random.Shared.Next(10, 40));
            }
            catch (IOException e) when (IsSharingViolation(e))
            {
                throw new SecureConnectException(
                    "WorkspaceLocked",
                    ErrorKind.ResourceBusy,
                    $"The workspace '{Paths.Root}' stayed locked by another process for {_lockTimeout.TotalSeconds:0} seconds. " +
                    "Wait for the other SecureConnect command to finish and try again.",
                    Paths.LockFile,
                    e);
            }
        }
    }

    private static bool IsSharingViolation(IOException e) =>
        e is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException;
}
