using System;
using System.IO;
using System.Text;
using SecureConnect.Common;
using SecureConnect.Workspace;

namespace SecureConnect.Ssh.KnownHosts;

/// <summary>
/// The workspace's known_hosts file. Reads need no lock because every write replaces the file atomically;
/// changes run under the workspace lock and re-read the file inside it, so parallel runbooks adding hosts never
/// lose each other's lines.
/// </summary>
internal sealed class KnownHostsStore
{
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly WorkspaceStore _store;

    public KnownHostsStore(WorkspaceStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
    }

    /// <summary>The path of the workspace's known_hosts file.</summary>
    public string Path => _store.Paths.KnownHostsFile;

    /// <summary>Reads the file; an empty file when there is none yet.</summary>
    public KnownHostsFile Read()
    {
        string path = Path;
        string text;
        try
        {
            if (!File.Exists(path))
            {
                return KnownHostsFile.Empty(path);
            }

            text = File.ReadAllText(path, s_utf8);
        }
        catch (FileNotFoundException)
        {
            return KnownHostsFile.Empty(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SecureConnectException(
                ErrorIds.KnownHostsNotReadable,
                ErrorKind.ReadError,
                $"Cannot read the known_hosts file '{path}': {e.Message}",
                path,
                e);
        }

        return KnownHostsFile.Parse(text, path);
    }

    /// <summary>
    /// Reads the file under the workspace lock, lets <paramref name="change"/> modify it, and writes it back
    /// (atomically, owner-only) only when it changed, so a no-op does not create or touch the file.
    /// </summary>
    public T Update<T>(Func<KnownHostsFile, T> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return _store.WithLock(() =>
        {
            KnownHostsFile file = Read();
            T result = change(file);
            if (file.IsModified)
            {
                Write(file);
            }

            return result;
        });
    }

    private void Write(KnownHostsFile file)
    {
        string path = Path;
        try
        {
            SecureFile.WriteAtomic(path, s_utf8.GetBytes(file.Render()));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SecureConnectException(
                ErrorIds.KnownHostsNotWritable,
                ErrorKind.WriteError,
                $"Cannot write the known_hosts file '{path}': {e.Message} Check that the workspace folder is writable.",
                path,
                e);
        }
    }
}
