using System;
using System.IO;
using System.Linq;
using System.Text;
using SecureConnect.Common;
using SecureConnect.Export;
using Xunit;

namespace SecureConnect.Tests.Export;

/// <summary>
/// The atomic export file: the target appears, is replaced or grows only on Commit; an export that fails mid-way
/// leaves the old file as it was and no temporary file.
/// </summary>
public sealed class ExportFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sc-export-").FullName;

    [Fact]
    public void AFailureMidWay_LeavesTheOldFileUntouchedAndNoTemporaryFile()
    {
        string path = Target("old content\n");

        Assert.Throws<InvalidOperationException>(() => Export(path, ExportMode.Overwrite, failAfter: 5000));

        Assert.Equal("old content\n", File.ReadAllText(path));
        Assert.Equal(new[] { "target.csv" }, Files());
    }

    [Fact]
    public void AFailureMidWay_OfANewFile_LeavesNoFile()
    {
        string path = Path.Combine(_folder, "target.csv");

        Assert.Throws<InvalidOperationException>(() => Export(path, ExportMode.CreateNew, failAfter: 5000));

        Assert.Empty(Files());
    }

    [Fact]
    public void WhileWriting_TheRowsGoToAHiddenOwnerOnlyFileBesideTheTarget()
    {
        string path = Path.Combine(_folder, "target.csv");
        using ExportFile file = ExportFile.Open(path, ExportMode.CreateNew);
        file.Stream.Write("data"u8);

        Assert.Equal(_folder, Path.GetDirectoryName(file.TempPath));
        Assert.StartsWith(".target.csv.", Path.GetFileName(file.TempPath));
        Assert.False(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file.TempPath));
        }
    }

    [Fact]
    public void Commit_ReplacesTheTargetInOneRename_KeepingItsPermissions()
    {
        string path = Target("old\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        }

        long bytes = Export(path, ExportMode.Overwrite);

        Assert.Equal(Expected(3), File.ReadAllText(path));
        Assert.Equal(new FileInfo(path).Length, bytes);
        Assert.Equal(new[] { "target.csv" }, Files());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void Commit_OfANewFile_GivesItANewFilesPermissions()
    {
        string path = Path.Combine(_folder, "target.csv");
        string plain = Path.Combine(_folder, "plain");
        File.WriteAllText(plain, string.Empty);

        Export(path, ExportMode.CreateNew);

        Assert.Equal(Expected(3), File.ReadAllText(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(File.GetUnixFileMode(plain), File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void AnExistingTarget_IsRefusedWithoutForce()
    {
        string path = Target("old\n");

        var e = Assert.Throws<SecureConnectException>(() => ExportFile.Open(path, ExportMode.CreateNew));

        Assert.Equal(ErrorIds.ExportTargetExists, e.ErrorId);
        Assert.Contains("-Force", e.Message);
        Assert.Equal(new[] { "target.csv" }, Files());
    }

    [Fact]
    public void ATargetThatAppearsWhileTheQueryRuns_IsNotOverwrittenWithoutForce()
    {
        string path = Path.Combine(_folder, "target.csv");
        using (ExportFile file = ExportFile.Open(path, ExportMode.CreateNew))
        {
            file.Stream.Write("new\n"u8);
            File.WriteAllText(path, "someone else's\n");

            var e = Assert.Throws<SecureConnectException>(() => file.Commit());

            Assert.Equal(ErrorIds.ExportTargetExists, e.ErrorId);
        }

        Assert.Equal("someone else's\n", File.ReadAllText(path));
        Assert.Equal(new[] { "target.csv" }, Files());
    }

    [Fact]
    public void Append_AddsOnlyACompleteResult()
    {
        string path = Target("\"n\"\n\"0\"\n");

        Assert.Throws<InvalidOperationException>(() => Export(path, ExportMode.Append, failAfter: 2));
        Assert.Equal("\"n\"\n\"0\"\n", File.ReadAllText(path));

        long bytes = Export(path, ExportMode.Append);

        Assert.Equal("\"n\"\n\"0\"\n\"1\"\n\"2\"\n\"3\"\n", File.ReadAllText(path));
        Assert.Equal(12, bytes);
        Assert.Equal(new[] { "target.csv" }, Files());
    }

    [Fact]
    public void AMissingFolder_IsExportFailed()
    {
        var e = Assert.Throws<SecureConnectException>(() => ExportFile.Open(Path.Combine(_folder, "no", "such.csv"), ExportMode.CreateNew));

        Assert.Equal(ErrorIds.ExportFailed, e.ErrorId);
        Assert.Contains("does not exist", e.Message);
    }

    [Fact]
    public void AFolderAsTarget_IsExportFailed()
    {
        var e = Assert.Throws<SecureConnectException>(() => ExportFile.Open(_folder, ExportMode.Overwrite));

        Assert.Equal(ErrorIds.ExportFailed, e.ErrorId);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Expected(int rows) => "\"n\"\n" + string.Concat(Enumerable.Range(1, rows).Select(i => $"\"{i}\"\n"));

    private string Target(string content)
    {
        string path = Path.Combine(_folder, "target.csv");
        File.WriteAllText(path, content);
        return path;
    }

    private string[] Files() => Directory.GetFiles(_folder).Select(f => Path.GetFileName(f)!).Where(f => f != "plain").OrderBy(f => f, StringComparer.Ordinal).ToArray();

    /// <summary>Rows n = 1..3 (or until <paramref name="failAfter"/>, then the "query" fails), as the cmdlet writes them.</summary>
    private static long Export(string path, ExportMode mode, int failAfter = int.MaxValue)
    {
        using ExportFile file = ExportFile.Open(path, mode);
        using IRowWriter writer = ExportWriters.Create(file, ExportFormat.Csv, null, ',', CsvQuoteKind.Always);
        string[] names = { "n" };
        int rows = failAfter == int.MaxValue ? 3 : failAfter + 10;
        for (int i = 1; i <= rows; i++)
        {
            if (i > failAfter)
            {
                throw new InvalidOperationException("the query failed");
            }

            writer.Row(names, new object?[] { i });
        }

        writer.Finish();
        return file.Commit();
    }
}
