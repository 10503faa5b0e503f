using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Egress;
using SecureConnect.Integrations;
using SecureConnect.Ssh;
using SecureConnect.Ssh.Keys;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Workspace;
using Xunit;

namespace SecureConnect.Tests.Concurrency;

/// <summary>What to read in a loop while the writers run.</summary>
[Flags]
internal enum Readers
{
    None = 0,

    /// <summary>workspace.json through the integration and egress stores (the whole file, strictly checked).</summary>
    Settings = 1,

    /// <summary>known_hosts: every line an entry, no parse warning.</summary>
    KnownHosts = 2,

    /// <summary>The workspace key: Get-WorkspaceSshKey's read, then the private key file as a tunnel reads it.</summary>
    Key = 4,
}

/// <summary>
/// Runs writers (threads of this process, and optionally a child process) against one workspace while readers read
/// it in a loop. Bounded by the writers' counts of operations, never by time: the readers stop when the writers are
/// done, after at least one read each.
/// </summary>
internal sealed class ConcurrentRun
{
    private readonly ConcurrentQueue<string> _readFailures = new();
    private long _reads;

    public ConcurrentRun(string root)
    {
        Root = root;
    }

    public string Root { get; }

    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Everything a reader saw that was not a whole, valid file (empty when all is well).</summary>
    public IReadOnlyList<string> ReadFailures => _readFailures.ToList();

