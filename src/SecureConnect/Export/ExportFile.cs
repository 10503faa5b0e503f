using System;
using System.IO;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using SecureConnect.Common;

namespace SecureConnect.Export;

/// <summary>What to do with a target file that exists.</summary>
internal enum ExportMode
{
    /// <summary>Refuse it (ExportTargetExists).</summary>
    CreateNew,

    /// <summary>Replace it, in one rename, once the whole result is written.</summary>
    Overwrite,

    /// <summary>Add the new rows to its end, in one go, once the whole result is written.</summary>
    Append,
}

/// <summary>
/// An export in progress: rows go to a hidden temporary file beside the target (same folder, so the final rename stays
/// on one file system; owner-only while it is written), which becomes the target, or is appended to it, only in
/// <see cref="Commit"/>. Disposed without a commit (an error, Ctrl+C), the temporary file is deleted and the target is
/// as it was: never a short file that looks complete.
/// </summary>
internal sealed class ExportFile : IDisposable
{
    private const int BufferSize = 1 << 16;

    private readonly ExportMode _mode;
    private bool _done;

    private ExportFile(string path, string tempPath, ExportMode mode, bool appendsToText, FileStream stream)
    {
        Path = path;
        TempPath = tempPath;
        _mode = mode;
        AppendsToText = appendsToText;
        Stream = stream;
    }

    /// <summary>The full path of the target.</summary>
    public string Path { get; }

    /// <summary>The temporary file the rows are written to.</summary>
    public string TempPath { get; }

    /// <summary>The temporary file's stream (buffered).</summary>
    public FileStream Stream { get; }

    /// <summary>With <see cref="ExportMode.Append"/>: the target exists and is not empty, so no header and no byte order mark.</summary>
    public bool AppendsToText { get; }

    /// <summary>Checks the target and creates the temporary file beside it.</summary>
    public static ExportFile Open(string path, ExportMode mode)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            throw Failed(full, $"'{full}' is a folder: give the path of a file in it.", null);
        }

        string folder = System.IO.Path.GetDirectoryName(full) ?? throw Failed(full, $"'{full}' is not a file path.", null);
        if (!Directory.Exists(folder))
        {
            throw new SecureConnectException(ErrorIds.ExportFailed, ErrorKind.ObjectNotFound, $"The folder '{folder}' does not exist: create it first (New-Item -ItemType Directory), then export again.", full);
        }

        bool exists = File.Exists(full);
        if (exists && mode == ExportMode.CreateNew)
        {
            throw TargetExists(full);
        }

        bool appendsToText = mode == ExportMode.Append && exists && new FileInfo(full).Length > 0;
        string temp = System.IO.Path.Combine(folder, $".{System.IO.Path.GetFileName(full)}.{Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant()}.partial");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.ReadWrite, Share = FileShare.None, BufferSize = BufferSize };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        FileStream stream;
        try
        {
            stream = new FileStream(temp, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failed(full, $"Could not create a file in '{folder}' ({e.Message}): check that you may write there.", e);
        }

        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(temp, File.GetAttributes(temp) | FileAttributes.Hidden);
        }

        return new ExportFile(full, temp, mode, appendsToText, stream);
    }

    /// <summary>Puts the whole result in place: renames the temporary file over the target, or appends it. Returns its bytes.</summary>
    public long Commit()
    {
        try
        {
            // On disk before the rename, so a crash never leaves a target of the right name and the wrong length.
            Stream.Flush(flushToDisk: true);
            long bytes = Stream.Length;
            if (_mode == ExportMode.Append && File.Exists(Path))
            {
                AppendToTarget();
            }
            else
            {
                Stream.Dispose();
                Publish();
            }

            _done = true;
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failed(Path, $"Could not put the exported rows in '{Path}' ({e.Message}); the file is as it was.", e);
        }
    }

    /// <summary>Deletes the temporary file unless the export was committed.</summary>
    public void Dispose()
    {
        if (_done)
        {
            Stream.Dispose();
            return;
        }

        _done = true;
        try
        {
            Stream.Dispose();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Closing flushes what the stream still buffers, and on a full disk that fails again. The rows are
            // discarded anyway: that failure must neither replace the error that ended the export nor keep the file
            // (the handle is closed all the same).
        }

        try
        {
            File.Delete(TempPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing else to do: the name says it is partial, and the target was not touched.
        }
    }

    private void AppendToTarget()
    {
        Stream.Position = 0;

        // Unbuffered (the copy has its own buffer), so that a failed write leaves nothing pending and the file can be
        // cut back to its old length at once.
        using (var target = new FileStream(Path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 0))
        {
            long length = target.Seek(0, SeekOrigin.End);
            try
            {
                Stream.CopyTo(target, BufferSize);
                target.Flush(flushToDisk: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A disk that fills mid-way leaves the first of the new rows at the end of the file: cut them off again.
                try
                {
                    target.SetLength(length);
                }
                catch (Exception again) when (again is IOException or UnauthorizedAccessException)
                {
                    throw Failed(Path, $"Could not add the exported rows to '{Path}' ({e.Message}), and removing the part that was added failed too ({again.Message}): the file ends with rows that are not a complete result after byte {length}. Cut it back to {length} bytes or export again without -Append.", e);
                }

                throw;
            }
        }

        Stream.Dispose();
        File.Delete(TempPath);
    }

    private void Publish()
    {
        if (OperatingSystem.IsWindows())
        {
            File.SetAttributes(TempPath, File.GetAttributes(TempPath) & ~FileAttributes.Hidden);
        }
        else
        {
            // The permissions the file would have had: the replaced file's, or a new file's under the umask.
            File.SetUnixFileMode(TempPath, File.Exists(Path) ? File.GetUnixFileMode(Path) : NewFileMode());
        }

        try
        {
            File.Move(TempPath, Path, overwrite: _mode != ExportMode.CreateNew);
        }
        catch (IOException) when (_mode == ExportMode.CreateNew && File.Exists(Path))
        {
            throw TargetExists(Path);
        }
    }

    /// <summary>The mode a new file gets here (0666 less the umask), learned from a file created and deleted at once.</summary>
    [UnsupportedOSPlatform("windows")]
    private UnixFileMode NewFileMode()
    {
        string probe = TempPath + ".mode";
        using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write))
        {
        }

        try
        {
            return File.GetUnixFileMode(probe);
        }
        finally
        {
            File.Delete(probe);
        }
    }

    private static SecureConnectException TargetExists(string path) => new(
        ErrorIds.ExportTargetExists,
        ErrorKind.ResourceExists,
        $"'{path}' exists; nothing was written. Add -Force to replace it (only once the whole result has arrived), -Append to add the rows to it, or choose another -Path.",
        path);

    private static SecureConnectException Failed(string path, string message, Exception? inner) =>
        new(ErrorIds.ExportFailed, ErrorKind.WriteError, message, path, inner);
}
