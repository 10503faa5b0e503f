using System;
using System.Collections;
using System.Data;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Net;
using System.Text;
using SecureConnect.Common;
using SecureConnect.Export;
using SecureConnect.Integrations;
using SecureConnect.Sql;
using SecureConnect.Sql.Mongo;

namespace SecureConnect.Commands;

/// <summary>Turns an -Encoding name (utf8, utf8BOM, unicode, ...) or code page into an Encoding, as PowerShell 7's file cmdlets do.</summary>
public sealed class EncodingTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc/>
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            Encoding encoding => encoding,
            string or int => ExportEncodings.FromName(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!)
                ?? throw new ArgumentTransformationMetadataException($"'{value}' is not an encoding: use one of {ExportEncodings.Names}, or a code page."),
            _ => inputData,
        };
    }
}

/// <summary>
/// Export-SecureQuery: runs a query like Invoke-SecureQuery and streams its result straight into a file (CSV as
/// Export-Csv writes it, or JSON Lines), which appears, or grows, only once the whole result has arrived.
/// </summary>
[Cmdlet(VerbsData.Export, "SecureQuery", DefaultParameterSetName = ByIntegration, SupportsShouldProcess = true, HelpUri = HelpUris.Cmdlets + "Export-SecureQuery.md")]
[OutputType(typeof(ExportResult))]
public sealed class ExportSecureQueryCommand : SecureQueryRunCmdlet
{
    /// <summary>
    /// The query; @name placeholders bind -Parameters. For MongoDB, a database command as JSON. Required unless
    /// -Collection is given.
    /// </summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Query { get; set; } = string.Empty;

    /// <summary>The file to write (relative to the current location).</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Values for @name placeholders, bound as real parameters.</summary>
    [Parameter]
    public Hashtable? Parameters { get; set; }

    /// <summary>Seconds the command may run.</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int? CommandTimeout { get; set; }

    private protected override string QueryText => Query;

    private protected override Hashtable? QueryParameters => Parameters;

    /// <summary>Csv (default) or JsonLines.</summary>
    [Parameter]
    public ExportFormat Format { get; set; } = ExportFormat.Csv;

    /// <summary>CSV: the encoding (utf8 without a byte order mark by default, as Export-Csv).</summary>
    [Parameter]
    [EncodingTransformation]
    [ValidateNotNull]
    public Encoding? Encoding { get; set; }

    /// <summary>CSV: the field delimiter (a comma by default).</summary>
    [Parameter]
    public char Delimiter { get; set; } = ',';

    /// <summary>CSV: which fields are quoted (Always by default, as Export-Csv).</summary>
    [Parameter]
    public CsvQuoteKind UseQuotes { get; set; } = CsvQuoteKind.Always;

    /// <summary>Adds the rows to the end of an existing file (CSV: without a second header; the columns must match).</summary>
    [Parameter]
    public SwitchParameter Append { get; set; }

