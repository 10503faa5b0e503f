using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace SecureConnect.Tests.Concurrency;

/// <summary>
/// Several writers (threads with a store each, as parallel runbooks have, and a second OS process) change one
/// workspace at once under distinct names, so every change must survive; readers read it all the while and must
/// always see a whole, valid file. Bounded by counts of operations, not by time.
/// </summary>
public sealed class WorkspaceConcurrencyTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sc-conc-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private List<WorkspaceWorkload> Writers(WorkloadKind kind, int writers, int count, int first = 0) =>
        Enumerable.Range(first, writers).Select(w => new WorkspaceWorkload(kind, _root, w, count)).ToList();

    [Theory]
    [InlineData(WorkloadKind.Integrations)]
    [InlineData(WorkloadKind.Egress)]
    [InlineData(WorkloadKind.KnownHosts)]
    public void Threads_ChangingOneStore_LoseNoUpdate_AndReadersSeeWholeFiles(WorkloadKind kind)
    {
        List<WorkspaceWorkload> writers = Writers(kind, writers: 6, count: 24);
        var run = new ConcurrentRun(_root);

        run.Run(writers, Readers.Settings | Readers.KnownHosts);

        run.AssertFinalState(writers);
        run.AssertReadsWhole();
    }

    [Fact]
    public void TwoProcessesAndThreads_MixedChanges_LoseNoUpdate_AndReadersSeeWholeFiles()
    {
        List<WorkspaceWorkload> mine = Writers(WorkloadKind.Mixed, writers: 3, count: 16);
        List<WorkspaceWorkload> theirs = Writers(WorkloadKind.Mixed, writers: 3, count: 16, first: 100);
        using ChildProcess child = ConcurrencyChild.Start(WorkloadKind.Mixed, _root, first: 100, writers: 3, count: 16);
        child.WaitReady();
        var run = new ConcurrentRun(_root);

        var result = run.Run(mine, Readers.Settings | Readers.KnownHosts, child: child)!.Value;

        Assert.True(result.ExitCode == 0, $"The child process failed ({result.ExitCode}):\n{result.Error}");
        Assert.Contains("done", result.Output, StringComparison.Ordinal);
        run.AssertFinalState(mine.Concat(theirs));
        run.AssertReadsWhole();
    }
}
