using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using SecureConnect.Common;
using SecureConnect.Ssh;
using SecureConnect.Ssh.Keys;

namespace SecureConnect.Commands;

/// <summary>New-WorkspaceSshKey: generates the workspace key pair.</summary>
[Cmdlet(VerbsCommon.New, "WorkspaceSshKey", SupportsShouldProcess = true, HelpUri = HelpUris.Cmdlets + "New-WorkspaceSshKey.md")]
[OutputType(typeof(WorkspaceSshKey))]
public sealed class NewWorkspaceSshKeyCommand : SecureConnectCmdlet
{
    /// <summary>The key algorithm: Ed25519 (default), Rsa (4096 bits) or Ecdsa (P-256).</summary>
    [Parameter(Position = 0)]
    public SshKeyAlgorithm Algorithm { get; set; } = SshKeyAlgorithm.Ed25519;

    /// <summary>The comment at the end of the public key line.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Comment { get; set; }

    /// <summary>Encrypts the private key file (aes256-ctr, bcrypt KDF) with this passphrase.</summary>
    [Parameter]
    public SecureString? Passphrase { get; set; }

    /// <summary>Replaces an existing key; the old pair moves to keys/retired/.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var service = new WorkspaceKeyService(Store);
        bool exists = service.Exists;
        if (exists && !Force)
        {
            // Checked before ShouldProcess so that -WhatIf also reports the conflict.
            try
            {
                service.ThrowIfExists();
            }
            catch (SecureConnectException e)
            {
                ThrowTerminating(e);
            }
        }

        string action = exists
            ? $"Rotate the workspace SSH key (new {Algorithm} key; the old pair moves to keys/retired/)"
            : $"Create a new {Algorithm} workspace SSH key";
        if (!ShouldProcess(Store.Paths.PrivateKeyFile, action))
        {
            return;
        }

        byte[]? passphrase = SecretConversion.ToUtf8(Passphrase);
        try
        {
            WriteObject(service.Create(Algorithm, Comment, passphrase, Force, Verbose));
        }
        catch (SecureConnectException e)
        {
            ThrowTerminating(e);
        }
        finally
        {
            SecretConversion.Clear(passphrase);
        }
    }
}

/// <summary>Get-WorkspaceSshKey: the workspace key pair.</summary>
[Cmdlet(VerbsCommon.Get, "WorkspaceSshKey", HelpUri = HelpUris.Cmdlets + "Get-WorkspaceSshKey.md")]
[OutputType(typeof(WorkspaceSshKey))]
public sealed class GetWorkspaceSshKeyCommand : SecureConnectCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        try
        {
            WriteObject(new WorkspaceKeyService(Store).Get());
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
    }
}

/// <summary>Remove-WorkspaceSshKey: deletes the workspace key pair.</summary>
[Cmdlet(VerbsCommon.Remove, "WorkspaceSshKey", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, HelpUri = HelpUris.Cmdlets + "Remove-WorkspaceSshKey.md")]
[OutputType(typeof(void))]
public sealed class RemoveWorkspaceSshKeyCommand : SecureConnectCmdlet
{
    /// <summary>Removes without asking for confirmation (for runbooks); -WhatIf still only reports.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var service = new WorkspaceKeyService(Store);
        WorkspaceSshKey key;
        try
        {
            key = service.Get();
        }
        catch (SecureConnectException e)
        {
            ThrowTerminating(e);
            return;
        }

        bool whatIf = MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? value) && value is SwitchParameter { IsPresent: true };
        if (!Force && !whatIf && WouldPrompt() && NonInteractiveSession.IsNonInteractive())
        {
            // Nobody can answer: say what to add instead of attempting a prompt the host would refuse.
            ThrowTerminating(ConfirmationRequired(key));
        }

        bool proceed;
        try
        {
            proceed = Force && !whatIf
                ? true
                : ShouldProcess(key.PrivateKeyPath, $"Delete the workspace SSH key {key.Fingerprint} (every integration that uses it loses access)");
        }
        catch (Exception e) when (e is PSInvalidOperationException or System.Management.Automation.Host.HostException)
        {
            // A host without a user interface (a runspace, a service) refused the confirmation prompt.
            ThrowTerminating(ConfirmationRequired(key, e));
            return;
        }

        if (!proceed)
        {
            return;
        }

        try
        {
            service.Remove(Verbose);
        }
        catch (SecureConnectException e)
        {
            ThrowTerminating(e);
        }
    }

    private static SecureConnectException ConfirmationRequired(WorkspaceSshKey key, Exception? inner = null) => new(
        ErrorIds.ConfirmationRequired,
        ErrorKind.InvalidOperation,
        $"Remove-WorkspaceSshKey asks for confirmation before it deletes the workspace key {key.Fingerprint}, and this session cannot ask (it is non-interactive). Nothing was deleted. " +
        "To remove the key without asking, add -Force (Remove-WorkspaceSshKey -Force).",
        key.PrivateKeyPath,
        inner);

    /// <summary>True when ShouldProcess would ask: -Confirm, or a $ConfirmPreference that reaches ConfirmImpact High.</summary>
    private bool WouldPrompt()
    {
        if (MyInvocation.BoundParameters.TryGetValue("Confirm", out object? confirm) && confirm is SwitchParameter given)
        {
            return given.IsPresent;
        }

        object? preference = SessionState.PSVariable.GetValue("ConfirmPreference");
        return !(preference is ConfirmImpact impact && impact == ConfirmImpact.None) && !string.Equals(preference?.ToString(), "None", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Unlock-WorkspaceSshKey: unlocks an encrypted workspace key for this session, for the tunnels of integrations.</summary>
[Cmdlet(VerbsCommon.Unlock, "WorkspaceSshKey", HelpUri = HelpUris.Cmdlets + "Unlock-WorkspaceSshKey.md")]
[OutputType(typeof(WorkspaceSshKey))]
public sealed class UnlockWorkspaceSshKeyCommand : SecureConnectCmdlet
{
    /// <summary>The passphrase of the workspace key; checked at once, kept in memory for this session only.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public SecureString Passphrase { get; set; } = null!;

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        try
        {
            WriteObject(new WorkspaceKeyService(Store).Unlock(Passphrase, Verbose));
        }
        catch (SecureConnectException e)
        {
            ThrowTerminating(e);
        }
    }
}

/// <summary>Lock-WorkspaceSshKey: forgets the passphrase Unlock-WorkspaceSshKey kept for this session.</summary>
[Cmdlet(VerbsCommon.Lock, "WorkspaceSshKey", HelpUri = HelpUris.Cmdlets + "Lock-WorkspaceSshKey.md")]
[OutputType(typeof(void))]
public sealed class LockWorkspaceSshKeyCommand : SecureConnectCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        var service = new WorkspaceKeyService(Store);
        Verbose(service.Lock() ? "Forgot the workspace key's passphrase for this session." : "The workspace key was not unlocked in this session.");
    }
}