    /// <summary>
    /// Starts <paramref name="child"/> (already ready) and the writers together, reads with <paramref name="readers"/>
    /// readers of each kind until all writers are done, and returns the child's result (null without a child).
    /// </summary>
    public (int ExitCode, string Output, string Error)? Run(IReadOnlyList<WorkspaceWorkload> writers, Readers readers, int readersPerKind = 2, ChildProcess? child = null)
    {
        using var start = new Barrier(writers.Count + 1);
        var writerErrors = new ConcurrentQueue<Exception>();
        Task[] writerTasks = writers.Select(w => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                try
                {
                    w.Run();
                }
                catch (Exception e)
                {
                    writerErrors.Enqueue(e);
                }
            },
            TaskCreationOptions.LongRunning)).ToArray();

        int done = 0;
        var readerTasks = new List<Task>();
        foreach (Readers kind in new[] { Readers.Settings, Readers.KnownHosts, Readers.Key }.Where(k => readers.HasFlag(k)))
        {
            for (int r = 0; r < readersPerKind; r++)
            {
                readerTasks.Add(Task.Factory.StartNew(
                    () =>
                    {
                        do
                        {
                            ReadOnce(kind);
                        }
                        while (Volatile.Read(ref done) == 0);
                    },
                    TaskCreationOptions.LongRunning));
            }
        }

        child?.Go();
        start.SignalAndWait();

        // Against a hang only: a fixed count of operations finishes long before this.
        bool finished = Task.WaitAll(writerTasks, TimeSpan.FromSeconds(300));
        (int, string, string)? childResult = child?.WaitForExit();
        Volatile.Write(ref done, 1);
        Assert.True(Task.WaitAll(readerTasks.ToArray(), TimeSpan.FromSeconds(60)), "A reader hung.");
        Assert.True(finished, "A writer hung: it did not finish its fixed count of operations within 300 s.");
        Assert.True(writerErrors.IsEmpty, "A writer failed under contention:\n" + string.Join("\n\n", writerErrors.Select(e => e.ToString())));
        return childResult;
    }

    private void ReadOnce(Readers kind)
    {
        var store = new WorkspaceStore(new WorkspacePaths(Root));
        try
        {
            switch (kind)
            {
                case Readers.Settings:
                    new IntegrationStore(store).All();
                    new EgressStore(store).Configured();
                    break;
                case Readers.KnownHosts:
                    ReadKnownHosts(store);
                    break;
                case Readers.Key:
                    ReadKey(store);
                    break;
            }

            Interlocked.Increment(ref _reads);
        }
        catch (Exception e)
        {
            _readFailures.Enqueue(kind + ": " + e.GetType().Name + ": " + e.Message);
        }
    }

    private void ReadKnownHosts(WorkspaceStore store)
    {
        KnownHostsFile file = new KnownHostsStore(store).Read();
        if (file.Warnings.Count > 0)
        {
            _readFailures.Enqueue("KnownHosts: a line that is not a whole entry: " + file.Warnings[0].Message);
        }
    }

    private static void ReadKey(WorkspaceStore store)
    {
        WorkspaceSshKey key = new WorkspaceKeyService(store).Get();

        // What a tunnel does next (TunnelKey.Load): read the private key at the path Get returned.
        SshKeyPair pair = OpenSshPrivateKeyFormat.Read(File.ReadAllText(key.PrivateKeyPath, Encoding.UTF8), passphrase: null);
        if (!key.PublicKey.StartsWith(key.Algorithm == SshKeyAlgorithm.Ed25519 ? "ssh-ed25519 " : "ssh-", StringComparison.Ordinal) || pair.Fingerprint.Length == 0)
        {
            throw new InvalidOperationException("The key read is not a whole key pair.");
        }
    }

    /// <summary>Asserts that readers read during the run and every read saw a whole, valid file.</summary>
    public void AssertReadsWhole()
    {
        IReadOnlyList<string> failures = ReadFailures;
        Assert.True(failures.Count == 0, $"{failures.Count} reads saw a partial or invalid workspace:\n" + string.Join("\n", failures.Distinct().Take(10)));
        Assert.True(Reads > 0, "No reader read during the run.");
    }

    /// <summary>Asserts the workspace holds exactly what the writers left: every surviving item, no removed one, nothing else.</summary>
    public void AssertFinalState(IEnumerable<WorkspaceWorkload> writers)
    {
        List<WorkspaceWorkload> all = writers.ToList();
        var store = new WorkspaceStore(new WorkspacePaths(Root));

        if (all.Any(w => w.TouchesIntegrations))
        {
            Dictionary<string, IntegrationRecord> records = new IntegrationStore(store).All().ToDictionary(r => r.Name, StringComparer.Ordinal);
            var expected = all.Where(w => w.TouchesIntegrations).SelectMany(w => w.ExpectedIntegrations()).ToList();
            foreach ((string name, int port) in expected)
            {
                Assert.True(records.TryGetValue(name, out IntegrationRecord? record), $"The integration '{name}' was lost.");
                Assert.True(port == record!.Port, $"The change of '{name}' (port {port}) was lost: the port is {record.Port}.");
            }

            foreach (string removed in all.Where(w => w.TouchesIntegrations).SelectMany(w => w.RemovedIntegrations()))
            {
                Assert.False(records.ContainsKey(removed), $"The integration '{removed}' was removed but is back.");
            }

            Assert.Equal(expected.Count, records.Count);
        }

        if (all.Any(w => w.TouchesEgress))
        {
            var cidrs = new EgressStore(store).Configured().Select(a => a.Cidr).ToList();
            var expected = all.Where(w => w.TouchesEgress).SelectMany(w => w.ExpectedCidrs()).OrderBy(c => c, StringComparer.Ordinal).ToList();
            Assert.Equal(expected, cidrs.OrderBy(c => c, StringComparer.Ordinal).ToList());
        }

        if (all.Any(w => w.TouchesKnownHosts))
        {
            KnownHostsFile file = new KnownHostsStore(store).Read();
            Assert.Empty(file.Warnings);
            var expected = all.Where(w => w.TouchesKnownHosts).SelectMany(w => w.ExpectedHosts()).ToList();
            foreach (string host in expected)
            {
                Assert.True(file.Find(host, 22).Count() == 1, $"The known host '{host}' was lost or doubled.");
            }

            foreach (string host in all.Where(w => w.TouchesKnownHosts).SelectMany(w => w.RemovedHosts()))
            {
                Assert.Empty(file.Find(host, 22));
            }

            Assert.True(file.Find(WorkspaceWorkload.SharedHost, 22).Count() == 1, "The host every writer trusted is not in known_hosts exactly once.");
            Assert.Equal(expected.Count + 1, file.Entries.Count);
        }

        // Every write replaced its file whole: no temporary file is left behind.
        Assert.Empty(Directory.GetFiles(Root, "*.tmp", SearchOption.AllDirectories));
    }
}
