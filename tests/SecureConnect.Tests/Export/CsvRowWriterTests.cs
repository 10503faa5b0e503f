using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using SecureConnect.Export;
using Xunit;

namespace SecureConnect.Tests.Export;

/// <summary>
/// The CSV writer against PowerShell's own Export-Csv, run in-process on the same rows: the two files must be the same
/// bytes for every -UseQuotes, a custom delimiter, the encodings, the culture, and -Append.
/// </summary>
public sealed class CsvRowWriterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sc-csv-").FullName;

    public static IEnumerable<object[]> Options() =>
        from quotes in new[] { "Always", "AsNeeded", "Never" }
        from delimiter in new[] { ',', ';', '\t' }
        from encoding in new[] { "utf8", "utf8BOM", "unicode" }
        select new object[] { quotes, delimiter, encoding };

    [Theory]
    [MemberData(nameof(Options))]
    public void MixedRows_AreTheBytesExportCsvWrites(string quotes, char delimiter, string encoding)
    {
        var rows = ExportRows.Mixed();

        byte[] expected = ExportCsv(rows, quotes, delimiter, encoding);
        byte[] actual = Write(rows, quotes, delimiter, encoding);

        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual));
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("en-US")]
    [InlineData("de-DE")]
    [InlineData("fr-CH")]
    [InlineData("")]
    public void NumbersAndDates_FollowTheSessionCultureAsExportCsv(string culture)
    {
        var rows = ExportRows.Mixed();

        (byte[] expected, byte[] actual) = ExportRows.InCulture(culture, () => (ExportCsv(rows, "Always", ',', "utf8"), Write(rows, "Always", ',', "utf8")));

        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(actual));
    }

    [Theory]
    [InlineData("utf8")]
    [InlineData("utf8BOM")]
    [InlineData("unicode")]
    public void NoRows_IsTheFileExportCsvLeaves(string encoding)
    {
        var none = new List<(string[], object?[])>();

        Assert.Equal(ExportCsv(none, "Always", ',', encoding), Write(none, "Always", ',', encoding));
    }

    [Theory]
    [InlineData("utf8", "utf8")]
    [InlineData("utf8BOM", "utf8")]
    [InlineData("unicode", "utf8")]
    [InlineData("unicode", "unicode")]
    public void Append_IsWhatExportCsvAppendWrites(string firstEncoding, string appendEncoding)
    {
        var first = ExportRows.Mixed().Take(1).ToList();

        // The same columns in another order: both follow the file's header.
        string[] reordered = ExportRows.Names.Reverse().ToArray();
        var second = ExportRows.Mixed().Take(2).Select(r => (reordered, r.Values.Reverse().ToArray())).ToList();

        string expectedPath = Path.Combine(_folder, "expected.csv");
        RunExportCsv(first, expectedPath, "Always", ',', firstEncoding, append: false);
        RunExportCsv(second, expectedPath, "Always", ',', appendEncoding, append: true);

        string actualPath = Path.Combine(_folder, "actual.csv");
        WriteFile(first, actualPath, ExportMode.CreateNew, CsvQuoteKind.Always, ',', firstEncoding);
        WriteFile(second, actualPath, ExportMode.Append, CsvQuoteKind.Always, ',', appendEncoding);

        Assert.Equal(File.ReadAllBytes(expectedPath), File.ReadAllBytes(actualPath));
    }

    [Fact]
    public void Append_ToAFileWithOtherColumns_IsRefusedAndLeavesItAsItWas()
    {
        string path = Path.Combine(_folder, "other.csv");
        File.WriteAllText(path, "\"id\",\"name\"\n\"1\",\"a\"\n");
        byte[] before = File.ReadAllBytes(path);

        var e = Assert.Throws<SecureConnect.Common.SecureConnectException>(() => WriteFile(ExportRows.Mixed(), path, ExportMode.Append, CsvQuoteKind.Always, ',', "utf8"));

        Assert.Equal("ExportHeaderMismatch", e.ErrorId);
        Assert.Contains("id, name", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { "other.csv" }, Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void Append_ToAnEmptyFile_WritesTheHeader()
    {
        string path = Path.Combine(_folder, "empty.csv");
        File.WriteAllBytes(path, Array.Empty<byte>());
        var rows = ExportRows.Mixed().Take(1).ToList();

        WriteFile(rows, path, ExportMode.Append, CsvQuoteKind.Always, ',', "utf8");

        Assert.Equal(Write(rows, "Always", ',', "utf8"), File.ReadAllBytes(path));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private byte[] ExportCsv(List<(string[] Names, object?[] Values)> rows, string quotes, char delimiter, string encoding)
    {
        string path = Path.Combine(_folder, "export-csv-" + Guid.NewGuid().ToString("N") + ".csv");
        RunExportCsv(rows, path, quotes, delimiter, encoding, append: false);
        return File.ReadAllBytes(path);
    }

    private static void RunExportCsv(List<(string[] Names, object?[] Values)> rows, string path, string quotes, char delimiter, string encoding, bool append)
    {
        using PowerShell shell = PowerShell.Create();
        shell.AddCommand("Export-Csv").AddParameter("Path", path).AddParameter("UseQuotes", quotes).AddParameter("Delimiter", delimiter).AddParameter("Encoding", encoding);
        if (append)
        {
            shell.AddParameter("Append");
        }

        if (rows.Count == 0)
        {
            // Nothing piped, as "@() | Export-Csv" (Invoke with no input would leave -InputObject unbound).
            shell.Commands.Clear();
            shell.AddScript("param($p, $q, $d, $e) @() | Export-Csv -Path $p -UseQuotes $q -Delimiter $d -Encoding $e")
                .AddArgument(path).AddArgument(quotes).AddArgument(delimiter).AddArgument(encoding);
            shell.Invoke();
        }
        else
        {
            shell.Invoke(rows.Select(r => ExportRows.ToObject(r.Names, r.Values)).ToList());
        }

        Assert.False(shell.HadErrors, string.Join("; ", shell.Streams.Error));
    }

    private byte[] Write(List<(string[] Names, object?[] Values)> rows, string quotes, char delimiter, string encoding)
    {
        string path = Path.Combine(_folder, "writer-" + Guid.NewGuid().ToString("N") + ".csv");
        WriteFile(rows, path, ExportMode.CreateNew, Enum.Parse<CsvQuoteKind>(quotes), delimiter, encoding);
        return File.ReadAllBytes(path);
    }

    private static void WriteFile(List<(string[] Names, object?[] Values)> rows, string path, ExportMode mode, CsvQuoteKind quotes, char delimiter, string encoding)
    {
        using ExportFile file = ExportFile.Open(path, mode);
        using IRowWriter writer = ExportWriters.Create(file, ExportFormat.Csv, ExportEncodings.FromName(encoding), delimiter, quotes);
        foreach ((string[] names, object?[] values) in rows)
        {
            writer.Row(names, values);
        }

        writer.Finish();
        file.Commit();
    }
}
