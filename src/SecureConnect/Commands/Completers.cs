using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using SecureConnect.Egress;
using SecureConnect.Integrations;
using SecureConnect.Ssh.KnownHosts;
using SecureConnect.Ssh.Tunnels;
using SecureConnect.Workspace;

namespace SecureConnect.Commands;

/// <summary>
/// The base of the module's argument completers: candidates from one source, matched by prefix (or by a wildcard the
/// user typed), in order, quoted when the name needs quotes. A completer never throws and never prompts: a broken or
/// missing workspace, an unreadable file or anything else completes nothing, because an error in the middle of Tab is
/// worse than no suggestion.
/// </summary>
public abstract class SecureConnectCompleter : IArgumentCompleter
{
    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            return Complete(Candidates(), wordToComplete ?? string.Empty, ToolTip).ToList();
        }
#pragma warning disable CA1031 // Completion is best effort by design: whatever fails, Tab offers nothing.
        catch (Exception)
#pragma warning restore CA1031
        {
            return Array.Empty<CompletionResult>();
        }
    }

    /// <summary>The names this completer offers, before matching.</summary>
    internal abstract IEnumerable<string> Candidates();

    /// <summary>What the completion menu says about a candidate (the candidate itself unless a completer knows more).</summary>
    internal virtual string ToolTip(string candidate) => candidate;

    /// <summary>The workspace of the session: SECURECONNECT_HOME, a relative one from PowerShell's current location.</summary>
    internal static WorkspaceStore CurrentStore()
    {
        string directory = Environment.CurrentDirectory;
        try
        {
            if (Runspace.DefaultRunspace?.SessionStateProxy?.Path?.CurrentFileSystemLocation?.ProviderPath is { Length: > 0 } location)
            {
                directory = location;
            }
        }
#pragma warning disable CA1031 // Without a runspace location the process's directory is the best guess.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        return WorkspaceStore.Current(directory);
    }

    /// <summary>The candidates that match <paramref name="word"/>, distinct, in the order given, quoted as needed.</summary>
    internal static IEnumerable<CompletionResult> Complete(IEnumerable<string> candidates, string word, Func<string, string>? toolTip = null)
    {
        string typed = Unquote(word, out char quote);
        var pattern = new WildcardPattern(WildcardPattern.ContainsWildcardCharacters(typed) ? typed : WildcardPattern.Escape(typed) + "*", WildcardOptions.IgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string candidate in candidates)
        {
            if (string.IsNullOrEmpty(candidate) || !seen.Add(candidate) || !pattern.IsMatch(candidate))
            {
                continue;
            }

            yield return new CompletionResult(Quote(candidate, quote), candidate, CompletionResultType.ParameterValue, toolTip?.Invoke(candidate) ?? candidate);
        }
    }

    /// <summary>
    /// The text to insert: as is when PowerShell reads it back as the same single argument, else in single quotes
    /// (or in the quote the user started with), with embedded quotes doubled.
    /// </summary>
    internal static string Quote(string value, char quote = '\0')
    {
        if (quote == '"')
        {
            return "\"" + value.Replace("`", "``", StringComparison.Ordinal).Replace("\"", "`\"", StringComparison.Ordinal).Replace("$", "`$", StringComparison.Ordinal) + "\"";
        }

        if (quote == '\0' && !NeedsQuotes(value))
        {
            return value;
        }

        return "'" + CodeGeneration.EscapeSingleQuotedStringContent(value) + "'";
    }

    private static bool NeedsQuotes(string value)
    {
        if (value.Length == 0 || value[0] is '-' or '@')
        {
            return true;
        }

        foreach (char c in value)
        {
            if (char.IsWhiteSpace(c) || c is '\'' or '"' or '`' or '$' or ',' or ';' or '(' or ')' or '{' or '}' or '[' or ']' or '&' or '|' or '#' or '@' or '<' or '>'
                || c is '\u2018' or '\u2019' or '\u201A' or '\u201B' or '\u201C' or '\u201D' or '\u201E')
            {
                return true;
            }
        }

        return false;
    }

    private static string Unquote(string word, out char quote)
    {
        quote = '\0';
        if (word.Length > 0 && word[0] is '\'' or '"')
        {
            quote = word[0];
            string inner = word[1..];
            if (inner.Length > 0 && inner[^1] == quote)
            {
                inner = inner[..^1];
            }

            return quote == '\'' ? inner.Replace("''", "'", StringComparison.Ordinal) : inner;
        }

        return word;
    }
}

/// <summary>Completes the names of the workspace's integrations.</summary>
public sealed class IntegrationNameCompleter : SecureConnectCompleter
{
    internal override IEnumerable<string> Candidates() => new IntegrationStore(CurrentStore()).All().Select(r => r.Name);
}

/// <summary>Completes the names of the SSH tunnels running in this process.</summary>
public sealed class TunnelNameCompleter : SecureConnectCompleter
{
    internal override IEnumerable<string> Candidates() => TunnelRegistry.All().SelectMany(t => t.Model.Names);
}

/// <summary>Completes the ids of the SSH tunnels running in this process (the tooltip says which tunnel it is).</summary>
public sealed class TunnelIdCompleter : SecureConnectCompleter
{
    internal override IEnumerable<string> Candidates() =>
        TunnelRegistry.All().Select(t => t.Model.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The tunnel the id stands for: its name and route.</summary>
    internal override string ToolTip(string candidate) =>
        long.TryParse(candidate, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long id) && TunnelRegistry.Get(id) is { } tunnel
            ? (tunnel.Model.Name is { } name ? $"'{name}' " : string.Empty) + tunnel.Model.ToString()
            : candidate;
}

/// <summary>Completes the host names of the workspace's known_hosts (plain entries; hashed ones hide their names).</summary>
public sealed class KnownHostNameCompleter : SecureConnectCompleter
{
    internal override IEnumerable<string> Candidates() =>
        new KnownHostsStore(CurrentStore()).Read().Entries
            .Select(e => GetSshKnownHostCommand.FirstHost(e).Host)
            .Where(h => !string.IsNullOrEmpty(h))
            .Select(h => h!)
            .OrderBy(h => h, StringComparer.OrdinalIgnoreCase);
}

/// <summary>Completes the addresses (CIDR) of the workspace's egress allowlist.</summary>
public sealed class EgressAddressCompleter : SecureConnectCompleter
{
    internal override IEnumerable<string> Candidates() => new EgressStore(CurrentStore()).Configured().Select(a => a.Cidr);
}

/// <summary>Completes the names of the built-in egress presets.</summary>
public sealed class EgressPresetCompleter : SecureConnectCompleter
{
    internal override IEnumerable<string> Candidates() => EgressStore.PresetNames();
}
