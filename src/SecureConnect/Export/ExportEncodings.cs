using System;
using System.Text;

namespace SecureConnect.Export;

/// <summary>
/// The -Encoding names PowerShell 7's file cmdlets take (utf8 is UTF-8 without a byte order mark), and the same
/// encodings without their byte order mark, for rows appended to a file that already has one.
/// </summary>
internal static class ExportEncodings
{
    public static readonly Encoding Utf8NoBom = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    public const string Names = "utf8, utf8NoBOM, utf8BOM, unicode, bigendianunicode, utf32, bigendianutf32, ascii";

    /// <summary>The encoding a name stands for; a code page name or number goes to Encoding.GetEncoding; null when unknown.</summary>
    public static Encoding? FromName(string name)
    {
        switch (name.Trim().ToLowerInvariant())
        {
            case "utf8":
            case "utf8nobom":
                return Utf8NoBom;
            case "utf8bom":
                return new UTF8Encoding(encoderShouldEmitUTF8Identifier: true);
            case "unicode":
                return new UnicodeEncoding(bigEndian: false, byteOrderMark: true);
            case "bigendianunicode":
                return new UnicodeEncoding(bigEndian: true, byteOrderMark: true);
            case "utf32":
                return new UTF32Encoding(bigEndian: false, byteOrderMark: true);
            case "bigendianutf32":
                return new UTF32Encoding(bigEndian: true, byteOrderMark: true);
            case "ascii":
                return new ASCIIEncoding();
        }

        try
        {
            return int.TryParse(name, out int codePage) ? Encoding.GetEncoding(codePage) : Encoding.GetEncoding(name);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The same encoding without a byte order mark: what goes after the start of an existing file.</summary>
    public static Encoding WithoutPreamble(Encoding encoding) => encoding.Preamble.Length == 0 ? encoding : encoding switch
    {
        UTF8Encoding => Utf8NoBom,
        UnicodeEncoding => new UnicodeEncoding(bigEndian: encoding.CodePage == 1201, byteOrderMark: false),
        UTF32Encoding => new UTF32Encoding(bigEndian: encoding.CodePage == 12001, byteOrderMark: false),
        _ => encoding,
    };
}
