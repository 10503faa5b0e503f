using System;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Workspace;
using Xunit;
using static SecureConnect.Tests.KnownHosts.KnownHostsVectors;

namespace SecureConnect.Tests.KnownHosts;

public sealed class KnownHostsStoreTests : IDisposable
{
    private readonly string _root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sc-kh-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private KnownHostsStore NewStore() => new(new WorkspaceStore(new WorkspacePaths(_root)));

    [Fact]
    public void Read_WithoutAFile_IsEmpty()
    {
        KnownHostsFile file = NewStore().Read();

        Assert.Empty(file.Entries);
        Assert.Equal(System.IO.Path.Combine(_root, "known_hosts"), file.Path);
        Assert.Equal(string.Empty, file.Render());
    }

    [Fact]
    public void Update_WithoutChange_DoesNotCreateTheFile()
    {
        KnownHostsStore store = NewStore();
        int found = store.Update(file => file.Find("a.example", 22).Count());

        Assert.Equal(0, found);
        Assert.False(File.Exists(store.Path));
    }

    [Fact]
    public void Update_WritesOwnerOnlyAndKeepsForeignLines()
    {
        KnownHostsStore store = NewStore();
        Directory.CreateDirectory(_root);
        const string foreign = "# kept\r\nodd line that is not an entry\r\n";
        File.WriteAllText(store.Path, foreign);

        store.Update(file => file.Add("bastion.example.com", 22, "ssh-ed25519", Blob(Ed25519A)));

        Assert.Equal(
            "# kept\nodd line that is not an entry\nbastion.example.com ssh-ed25519 " + Ed25519A + "\n",
            File.ReadAllText(store.Path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.Path));
        }

        KnownHostsFile reread = NewStore().Read();
        Assert.Single(reread.Warnings);
        Assert.Equal(Ed25519AFingerprint, reread.Find("bastion.example.com", 22).Single().Fingerprint);
    }

    [Fact]
    public void Update_SixteenParallelWriters_LoseNoEntry()
    {
        const int writers = 16;
        Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, i =>
        {
            // A workspace store per writer, as separate runbooks would have.
            KnownHostsStore store = NewStore();
            store.Update(file => file.Add("host" + i + ".example", 22, "ssh-ed25519", Blob(Ed25519A)));
        });

        KnownHostsFile final = NewStore().Read();
        Assert.Equal(writers, final.Entries.Count);
        for (int i = 0; i < writers; i++)
        {
            Assert.Single(final.Find("host" + i + ".example", 22));
        }

        Assert.Empty(final.Warnings);
    }

    [SshKeygenFact]
    public void WrittenFile_IsReadByTheRealSshKeygen()
    {
        KnownHostsStore store = NewStore();
        store.Update(file =>
        {
            file.Add("plain.example.com", 22, "ssh-ed25519", Blob(Ed25519A));
            file.Add("plain.example.com", 2222, "ecdsa-sha2-nistp256", Blob(Ecdsa256));
            file.Add("hidden.example.com", 22, "ssh-rsa", Blob(Rsa2048), hash: true);
            return true;
        });

        (int code, string output) = SshKeygen.Run("-F", "plain.example.com", "-f", store.Path);
        Assert.Equal(0, code);
        Assert.Contains("plain.example.com ssh-ed25519 " + Ed25519A, output, StringComparison.Ordinal);
        Assert.DoesNotContain(Ecdsa256, output, StringComparison.Ordinal);

        (code, output) = SshKeygen.Run("-F", "[plain.example.com]:2222", "-f", store.Path);
        Assert.Equal(0, code);
        Assert.Contains("[plain.example.com]:2222 ecdsa-sha2-nistp256 " + Ecdsa256, output, StringComparison.Ordinal);

        // ssh-keygen recomputes our HMAC with the salt we stored.
        (code, output) = SshKeygen.Run("-F", "hidden.example.com", "-f", store.Path);
        Assert.Equal(0, code);
        Assert.Contains("ssh-rsa " + Rsa2048, output, StringComparison.Ordinal);

        (code, _) = SshKeygen.Run("-F", "absent.example.com", "-f", store.Path);
        Assert.NotEqual(0, code);

        // And it computes the same fingerprints.
        (code, output) = SshKeygen.Run("-l", "-E", "sha256", "-f", store.Path);
        Assert.Equal(0, code);
        Assert.Contains(Ed25519AFingerprint, output, StringComparison.Ordinal);
        Assert.Contains(Ecdsa256Fingerprint, output, StringComparison.Ordinal);
        Assert.Contains(Rsa2048Fingerprint, output, StringComparison.Ordinal);
    }
}
