namespace SecureConnect.Common;

/// <summary>
/// Where the module's online help lives: every cmdlet's HelpUri (Get-Help -Online) is built from <see cref="DocsBase"/>,
/// so the real address is set here and nowhere else. The pages are docs/cmdlets/&lt;Name&gt;.md and docs/about/*.md of
/// the repository, generated from en-US/ by tests/tools/ConvertTo-MarkdownHelp.ps1.
/// </summary>
internal static class HelpUris
{
    /// <summary>The base address of the docs folder (the project has no public site yet: a reserved example name).</summary>
    public const string DocsBase = "https://secureconnect.example/docs/";

    /// <summary>The folder of the per-cmdlet pages; a cmdlet's page is <c>&lt;Verb&gt;-&lt;Noun&gt;.md</c>.</summary>
    public const string Cmdlets = DocsBase + "cmdlets/";
}
