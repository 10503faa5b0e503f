using System;
using System.Collections.Generic;
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
/// not parse, holds a value that does not read as what it must be, or has a newer format is reported with its
/// path and never overwritten.
/// </summary>
internal sealed class WorkspaceStore
{
    /// <summary>The format of workspace.json this module reads and writes.</summary>
    public const int FormatVersion = 1;

    private static readonly JsonSerializerOptions s_writeOptions = new() { WriteIndented = true };

    // The lock files this thread holds (the lock is a file lock, which a second handle of the same thread would wait for).
    [ThreadStatic]
    private static HashSet<string>? t_heldLocks;

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

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
                ErrorIds.WorkspaceNotWritable,
                ErrorKind.PermissionDenied,
                $"Cannot create the workspace folder '{Paths.Root}': {e.Message} Set SECURECONNECT_HOME to a folder you can write to.",
                Paths.Root,
                e);
        }
    }

    /// <summary>
    /// Runs <paramref name="action"/> while holding the workspace lock. A thread that already holds it (a rotation
    /// reading the key it retires) runs the action at once instead of waiting for itself; other threads and
    /// processes wait as before.
    /// </summary>
    public T WithLock<T>(Func<T> action)
    {
        EnsureCreated();
        string lockFile = Paths.LockFile;
        HashSet<string> held = t_heldLocks ??= new HashSet<string>(StringComparer.Ordinal);
        if (held.Contains(lockFile))
        {
            return action();
        }

        using FileStream lockStream = AcquireLock();
        held.Add(lockFile);
        try
        {
            return action();
        }
        finally
        {
            held.Remove(lockFile);
        }
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
                ErrorIds.WorkspaceNotReadable,
                ErrorKind.ReadError,
                $"Cannot read the workspace settings file '{path}': {e.Message}",
                path,
                e);
        }

        // A byte order mark from a Windows editor is not part of the JSON (the parser takes it for a bad value).
        ReadOnlySpan<byte> bom = [0xEF, 0xBB, 0xBF];
        JsonObject settings = Parse(bytes.AsSpan().StartsWith(bom) ? bytes[3..] : bytes, path);
        CheckVersion(settings, path);

        // Every section is read strictly on every read, so a value that does not read as what it must be stops every
        // command, the writing ones included, before anything is written over it.
        Integrations.IntegrationStore.Check(settings, Paths);
        Egress.EgressStore.Check(settings, path);
        return settings;
    }

    private static JsonObject Parse(byte[] bytes, string path)
    {
        try
        {
            // JsonNode reads names and strings lazily: an invalid UTF-8 sequence or a name given twice would otherwise
            // surface later as an InvalidOperationException or ArgumentException from whichever reader touched it first.
            s_strictUtf8.GetCharCount(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new SecureConnectException(
                ErrorIds.WorkspaceCorrupt,
                ErrorKind.InvalidData,
                $"The workspace settings file '{path}' is not UTF-8 text (it holds an invalid byte sequence). Fix the file or move it away; SecureConnect will not overwrite it.",
                path,
                e);
        }

        try
        {
            SettingsJson.RequireUniqueNames(bytes, path);
            JsonNode? node = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (node is JsonObject settings)
            {
                return settings;
            }

            throw new SecureConnectException(
                ErrorIds.WorkspaceCorrupt,
                ErrorKind.InvalidData,
                $"The workspace settings file '{path}' (line 1) does not hold a JSON object. Fix the file or move it away; SecureConnect will not overwrite it.",
                path);
        }
        catch (JsonException e)
        {
            long line = (e.LineNumber ?? 0) + 1;
            long column = (e.BytePositionInLine ?? 0) + 1;
            throw new SecureConnectException(
                ErrorIds.WorkspaceCorrupt,
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

    /// <summary>Writes settings read with <see cref="ReadSettings"/>; call only while holding the lock.</summary>
    public void WriteSettings(JsonObject settings)
    {
        settings["version"] = FormatVersion;
        string json = settings.ToJsonString(s_writeOptions) + "\n";
        try
        {
            SecureFile.WriteAtomic(Paths.SettingsFile, Encoding.UTF8.GetBytes(json));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw NotWritable(Paths.SettingsFile, "write the workspace settings file", e);
        }
    }

    /// <summary>WorkspaceNotWritable for a file of the workspace that could not be created or replaced.</summary>
    public SecureConnectException NotWritable(string path, string what, Exception e) => new(
        ErrorIds.WorkspaceNotWritable,
        e is UnauthorizedAccessException ? ErrorKind.PermissionDenied : ErrorKind.WriteError,
        $"Cannot {what} '{path}': {e.Message} Check that it is a file you can write to in the workspace '{Paths.Root}', or set SECURECONNECT_HOME to a folder you can write to.",
        path,
        e);

    private static JsonObject NewSettings() => new() { ["version"] = FormatVersion };

    private static void CheckVersion(JsonObject settings, string path)
    {
        JsonNode? node = settings["version"];
        if (node is null)
        {
            // Written by hand without one: the first format.
            return;
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number &&
            value.TryGetValue(out decimal version) && version == decimal.Truncate(version) && version >= 1)
        {
            if (version > FormatVersion)
            {
                throw new SecureConnectException(
                    ErrorIds.WorkspaceVersionUnsupported,
                    ErrorKind.InvalidData,
                    $"The workspace settings file '{path}' has format version {version}; this SecureConnect module reads version {FormatVersion} " +
                    "(a newer SecureConnect wrote it). Update the SecureConnect module (Update-Module SecureConnect) to use this workspace; this module will not change the file.",
                    path);
            }

            return;
        }

        throw SettingsJson.Corrupt(path, "$.version", node, $"a format version (a whole number; this module writes {FormatVersion})");
    }

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
                    ErrorIds.WorkspaceLocked,
                    ErrorKind.ResourceBusy,
                    $"The workspace '{Paths.Root}' stayed locked by another SecureConnect command (in this process or another) for {_lockTimeout.TotalSeconds:0} seconds. " +
                    "Wait for the other SecureConnect command to finish and try again.",
                    Paths.LockFile,
                    e);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw NotWritable(Paths.LockFile, "create or open the workspace lock file", e);
            }
        }
    }

    private static bool IsSharingViolation(IOException e) =>
        e is not FileNotFoundException and not DirectoryNotFoundException and not PathTooLongException;
}
