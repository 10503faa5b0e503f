using System;
using System.Management.Automation;
using System.Threading.Tasks;
using SecureConnect.Common;
using SecureConnect.Ssh.Tunnels;
using Xunit;

namespace SecureConnect.Tests.Common;

public sealed class ProgressReporterTests
{
    [Theory]
    [InlineData(ActionPreference.Continue, true)]
    [InlineData(ActionPreference.Stop, true)]
    [InlineData(ActionPreference.SilentlyContinue, false)]
    [InlineData(ActionPreference.Ignore, false)]
    [InlineData("silentlycontinue", false)]
    [InlineData("Ignore", false)]
    [InlineData("Continue", true)]
    [InlineData(null, true)]
    public void IsEnabled_QuietOnlyForSilentlyContinueAndIgnore(object? preference, bool enabled)
    {
        Assert.Equal(enabled, ProgressReporter.IsEnabled(preference));
        Assert.Equal(enabled, ProgressReporter.IsEnabled(preference is null ? null : new PSObject(preference)));
    }

    [Fact]
    public async Task Wait_WithoutAReporter_BlocksAndReturnsLikeGetResult()
    {
        var source = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<int> waiting = Task.Run(() => ProgressReporter.Wait(source.Task, "status"));
        Assert.False(waiting.IsCompleted);
        source.SetResult(42);
        Assert.Equal(42, await waiting);
    }

    [Fact]
    public void Wait_WithoutAReporter_RethrowsTheTasksOwnException()
    {
        Task failed = Task.FromException(new TimeoutException("late"));
        Assert.Equal("late", Assert.Throws<TimeoutException>(() => ProgressReporter.Wait(failed, "status")).Message);
    }

    [Fact]
    public void HopProgress_NamesTheJumpHostsAndTheBastionWithTheirPlace()
    {
        var route = new[] { new SshHop("jump.example", 22, "ops"), new SshHop("bastion.example", 2222, "tunnel") };
        Assert.Equal("Connecting to the jump host ops@jump.example:22 (SSH hop 1 of 2)", HopChain.HopProgress(route, 0));
        Assert.Equal("Connecting to the bastion tunnel@bastion.example:2222 (SSH hop 2 of 2)", HopChain.HopProgress(route, 1));
    }
}
