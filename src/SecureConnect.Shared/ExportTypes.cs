using System;
using Newtonsoft.Json;
using Newtonsoft.Json.Converters;

namespace SecureConnect;

/// <summary>The file formats Export-SecureQuery writes.</summary>
[JsonConverter(typeof(StringEnumConverter))]
public enum ExportFormat
{
    /// <summary>CSV, byte for byte as Export-Csv writes the same rows.</summary>
    Csv,

    /// <summary>One JSON object per row and line, UTF-8 without a byte order mark.</summary>
    JsonLines,
}

/// <summary>Which CSV fields are put in double quotes (Export-Csv's -UseQuotes).</summary>
[JsonConverter(typeof(StringEnumConverter))]
public enum CsvQuoteKind
{
    /// <summary>Every header name and value (NULL stays an empty field).</summary>
    Always,

    /// <summary>Only fields that hold the delimiter, a double quote or a line feed.</summary>
    AsNeeded,

    /// <summary>No field.</summary>
    Never,
}

/// <summary>What Export-SecureQuery wrote: one object per completed export.</summary>
public sealed class ExportResult
{
    /// <summary>Creates the object; used by the module.</summary>
    public ExportResult(string integration, string path, ExportFormat format, long rows, long bytes, double seconds, bool appended)
    {
        Integration = integration;
        Path = path;
        Format = format;
        Rows = rows;
        Bytes = bytes;
        Seconds = seconds;
        Appended = appended;
    }

    /// <summary>The integration queried (for an ad hoc connection, the server's host name).</summary>
    public string Integration { get; }

    /// <summary>The full path of the file written.</summary>
    public string Path { get; }

    /// <summary>Csv or JsonLines.</summary>
    public ExportFormat Format { get; }

    /// <summary>Rows written.</summary>
    public long Rows { get; }

    /// <summary>Bytes this export wrote (with -Append, the bytes appended), header and byte order mark included.</summary>
    public long Bytes { get; }

    /// <summary>Seconds from connecting to the file being in place.</summary>
    public double Seconds { get; }

    /// <summary>Whether the rows were appended to an existing file (-Append).</summary>
    public bool Appended { get; }
}
