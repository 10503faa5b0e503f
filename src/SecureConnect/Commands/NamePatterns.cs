using System.Management.Automation;
using SecureConnect.Common;

namespace SecureConnect.Commands;

/// <summary>
/// The -Name wildcards of the listing cmdlets. PowerShell's WildcardPattern throws its own exception on first use for
/// a pattern it cannot read ('a[b', an unclosed bracket); here that is the id of the name that was given, at once.
/// </summary>
internal static class NamePatterns
{
    public static WildcardPattern Create(string name, string errorId, string what)
    {
        var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
        try
        {
            pattern.IsMatch(string.Empty);
        }
        catch (WildcardPatternException e)
        {
            throw new SecureConnectException(
                errorId,
                ErrorKind.InvalidArgument,
                $"'{InputText.Visible(name)}' is neither {what} nor a wildcard pattern: {e.Message} To match '[' or ']' literally, escape them with a backtick.",
                name,
                e);
        }

        return pattern;
    }
}