    /// <summary>Replaces an existing file.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        if (Format == ExportFormat.JsonLines)
        {
            string[] csvOnly = new[] { nameof(Encoding), nameof(Delimiter), nameof(UseQuotes) }.Where(MyInvocation.BoundParameters.ContainsKey).ToArray();
            if (csvOnly.Length > 0)
            {
                ThrowTerminating(ErrorIds.ParameterNotApplicable, ErrorKind.InvalidArgument, $"-{string.Join(", -", csvOnly)} {(csvOnly.Length == 1 ? "applies" : "apply")} to -Format Csv only: JSON Lines is always UTF-8 without a byte order mark.", csvOnly[0]);
            }
        }
    }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        try
        {
            Export();
        }
        catch (SecureConnectException e)
        {
            // Every error stops the statement: one call writes one file, and a runbook must not go on without it.
            ThrowTerminating(e);
        }
        catch (OperationCanceledException)
        {
            throw new PipelineStoppedException();
        }
    }

    private void Export()
    {
        var clock = Stopwatch.StartNew();
        (ConnectionPlan spec, NetworkCredential? credential, SslPolicyLevels levels) = Resolve();
        FindRequest? find = CollectionQuery(spec);
        CheckQuery(spec, find, CommandTimeout);
        string path = ResolveFilePath(Path, ErrorIds.ExportFailed, "export file");
        string action = Append ? $"Append the result of a query on '{spec.Name}' ({Format})" : $"Write the result of a query on '{spec.Name}' ({Format})";
        if (!ShouldProcess(path, action))
        {
            return;
        }

        ExportMode mode = Append ? ExportMode.Append : Force ? ExportMode.Overwrite : ExportMode.CreateNew;
        using ExportFile file = ExportFile.Open(path, mode);
        using IRowWriter writer = ExportWriters.Create(file, Format, Encoding, Delimiter, UseQuotes);
        var output = new FileOutput(writer, file, new ExportProgress(this, file.Path));
        IEngineSession? session = null;
        using ProgressReporter waits = ProgressReporter.Begin(this, $"Export-SecureQuery to {file.Path}");
        try
        {
            WarnAboutKnownHostsFor(spec);
            session = SecureConnectionOpener.Open(spec, credential, levels, Store, CommandTimeout, WriteVerbose, CancelToken);
            session.Execute(new QueryRequest(Query, Parameters, ResultShape.Rows, CommandTimeout, find), output, CancelToken);
        }
        catch (Exception) when (output.Failure is { } failure)
        {
            // The file failed, whatever the engine made of the exception that stopped its result.
            throw failure;
        }
        catch (SecureConnectException e) when (e.ErrorId == ErrorIds.QueryInterrupted && e.Message.Contains(ResultStream.DiscardAdvice, StringComparison.Ordinal))
        {
            // The export keeps nothing of a cut result (ExportFile removes its partial file or cuts an appended target
            // back): say that, not "discard what was written".
            throw new SecureConnectException(
                e.ErrorId,
                e.Kind,
                e.Message.Replace(ResultStream.DiscardAdvice, $" The result is incomplete, and nothing of it was kept: '{file.Path}' is as it was before the export.", StringComparison.Ordinal),
                e.Target,
                e.InnerException);
        }
        finally
        {
            session?.Dispose();
            output.Progress.Complete();
        }

        try
        {
            writer.Finish();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw output.WriteFailed(e);
        }

        long bytes = file.Commit();
        WriteVerbose($"Wrote {writer.Rows} rows ({bytes} bytes) to '{file.Path}'.");
        WriteObject(new ExportResult(spec.Name, file.Path, Format, writer.Rows, bytes, clock.Elapsed.TotalSeconds, file.AppendsToText));
    }

    /// <summary>Hands each row to the file's writer, on the pipeline thread, and reports progress.</summary>
    private sealed class FileOutput : IQueryOutput
    {
        private readonly IRowWriter _writer;
        private readonly ExportFile _file;

        public FileOutput(IRowWriter writer, ExportFile file, ExportProgress progress)
        {
            _writer = writer;
            _file = file;
            Progress = progress;
        }

        public ExportProgress Progress { get; }

        /// <summary>Why writing the file failed, when it did.</summary>
        public SecureConnectException? Failure { get; private set; }

        public void Row(string[] names, object?[] values)
        {
            try
            {
                _writer.Row(names, values);
            }
            catch (SecureConnectException e)
            {
                Failure = e;
                throw;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw WriteFailed(e);
            }

            Progress.Tick(_writer.Rows, _file.Stream.Position);
        }

        public void Table(DataTable table, bool asRows) => throw new InvalidOperationException("Export-SecureQuery asks for rows only.");

        public void Value(object? value) => throw new InvalidOperationException("Export-SecureQuery asks for rows only.");

        public SecureConnectException WriteFailed(Exception e)
        {
            Failure = new SecureConnectException(ErrorIds.ExportFailed, ErrorKind.WriteError, $"Writing the rows for '{_file.Path}' failed ({e.Message}); the file is as it was. Free space or fix the permissions, then export again.", _file.Path, e);
            return Failure;
        }
    }

    /// <summary>Write-Progress for a long export (rows, bytes, rate), at most twice a second, from the pipeline thread.</summary>
    private sealed class ExportProgress
    {
        private const int ActivityId = 0x5ec0;
        private static readonly long s_interval = Stopwatch.Frequency / 2;

        private readonly ExportSecureQueryCommand _cmdlet;
        private readonly string _path;
        private readonly bool _enabled;
        private readonly long _start = Stopwatch.GetTimestamp();
        private long _last;
        private bool _shown;

        public ExportProgress(ExportSecureQueryCommand cmdlet, string path)
        {
            _cmdlet = cmdlet;
            _path = path;
            _enabled = ProgressReporter.IsEnabled(cmdlet.GetVariableValue("ProgressPreference"));
            _last = _start;
        }

        public void Tick(long rows, long bytes)
        {
            if (!_enabled)
            {
                return;
            }

            long now = Stopwatch.GetTimestamp();
            if (now - _last < s_interval)
            {
                return;
            }

            _last = now;
            double seconds = (double)(now - _start) / Stopwatch.Frequency;
            string status = string.Format(System.Globalization.CultureInfo.CurrentCulture, "{0:N0} rows, {1:N1} MiB, {2:N0} rows/s", rows, bytes / 1048576.0, rows / Math.Max(seconds, 0.001));
            _cmdlet.WriteProgress(new ProgressRecord(ActivityId, $"Export-SecureQuery to {_path}", status));
            _shown = true;
        }

        public void Complete()
        {
            if (_shown)
            {
                _shown = false;
                _cmdlet.WriteProgress(new ProgressRecord(ActivityId, $"Export-SecureQuery to {_path}", "Done") { RecordType = ProgressRecordType.Completed });
            }
        }
    }
}
