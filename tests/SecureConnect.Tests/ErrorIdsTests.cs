using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using SecureConnect.Common;
using Xunit;

namespace SecureConnect.Tests;

/// <summary>
/// Keeps ErrorIds.cs, the code that raises errors and en-US/about_SecureConnect_Errors.help.txt the same: an error id
/// is public contract, so every one must be documented, and the topic must not document ids that no longer exist.
/// </summary>
public sealed class ErrorIdsTests
{
    private const string TopicFile = "about_SecureConnect_Errors.help.txt";

    // The topic's entry format: the id alone on a line, indented exactly four spaces; its details are indented more.
    private static readonly Regex s_entryLine = new(@"^ {4}[A-Z][A-Za-z0-9]*$", RegexOptions.CultureInvariant);

    // An error id written as a literal where the constant belongs: "SomeId", then (across whitespace and line breaks)
    // ErrorKind., as in new SecureConnectException("SomeId", ErrorKind.InvalidArgument, ...).
    private static readonly Regex s_literalId = new(@"(?<![$@\w])""(?<id>[A-Z][A-Za-z0-9]*)""\s*,\s*ErrorKind\.", RegexOptions.CultureInvariant);

    private static readonly string s_repoRoot = FindRepoRoot();

    [Fact]
    public void EveryId_IsAnEntryOfTheTopic()
    {
        IReadOnlyList<string> lines = TopicLines();
        var missing = Ids().Select(f => f.Name).Where(id => !lines.Any(line => line.Trim() == id)).ToList();

        Assert.True(missing.Count == 0, $"{TopicFile} has no entry (a line that is only the id) for: {string.Join(", ", missing)}");
    }

    [Fact]
    public void EveryEntryOfTheTopic_IsAnId()
    {
        var ids = new HashSet<string>(Ids().Select(f => f.Name), StringComparer.Ordinal);
        var stale = TopicLines()
            .Select((line, index) => (Line: line, Number: index + 1))
            .Where(l => s_entryLine.IsMatch(l.Line) && !ids.Contains(l.Line.Trim()))
            .Select(l => $"line {l.Number}: {l.Line.Trim()}")
            .ToList();

        Assert.True(stale.Count == 0, $"{TopicFile} documents ids that ErrorIds.cs does not define: {string.Join("; ", stale)}");
    }

    [Fact]
    public void EveryEntryOfTheTopic_AppearsOnce()
    {
        var repeated = TopicLines()
            .Where(l => s_entryLine.IsMatch(l))
            .GroupBy(l => l.Trim(), StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .Select(g => g.Key)
            .ToList();

        Assert.True(repeated.Count == 0, $"{TopicFile} has more than one entry for: {string.Join(", ", repeated)}");
    }

    [Fact]
    public void TheTopic_HasTheAboutTopicShapeAndShortLines()
    {
        IReadOnlyList<string> lines = TopicLines();

        Assert.Equal("TOPIC", lines[0]);
        Assert.Equal("    about_SecureConnect_Errors", lines[1]);
        foreach (string heading in new[] { "SHORT DESCRIPTION", "LONG DESCRIPTION", "SEE ALSO" })
        {
            Assert.Contains(heading, lines);
        }

        var tooLong = lines.Select((line, index) => (line, index)).Where(l => l.line.Length > 100).Select(l => $"line {l.index + 1}").ToList();
        Assert.True(tooLong.Count == 0, $"{TopicFile} has lines over 100 characters: {string.Join(", ", tooLong)}");
    }

    [Fact]
    public void EveryId_IsItsOwnName()
    {
        IReadOnlyList<FieldInfo> ids = Ids();
        Assert.NotEmpty(ids);
        foreach (FieldInfo field in ids)
        {
            Assert.Equal(field.Name, (string?)field.GetRawConstantValue());
        }
    }

    [Fact]
    public void NoSourceFile_WritesAnErrorIdAsALiteral()
    {
        string source = Path.Combine(s_repoRoot, "src", "SecureConnect");
        var found = new List<string>();
        foreach (string file in Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(s_repoRoot, file).Replace('\\', '/');
            string[] parts = relative.Split('/');
            if (parts.Contains("obj") || parts.Contains("bin") || relative == "src/SecureConnect/Common/ErrorIds.cs")
            {
                continue;
            }

            found.AddRange(LiteralIds(File.ReadAllText(file)).Select(hit => $"{relative}:{hit.Line}: \"{hit.Id}\""));
        }

        Assert.True(found.Count == 0, "Error ids written as literals instead of ErrorIds constants:\n" + string.Join("\n", found));
    }

    [Fact]
    public void TheLiteralScan_FindsLiteralIdsAndNotConstants()
    {
        const string code = """
            throw new SecureConnectException(ErrorIds.HostKeyMismatch, ErrorKind.SecurityError, "x");
            throw new SecureConnectException(
                "HostKeyRevoked",
                ErrorKind.SecurityError,
                "The key is revoked.");
            ThrowTerminating("PortMissing", ErrorKind.InvalidArgument, "Give -Port.");
            string message = "A sentence, not an id", ErrorKind.InvalidData;
            """;

        var hits = LiteralIds(code).ToList();

        Assert.Equal(new[] { ("HostKeyRevoked", 3), ("PortMissing", 6) }, hits.Select(h => (h.Id, h.Line)));
    }

    internal static IEnumerable<(string Id, int Line)> LiteralIds(string code)
    {
        foreach (Match match in s_literalId.Matches(code))
        {
            int line = 1 + code.AsSpan(0, match.Index).Count('\n');
            yield return (match.Groups["id"].Value, line);
        }
    }

    private static IReadOnlyList<FieldInfo> Ids() =>
        typeof(ErrorIds)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && !f.IsInitOnly && f.FieldType == typeof(string))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();

    private static IReadOnlyList<string> TopicLines()
    {
        string path = Path.Combine(s_repoRoot, "en-US", TopicFile);
        Assert.True(File.Exists(path), $"The about topic '{path}' does not exist.");
        return File.ReadAllLines(path);
    }

    private static string FindRepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SecureConnect.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above '{AppContext.BaseDirectory}' holds SecureConnect.sln.");
    }
}
