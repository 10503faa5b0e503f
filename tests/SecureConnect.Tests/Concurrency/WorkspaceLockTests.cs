using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using SecureConnect.Common;
using SecureConnect.Workspace;
using Xunit;

namespace SecureConnect.Tests.Concurrency;

/// <summary>
/// The workspace lock is held per thread: code that holds it may call a service that takes it again (a rotation
/// reading the key it retires) without waiting for itself, while every other thread and process still waits.
/// </summary>
public sealed class WorkspaceLockTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "sc-lock-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    private WorkspaceStore NewStore() => new(new WorkspacePaths(_root), TimeSpan.FromMilliseconds(300));

    [Fact]
    public void WithLock_TakenAgainOnTheSameThread_RunsAtOnce_ByAnotherStoreOfTheSameWorkspaceToo()
    {
        bool ran = NewStore().WithLock(() => NewStore().WithLock(() => NewStore().WithLock(() => true)));

        Assert.True(ran);
    }

    [Fact]
    public async Task WithLock_HeldByAThread_IsWorkspaceLockedForAnotherThread_AndFreeOnceReleased()
    {
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Task holder = Task.Factory.StartNew(
            () => NewStore().WithLock(() =>
            {
                // The nested take must not release the lock when it ends.
                NewStore().WithLock(() => { });
                held.Set();
                release.Wait();
            }),
            TaskCreationOptions.LongRunning);
        Assert.True(held.Wait(TimeSpan.FromSeconds(60)));

        var error = Assert.Throws<SecureConnectException>(() => NewStore().WithLock(() => { }));
        Assert.Equal(ErrorIds.WorkspaceLocked, error.ErrorId);

        release.Set();
        await holder.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(NewStore().WithLock(() => true));
    }

    [Fact]
    public async Task WithLock_AfterTheActionThrows_IsFreeAgainOnTheSameThreadAndOthers()
    {
        Assert.Throws<InvalidOperationException>(() => NewStore().WithLock(() => throw new InvalidOperationException("inside")));

        Assert.True(await Task.Factory.StartNew(() => NewStore().WithLock(() => true), TaskCreationOptions.LongRunning));
        Assert.True(NewStore().WithLock(() => true));
    }
}
