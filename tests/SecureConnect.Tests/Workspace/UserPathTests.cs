using System;
using System.IO;
using SecureConnect.Workspace;
using Xunit;

namespace SecureConnect.Tests.Workspace;

public sealed class UserPathTests
{
    private static readonly string s_home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    private static readonly string s_location = Path.Combine(Path.GetTempPath(), "sc-location");

    [Fact]
    public void Relative_ResolvesAgainstTheGivenLocation_NotTheProcessDirectory()
    {
        Assert.NotEqual(Path.GetFullPath(s_location), Environment.CurrentDirectory);
        Assert.Equal(Path.Combine(s_location, "ws"), UserPath.Resolve("ws", s_location));
        Assert.Equal(Path.Combine(s_location, "a", "ws"), UserPath.Resolve("./a/ws", s_location));
        Assert.Equal(Path.Combine(Path.GetTempPath(), "ws"), UserPath.Resolve("../ws", s_location));
    }

    [Theory]
    [InlineData("~", "")]
    [InlineData("~/", "")]
    [InlineData("~/ws", "ws")]
    [InlineData("~/a/../ws", "ws")]
    public void Tilde_IsTheUsersHome(string path, string rest)
    {
        string expected = Path.TrimEndingDirectorySeparator(Path.Combine(s_home, rest));
        Assert.Equal(expected, Path.TrimEndingDirectorySeparator(UserPath.Resolve(path, s_location)));
    }

    [Fact]
    public void Tilde_InsideANameOrAnotherUsersHome_IsAnOrdinaryName()
    {
        // PowerShell and the shells expand only a leading "~" followed by a separator or nothing.
        Assert.Equal(Path.Combine(s_location, "a~"), UserPath.Resolve("a~", s_location));
        Assert.Equal(Path.Combine(s_location, "~other", "ws"), UserPath.Resolve("~other/ws", s_location));
    }

    [Fact]
    public void Absolute_IsNormalised_AndIgnoresTheLocation()
    {
        string absolute = Path.Combine(Path.GetTempPath(), "x", "..", "ws");
        Assert.Equal(Path.Combine(Path.GetTempPath(), "ws"), UserPath.Resolve(absolute, s_location));
    }
}
