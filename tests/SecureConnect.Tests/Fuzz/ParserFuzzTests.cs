using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace SecureConnect.Tests.Fuzz;

/// <summary>
/// Fuzzes every parser that reads what a user, a file or a server hands the module (issue 16): a fixed seed and a fixed
/// number of iterations per target, the kept regressions replayed first. Longer or different runs:
/// SECURECONNECT_FUZZ_ITERATIONS=100000, SECURECONNECT_FUZZ_SECONDS=600, SECURECONNECT_FUZZ_SEED=n; failing inputs are
/// written to SECURECONNECT_FUZZ_FINDINGS (default: fuzz-findings/ beside the test assembly).
/// </summary>
public sealed class ParserFuzzTests
{
    private readonly ITestOutputHelper _output;

    public ParserFuzzTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public static IEnumerable<object[]> Targets => FuzzTargets.Names.Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Targets))]
    public void Parser_FailsOnlyWithItsOwnClearErrors(string target)
    {
        FuzzReport report;
        try
        {
            report = FuzzHarness.Run(FuzzTargets.Get(target));
        }
        finally
        {
            if (Directory.Exists(FuzzTargets.WorkspaceRoot))
            {
                Directory.Delete(FuzzTargets.WorkspaceRoot, recursive: true);
            }
        }

        _output.WriteLine(report.Summary());
        FuzzHarness.Record(report);

        Assert.True(report.Failures.Count == 0, string.Join("\n\n", report.Failures) + "\n\n" + report.Summary());

        // A target whose seeds all fail tests nothing but its first check: the corpus must hold inputs that parse.
        Assert.True(report.SeedsParsed > 0, $"No seed of {target} parsed: {report.Summary()}");
    }
}
