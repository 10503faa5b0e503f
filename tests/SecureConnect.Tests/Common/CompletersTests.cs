using System.Linq;
using System.Management.Automation;
using SecureConnect.Commands;
using Xunit;

namespace SecureConnect.Tests.Common;

/// <summary>How the argument completers match and quote (tests/Completion.Tests.ps1 drives them through TabExpansion2).</summary>
public sealed class CompletersTests
{
    private static readonly string[] Names = { "warehouse", "My Warehouse", "o'brien db", "reports", "warehouse" };

    [Theory]
    [InlineData("", new[] { "warehouse", "'My Warehouse'", "'o''brien db'", "reports" })]
    [InlineData("WARE", new[] { "warehouse" })]
    [InlineData("my", new[] { "'My Warehouse'" })]
    [InlineData("'my w", new[] { "'My Warehouse'" })]
    [InlineData("\"my w", new[] { "\"My Warehouse\"" })]
    [InlineData("*house", new[] { "warehouse", "'My Warehouse'" })]
    [InlineData("o'", new[] { "'o''brien db'" })]
    [InlineData("zzz", new string[0])]
    public void Candidates_MatchByPrefixOrWildcard_AndAreQuotedWhenTheyNeedIt(string word, string[] expected)
    {
        CompletionResult[] results = SecureConnectCompleter.Complete(Names, word).ToArray();

        Assert.Equal(expected, results.Select(r => r.CompletionText));
        Assert.All(results, r => Assert.Equal(CompletionResultType.ParameterValue, r.ResultType));
    }

    [Theory]
    [InlineData("plain-name_1.x", "plain-name_1.x")]
    [InlineData("with space", "'with space'")]
    [InlineData("-dash", "'-dash'")]
    [InlineData("a$b", "'a$b'")]
    [InlineData("semi;colon", "'semi;colon'")]
    [InlineData("203.0.113.0/24", "203.0.113.0/24")]
    public void Quote_LeavesWhatBindsAsItIs(string value, string expected) => Assert.Equal(expected, SecureConnectCompleter.Quote(value));
}
