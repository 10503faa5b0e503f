using System;
using SecureConnect.Common;
using SecureConnect.Sql;
using Xunit;

namespace SecureConnect.Tests.Sql;

public sealed class DriverErrorsTests
{
    [Fact]
    public void IsCommandTimeout_FindsATimeoutAnywhereInTheChain()
    {
        Assert.True(DriverErrors.IsCommandTimeout(new InvalidOperationException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt"))));
        Assert.True(DriverErrors.IsCommandTimeout(new InvalidOperationException("The Command Timeout expired before the operation completed.")));
        Assert.True(DriverErrors.IsCommandTimeout(new InvalidOperationException("Execution Timeout Expired.  The timeout period elapsed prior to completion of the operation.")));
        Assert.False(DriverErrors.IsCommandTimeout(new InvalidOperationException("relation \"nope\" does not exist")));
    }

    [Fact]
    public void CommandTimeout_IsQueryTimeout_SayingHowLongAndWhatWasDelivered()
    {
        var inner = new TimeoutException("x");
        SecureConnectException none = DriverErrors.CommandTimeout("pg", 5, 0, inner);
        Assert.Equal(ErrorIds.QueryTimeout, none.ErrorId);
        Assert.Equal(ErrorKind.OperationTimeout, none.Kind);
        Assert.Contains("command timeout of 5 s", none.Message, StringComparison.Ordinal);
        Assert.Contains("no rows were returned", none.Message, StringComparison.Ordinal);
        Assert.Same(inner, none.InnerException);

        SecureConnectException some = DriverErrors.CommandTimeout("pg", 5, 12, inner);
        Assert.Contains("after 12 rows; the result is incomplete", some.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoPasswordSent_OnlyForUsingPasswordNo()
    {
        string? hint = DriverErrors.NoPasswordSent(new InvalidOperationException("Access denied for user 'app'@'10.0.0.1' (using password: NO)"));
        Assert.NotNull(hint);
        Assert.Contains("No password was sent", hint, StringComparison.Ordinal);
        Assert.Null(DriverErrors.NoPasswordSent(new InvalidOperationException("Access denied for user 'app'@'10.0.0.1' (using password: YES)")));
    }
}
