using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Common;
using SecureConnect.Workspace;
using Xunit;

namespace SecureConnect.Tests.Workspace;

public sealed class WorkspaceStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sc-xunit-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void EnsureCreated_MakesOwnerOnlyFolders()
    {
        var store = new WorkspaceStore(new WorkspacePaths(_root));
        store.EnsureCreated();

        Assert.True(Directory.Exists(store.Paths.KeysDirectory));
        Assert.True(Directory.Exists(store.Paths.CaDirectory));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(SecureFile.OwnerOnlyDirectory, File.GetUnixFileMode(_root));
            Assert.Equal(SecureFile.OwnerOnlyDirectory, File.GetUnixFileMode(store.Paths.KeysDirectory));
        }
    }

    [Fact]
    public void WriteAtomic_ReplacesContent_OwnerOnly_LeavesNoTempFiles()
    {
        Directory.CreateDirectory(_root);
        string path = Path.Combine(_root, "file.txt");
        SecureFile.WriteAtomic(path, Encoding.UTF8.GetBytes("first"));
        SecureFile.WriteAtomic(path, Encoding.UTF8.GetBytes("second"));

        Assert.Equal("second", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_root));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(SecureFile.OwnerReadWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public async Task WriteAtomic_ReaderNeverSeesAPartialFile()
    {
        Directory.CreateDirectory(_root);
        string path = Path.Combine(_root, "big.txt");
        string a = new('a', 512 * 1024);
        string b = new('b', 512 * 1024);
        SecureFile.WriteAtomic(path, Encoding.UTF8.GetBytes(a));

        int stop = 0;
        int torn = 0;
        int reads = 0;
        Task reader = Task.Run(() =>
        {
            while (Volatile.Read(ref stop) == 0)
            {
                string text = File.ReadAllText(path);
                Interlocked.Increment(ref reads);
                if (text != a && text != b)
                {
                    Interlocked.Increment(ref torn);
                }
            }
        });

        // Keep writing until the reader has overlapped many writes (bounded in time).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        for (int i = 0; (i < 50 || Volatile.Read(ref reads) < 200) && DateTime.UtcNow < deadline; i++)
        {
            SecureFile.WriteAtomic(path, Encoding.UTF8.GetBytes(i % 2 == 0 ? b : a));
        }

        Volatile.Write(ref stop, 1);
        await reader.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(reads > 0);
        Assert.Equal(0, torn);
    }

    [Fact]
    public void UpdateSettings_ConcurrentWriters_LoseNoChange()
    {
        const int writers = 16;
        Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, i =>
        {
            // A store per writer, as separate runbooks would have.
            var store = new WorkspaceStore(new WorkspacePaths(_root));
            store.UpdateSettings(settings =>
            {
                var list = settings["writers"] as JsonArray ?? new JsonArray();
                settings["writers"] = list;
                list.Add(i);
                return true;
            });
        });

        JsonObject final = new WorkspaceStore(new WorkspacePaths(_root)).ReadSettings();
        int[] seen = final["writers"]!.AsArray().Select(n => n!.GetValue<int>()).OrderBy(n => n).ToArray();
        Assert.Equal(Enumerable.Range(0, writers).ToArray(), seen);
    }

    [Fact]
    public void ReadSettings_CorruptJson_NamesFileAndLine_AndIsNeverOverwritten()
    {
        var store = new WorkspaceStore(new WorkspacePaths(_root));
        store.EnsureCreated();
        const string corrupt = "{\n  \"version\": 1,\n  \"integrations\": [ oops ]\n}\n";
        File.WriteAllText(store.Paths.SettingsFile, corrupt);

        var error = Assert.Throws<SecureConnectException>(() => store.UpdateSettings(s => s["x"] = 1));
        Assert.Equal("WorkspaceCorrupt", error.ErrorId);
        Assert.Contains(store.Paths.SettingsFile, error.Message, StringComparison.Ordinal);
        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
        Assert.Equal(corrupt, File.ReadAllText(store.Paths.SettingsFile));
    }

    [Fact]
    public void ReadSettings_JsonThatIsNotAnObject_IsCorrupt()
    {
        var store = new WorkspaceStore(new WorkspacePaths(_root));
        store.EnsureCreated();
        File.WriteAllText(store.Paths.SettingsFile, "[1, 2]");
        var error = Assert.Throws<SecureConnectException>(() => store.ReadSettings());
        Assert.Equal("WorkspaceCorrupt", error.ErrorId);
    }

    [Fact]
    public void WithLock_HeldElsewhere_TimesOutWithWorkspaceLocked()
    {
        var store = new WorkspaceStore(new WorkspacePaths(_root), TimeSpan.FromMilliseconds(300));
        store.EnsureCreated();
        using var held = new FileStream(store.Paths.LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

        var error = Assert.Throws<SecureConnectException>(() => store.WithLock(() => { }));
        Assert.Equal("WorkspaceLocked", error.ErrorId);
        Assert.Equal(ErrorKind.ResourceBusy, error.Kind);
    }

    [Fact]
    public void Current_FollowsTheEnvironmentVariableOnEveryCall()
    {
        string? before = Environment.GetEnvironmentVariable(WorkspacePaths.HomeVariable);
        try
        {
            Environment.SetEnvironmentVariable(WorkspacePaths.HomeVariable, Path.Combine(_root, "one"));
            string first = WorkspacePaths.Current(Environment.CurrentDirectory).Root;
            Environment.SetEnvironmentVariable(WorkspacePaths.HomeVariable, Path.Combine(_root, "two"));
            string second = WorkspacePaths.Current(Environment.CurrentDirectory).Root;

            Assert.Equal(Path.Combine(_root, "one"), first);
            Assert.Equal(Path.Combine(_root, "two"), second);
        }
        finally
        {
            Environment.SetEnvironmentVariable(WorkspacePaths.HomeVariable, before);
        }
    }

    [Fact]
    public void Current_ResolvesARelativeOrTildeHome_AgainstTheGivenLocationAndHome()
    {
        // In this class: the tests that set SECURECONNECT_HOME must not run in parallel.
        string location = Path.Combine(_root, "location");
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string? before = Environment.GetEnvironmentVariable(WorkspacePaths.HomeVariable);
        try
        {
            Environment.SetEnvironmentVariable(WorkspacePaths.HomeVariable, "rel-ws");
            Assert.Equal(Path.Combine(location, "rel-ws"), WorkspacePaths.Current(location).Root);
            Environment.SetEnvironmentVariable(WorkspacePaths.HomeVariable, "~/sc-ws");
            Assert.Equal(Path.Combine(home, "sc-ws"), WorkspacePaths.Current(location).Root);
            Environment.SetEnvironmentVariable(WorkspacePaths.HomeVariable, "~");
            Assert.Equal(Path.TrimEndingDirectorySeparator(home), WorkspacePaths.Current(location).Root);
        }
        finally
        {
            Environment.SetEnvironmentVariable(WorkspacePaths.HomeVariable, before);
        }
    }
}