/// <summary>Whether this PowerShell was started non-interactive (pwsh -NonInteractive), where no prompt can be answered.</summary>
internal static class NonInteractiveSession
{
    public static bool IsNonInteractive()
    {
        // pwsh takes any unambiguous prefix of -NonInteractive, from -noni on.
        foreach (string argument in Environment.GetCommandLineArgs())
        {
            string a = argument.ToLowerInvariant();
            if (a.Length >= 5 && (a.StartsWith('-') || a.StartsWith('/')) && "-noninteractive".StartsWith("-" + a[1..], StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>Import-WorkspaceSshKey: adopts an existing OpenSSH or PEM private key as the workspace key.</summary>
[Cmdlet(VerbsData.Import, "WorkspaceSshKey", SupportsShouldProcess = true, HelpUri = HelpUris.Cmdlets + "Import-WorkspaceSshKey.md")]
[OutputType(typeof(WorkspaceSshKey))]
public sealed class ImportWorkspaceSshKeyCommand : SecureConnectCmdlet
{
    /// <summary>The private key file.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>The passphrase of an encrypted key; the key stays encrypted with it.</summary>
    [Parameter]
    public SecureString? Passphrase { get; set; }

    /// <summary>Replaces an existing workspace key; the old pair moves to keys/retired/.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        string path;
        try
        {
            path = ResolveFilePath(Path, ErrorIds.KeyFileNotFound, "key file");
        }
        catch (SecureConnectException e)
        {
            ThrowTerminating(e);
            return;
        }

        var service = new WorkspaceKeyService(Store);
        string action = service.Exists ? "Import as the workspace SSH key, replacing the current one" : "Import as the workspace SSH key";
        if (!ShouldProcess(path, action))
        {
            return;
        }

        byte[]? passphrase = SecretConversion.ToUtf8(Passphrase);
        try
        {
            WriteObject(service.Import(path, passphrase, Force, Verbose));
        }
        catch (SecureConnectException e)
        {
            ThrowTerminating(e);
        }
        finally
        {
            SecretConversion.Clear(passphrase);
        }
    }
}

/// <summary>ConvertTo-AuthorizedKey: the authorized_keys line for a key, with forwarding restrictions.</summary>
[Cmdlet(VerbsData.ConvertTo, "AuthorizedKey", HelpUri = HelpUris.Cmdlets + "ConvertTo-AuthorizedKey.md")]
[OutputType(typeof(string))]
public sealed class ConvertToAuthorizedKeyCommand : SecureConnectCmdlet
{
    /// <summary>The public key line; a WorkspaceSshKey pipes in by its PublicKey property. Default: the workspace key.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? PublicKey { get; set; }

    /// <summary>The only host:port destinations the key may forward to (permitopen).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? PermitOpen { get; set; }

    /// <summary>Addresses or patterns the key may be used from (from=).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? From { get; set; }

    /// <summary>Adds restrict (no shell pty, agent, X11 or other forwarding); on by default with -PermitOpen.</summary>
    [Parameter]
    public SwitchParameter Restrict { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        string? line = PublicKey;
        if (line is null)
        {
            try
            {
                line = new WorkspaceKeyService(Store).Get().PublicKey;
            }
            catch (SecureConnectException e)
            {
                ThrowTerminating(e);
                return;
            }
        }

        bool restrict = MyInvocation.BoundParameters.ContainsKey(nameof(Restrict))
            ? Restrict.IsPresent
            : PermitOpen is { Length: > 0 };
        try
        {
            WriteObject(AuthorizedKeyLine.Render(line, PermitOpen, From, restrict));
        }
        catch (SshKeyException e)
        {
            ErrorKind kind = e.ErrorId == ErrorIds.KeyFileCorrupt ? ErrorKind.InvalidData : ErrorKind.InvalidArgument;
            ThrowTerminating(new SecureConnectException(e.ErrorId, kind, e.Message, line, e));
        }
    }
}
