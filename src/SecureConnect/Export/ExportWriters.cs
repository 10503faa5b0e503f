using System.Text;

namespace SecureConnect.Export;

/// <summary>The row writer for a format and a file: for CSV appended to a file with text, its header and encoding.</summary>
internal static class ExportWriters
{
    public static IRowWriter Create(ExportFile file, ExportFormat format, Encoding? encoding, char delimiter, CsvQuoteKind quotes)
    {
        if (format == ExportFormat.JsonLines)
        {
            return new JsonLinesRowWriter(file.Stream);
        }

        Encoding chosen = encoding ?? ExportEncodings.Utf8NoBom;
        string[]? header = null;
        if (file.AppendsToText)
        {
            // As Export-Csv -Append: the file's own encoding when its byte order mark names one, and its header.
            (header, chosen) = CsvHeaderReader.Read(file.Path, delimiter, chosen);
            chosen = ExportEncodings.WithoutPreamble(chosen);
        }

        return new CsvRowWriter(file.Stream, chosen, delimiter, quotes, header, file.Path);
    }
}
