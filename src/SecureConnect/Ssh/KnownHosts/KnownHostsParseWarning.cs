using System.Globalization;

namespace SecureConnect.Ssh.KnownHosts;

/// <summary>
/// A known_hosts line that could not be read as a key line. The line is kept as it is; the warning tells the
/// user which line ssh will also ignore, and why.
/// </summary>
internal sealed class KnownHostsParseWarning
{
    public KnownHostsParseWarning(string path, int lineNumber, string reason)
    {
        Path = path;
        LineNumber = lineNumber;
        Reason = reason;
    }

    public string Path { get; }

    /// <summary>The 1-based line number.</summary>
    public int LineNumber { get; }

    /// <summary>What is wrong with the line.</summary>
    public string Reason { get; }

    /// <summary>A message for Write-Warning.</summary>
    public string Message => string.Format(
        CultureInfo.InvariantCulture,
        "Line {0} of '{1}' is not a valid known_hosts entry ({2}); it is ignored and kept unchanged. Fix or delete the line.",
        LineNumber,
        Path,
        Reason);

    public override string ToString() => Message;
}
