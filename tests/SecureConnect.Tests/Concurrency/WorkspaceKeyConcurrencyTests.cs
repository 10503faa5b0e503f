using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using SecureConnect.Ssh;
using SecureConnect.Ssh.Keys;
using SecureConnect.Workspace;
using Xunit;

namespace SecureConnect.Tests.Concurrency;

/// <summary>
/// Key rotation (New-WorkspaceSshKey -Force) from several threads and a second process while readers read the key
/// as Get-WorkspaceSshKey and a tunnel do: every read sees a whole pair, and the rotations end with exactly one pair
/// whose halves match, every earlier pair retired.
/// </summary>
public sealed class WorkspaceKeyConcurrencyTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sc-keyconc-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private List<WorkspaceWorkload> Writers(int writers, int count, int first = 0) =>
        Enumerable.Range(first, writers).Select(w => new WorkspaceWorkload(WorkloadKind.Rotate, _root, w, count)).ToList();

    [Fact]
    public void Threads_RotatingTheKey_ReadersAlwaysSeeAWholePair_AndEveryOldPairIsRetired()
    {
        var service = new WorkspaceKeyService(new WorkspaceStore(new WorkspacePaths(_root)));
        service.Create(SshKeyAlgorithm.Ed25519, "first", null, force: false, _ => { });
        List<WorkspaceWorkload> writers = Writers(writers: 3, count: 8);
        var run = new ConcurrentRun(_root);

        run.Run(writers, Readers.Key | Readers.Settings, readersPerKind: 3);

        run.AssertReadsWhole();
        AssertOneMatchingPair(writers.SelectMany(w => w.Rotated).ToList(), rotations: 3 * 8);
    }

    [Fact]
    public void TwoProcessesAndThreads_RotatingTheKey_EndWithOneMatchingPair()
    {
        var service = new WorkspaceKeyService(new WorkspaceStore(new WorkspacePaths(_root)));
        service.Create(SshKeyAlgorithm.Ed25519, "first", null, force: false, _ => { });
        List<WorkspaceWorkload> writers = Writers(writers: 2, count: 6);
        using ChildProcess child = ConcurrencyChild.Start(WorkloadKind.Rotate, _root, first: 100, writers: 2, count: 6);
        child.WaitReady();
        var run = new ConcurrentRun(_root);

        var result = run.Run(writers, Readers.Key, readersPerKind: 2, child: child)!.Value;

        Assert.True(result.ExitCode == 0, $"The child process failed ({result.ExitCode}):\n{result.Error}");
        List<string> childRotated = result.Output.Split('\n').Where(l => l.StartsWith("rotated ", StringComparison.Ordinal)).Select(l => l["rotated ".Length..].Trim()).ToList();
        Assert.Equal(2 * 6, childRotated.Count);
        run.AssertReadsWhole();
        AssertOneMatchingPair(writers.SelectMany(w => w.Rotated).Concat(childRotated).ToList(), rotations: 4 * 6);
    }

    /// <summary>
    /// The workspace holds exactly one key pair, its halves match, it is one that a writer stored, and every
    /// rotation retired the pair before it (none overwritten, none lost).
    /// </summary>
    private void AssertOneMatchingPair(List<string> rotated, int rotations)
    {
        Assert.Equal(rotations, rotated.Count);
        Assert.Equal(rotations, rotated.Distinct().Count());
        var paths = new WorkspacePaths(_root);
        SshKeyPair pair = OpenSshPrivateKeyFormat.Read(File.ReadAllText(paths.PrivateKeyFile, Encoding.UTF8), passphrase: null);
        Assert.Equal(pair.PublicKeyLine, File.ReadAllText(paths.PublicKeyFile).Trim());
        Assert.Contains(pair.Fingerprint, rotated);
        WorkspaceSshKey key = new WorkspaceKeyService(new WorkspaceStore(paths)).Get();
        Assert.Equal(pair.Fingerprint, key.Fingerprint);
        Assert.Equal(
            new[] { "workspace_key", "workspace_key.pub" },
            Directory.GetFiles(paths.KeysDirectory).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray());

        string[] retired = Directory.GetDirectories(paths.RetiredKeysDirectory);
        Assert.Equal(rotations, retired.Length);
        var retiredFingerprints = new HashSet<string>(StringComparer.Ordinal);
        foreach (string folder in retired)
        {
            SshKeyPair old = OpenSshPrivateKeyFormat.Read(File.ReadAllText(Path.Combine(folder, "workspace_key"), Encoding.UTF8), passphrase: null);
            Assert.Equal(old.PublicKeyLine, File.ReadAllText(Path.Combine(folder, "workspace_key.pub")).Trim());
            Assert.True(retiredFingerprints.Add(old.Fingerprint), "A pair was retired twice.");
        }

        // Every stored key but the current one was retired, and the current one was not.
        Assert.DoesNotContain(pair.Fingerprint, retiredFingerprints);
        Assert.All(rotated.Where(f => f != pair.Fingerprint), f => Assert.Contains(f, retiredFingerprints));
        Assert.Empty(Directory.GetFiles(_root, "*.tmp", SearchOption.AllDirectories));
    }
}
