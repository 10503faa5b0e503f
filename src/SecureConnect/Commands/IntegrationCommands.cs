using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Security;
using System.Collections.ObjectModel;
using SecureConnect.Sql;
using System.Net;
using SecureConnect.Common;
using SecureConnect.Integrations;
using SecureConnect.Ssh.Tunnels;

namespace SecureConnect.Commands;

/// <summary>Accepts "Strict" as an alias of VerifyFull for -SslMode / -Mode / -Minimum.</summary>
public sealed class SslModeTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc/>
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value is string text && string.Equals(text.Trim(), "Strict", StringComparison.OrdinalIgnoreCase)
            ? SslMode.VerifyFull
            : inputData;
    }
}

/// <summary>
/// A SHA256 host key fingerprint as ssh-keygen -l prints it (the SHA256: prefix optional); empty or null passes, as a
/// piped integration without a pinned key binds it so.
/// </summary>
public sealed class HostKeyFingerprintAttribute : ValidateArgumentsAttribute
{
    private static readonly System.Text.RegularExpressions.Regex Shape = new("^(SHA256:)?[A-Za-z0-9+/]{43}=?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <inheritdoc/>
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        object? value = arguments is PSObject pso ? pso.BaseObject : arguments;
        if (value is null || (value is string text && (text.Length == 0 || Shape.IsMatch(text))))
        {
            return;
        }

        throw new ValidationMetadataException($"'{value}' is not a SHA256 host key fingerprint: give SHA256: and 43 base64 characters, as ssh-keygen -l prints it.");
    }
}

/// <summary>
/// Takes an integration's CaCertificate (a CaCertificateInfo, also a deserialized one) given to -CaCertificatePath as the
/// file it describes, so that Get-SecureIntegration | New-SecureIntegration -Name copy copies the CA.
/// </summary>
public sealed class CaCertificatePathTransformationAttribute : ArgumentTransformationAttribute
{
    /// <inheritdoc/>
    public override object? Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        if (inputData is PSObject deserialized && deserialized.TypeNames.Contains("Deserialized." + typeof(CaCertificateInfo).FullName))
        {
            return deserialized.Properties[nameof(CaCertificateInfo.Path)]?.Value?.ToString();
        }

        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value is CaCertificateInfo info ? info.Path : inputData;
    }
}

/// <summary>
/// Takes an Integration object (also a deserialized one, from a job or remoting) given to a parameter of integration
/// names as its name, so that Get-SecureIntegration | Start-SshTunnel binds the object to -Integration, without type
/// conversion, before any other parameter could take one of its properties.
/// </summary>
public sealed class IntegrationNameTransformationAttribute : ArgumentTransformationAttribute
{
    private const string DeserializedTypeName = "Deserialized.SecureConnect.Integration";

    /// <inheritdoc/>
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value is IList list ? list.Cast<object>().Select(NameOf).ToArray() : NameOf(inputData);
    }

    private static object NameOf(object item)
    {
        object value = item is PSObject pso ? pso.BaseObject : item;
        if (value is Integration integration)
        {
            return integration.Name;
        }

        if (item is PSObject shape && shape.TypeNames.Contains(DeserializedTypeName) && shape.Properties["Name"]?.Value is { } name)
        {
            return name.ToString() ?? string.Empty;
        }

        return item;
    }
}

/// <summary>Shared pieces of the integration cmdlets.</summary>
public abstract class IntegrationCmdlet : SecureConnectCmdlet
{
    internal IntegrationStore Integrations => new(Store);

    internal Integration Describe(IntegrationRecord record, SslPolicyLevels levels) =>
        Integrations.ToPublic(record, levels, SessionCredentials.Get(Store.Paths.Root, record.Name) is not null);

    /// <summary>The connection plan and credential of a registered integration.</summary>
    internal (ConnectionPlan Spec, NetworkCredential? Credential, SslPolicyLevels Levels) ResolveIntegration(string name, PSCredential? explicitCredential)
    {
        (ConnectionPlan spec, IntegrationRecord record, SslPolicyLevels levels) = ConnectionPlans.ForIntegration(Integrations, name);
        return (spec, ResolveCredential(record, explicitCredential), levels);
    }

    private NetworkCredential? ResolveCredential(IntegrationRecord record, PSCredential? explicitCredential) =>
        IntegrationLogins.Resolve(record, Store.Paths.Root, explicitCredential, Vault);

    /// <summary>Get-Secret of SecretManagement, when it is available in this session.</summary>
    private SecretReader? Vault()
    {
        if (InvokeCommand.GetCommand("Get-Secret", CommandTypes.Cmdlet | CommandTypes.Function) is null)
        {
            return null;
        }

        return name => InvokeCommand.InvokeScript("param($n) Get-Secret -Name $n -ErrorAction Stop", true, PipelineResultTypes.None, null, name).FirstOrDefault()?.BaseObject;
    }

    /// <summary>The names of the parameters among these that were given a value, for the rules of a saved tunnel.</summary>
    internal static IEnumerable<string> Given(params (string Name, object? Value)[] parameters) =>
        parameters.Where(p => p.Value is not null).Select(p => p.Name);

    internal string? StoreCrl(string? crlPath, string name)
    {
        if (crlPath is null)
        {
            return null;
        }

        string file = CertificateRevocationLists.Store(Store, name, CertificateRevocationLists.Validate(ResolveFilePath(crlPath, ErrorIds.CrlNotFound, "certificate revocation list file")));
        WriteVerbose($"Stored the certificate revocation list for '{name}'; it is checked under VerifyCA and VerifyFull.");
        return file;
    }

    internal string? StoreCa(string? caPath, string name)
    {
        if (caPath is null)
        {
            return null;
        }

        (string pem, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) = CaCertificates.Validate(ResolveFilePath(caPath, ErrorIds.CaCertificateNotFound, "CA certificate file"));
        using (certificate)
        {
            string file = CaCertificates.Store(Store, name, pem);
            WriteVerbose($"Stored the CA certificate '{certificate.Subject}' ({certificate.Thumbprint}, until {certificate.NotAfter:yyyy-MM-dd}) for '{name}'.");
            return file;
        }
    }
}

/// <summary>New-SecureIntegration: registers a data source.</summary>
[Cmdlet(VerbsCommon.New, "SecureIntegration", SupportsShouldProcess = true, HelpUri = HelpUris.Cmdlets + "New-SecureIntegration.md")]
[OutputType(typeof(Integration))]
public sealed class NewSecureIntegrationCommand : IntegrationCmdlet
{
    /// <summary>The integration's name.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>The engine.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    public IntegrationType Type { get; set; }

    /// <summary>The database server's host name (as its certificate names it).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Host", "Server")]
    [ValidateNotNullOrEmpty]
    public string HostName { get; set; } = string.Empty;

    /// <summary>The database port (the engine's default when omitted).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>The database.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Database { get; set; }

    /// <summary>The login; kept in this process's memory only.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>A SecretManagement secret that holds the credential.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? CredentialSecret { get; set; }

    /// <summary>The integration's SSL mode (the workspace default when omitted).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [SslModeTransformation]
    public SslMode? SslMode { get; set; }

    /// <summary>A PEM CA certificate to validate the server against (an integration's CaCertificate binds as its file).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("CaCertificate")]
    [CaCertificatePathTransformation]
    public string? CaCertificatePath { get; set; }

    /// <summary>A certificate revocation list (PEM or DER) from the CA, checked offline under VerifyCA/VerifyFull, as libpq's sslcrl.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? CrlPath { get; set; }

    /// <summary>The SSH bastion, host[:port] (or user@host[:port]).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? SshBastion { get; set; }

    /// <summary>The bastion's SSH port, when -SshBastion does not name one (22 when neither does).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, 65535)]
    public int? SshBastionPort { get; set; }

    /// <summary>The user on the bastion.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? SshUser { get; set; }

    /// <summary>Jump hosts before the bastion.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? SshJumpHost { get; set; }

    /// <summary>Pins the bastion's host key.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [HostKeyFingerprint]
    public string? SshHostKeyFingerprint { get; set; }

    /// <summary>Extra driver options (never TLS settings or secrets).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Options")]
    public Hashtable? Option { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        try
        {
            // Settings bound by property name from a piped integration come empty when it has none: empty is "not given".
            Database = NullIfEmpty(Database);
            CredentialSecret = NullIfEmpty(CredentialSecret);
            CaCertificatePath = NullIfEmpty(CaCertificatePath);
            CrlPath = NullIfEmpty(CrlPath);
            SshBastion = NullIfEmpty(SshBastion);
            SshUser = NullIfEmpty(SshUser);
            SshHostKeyFingerprint = NullIfEmpty(SshHostKeyFingerprint);
            SshJumpHost = SshJumpHost is { Length: > 0 } ? SshJumpHost : null;
            Option = Option is { Count: > 0 } ? Option : null;
            IntegrationStore.ValidateName(Name);
            IntegrationEdits.CheckHostName(HostName);
            IntegrationEdits.CheckNames(SshUser, Database, Credential, CredentialSecret);
            IntegrationTunnels.CheckParameters(Type, Name, Given(
                (nameof(SslMode), SslMode), (nameof(Credential), Credential), (nameof(CredentialSecret), CredentialSecret),
                (nameof(CaCertificatePath), CaCertificatePath), (nameof(CrlPath), CrlPath), (nameof(Database), Database), (nameof(Option), Option)));
            var record = new IntegrationRecord
            {
                Name = Name,
                Type = Type,
                HostName = HostName,

                // A saved tunnel carries any protocol: no default port (IntegrationTunnels.Check asks for one).
                Port = Port == 0 && Type != IntegrationType.SshTunnel ? Sql.Engines.For(Type).DefaultPort(Type) : Port,
                Database = Database,
                UserName = Credential?.UserName,
                SslMode = SslMode,
                CredentialSecret = CredentialSecret,
            };
            IntegrationEdits.ApplySsh(record, SshBastion, SshUser, SshJumpHost, SshHostKeyFingerprint, SshBastionPort);
            IntegrationEdits.ApplyOptions(record, Option);
            IntegrationTunnels.Check(record);
            if (!ShouldProcess(Name, $"Register the {Type} integration {HostName}:{record.Port}"))
            {
                return;
            }

            IntegrationRecord added = Integrations.Add(record, r =>
            {
                r.CrlFile = StoreCrl(CrlPath, r.Name);
                return StoreCa(CaCertificatePath, r.Name);
            });
            if (Credential is not null)
            {
                SessionCredentials.Set(Store.Paths.Root, added.Name, Credential);
            }

            SslPolicyLevels levels = Integrations.Policy();
            if (IntegrationEdits.BelowMinimumWarning(added, levels) is { } warning)
            {
                WriteWarning(warning);
            }

            WriteObject(Describe(added, levels));
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

/// <summary>Get-SecureIntegration: the workspace's integrations.</summary>
[Cmdlet(VerbsCommon.Get, "SecureIntegration", HelpUri = HelpUris.Cmdlets + "Get-SecureIntegration.md")]
[OutputType(typeof(Integration))]
public sealed class GetSecureIntegrationCommand : IntegrationCmdlet
{
    /// <summary>Names, with wildcards.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(IntegrationNameCompleter))]
    public string[]? Name { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        try
        {
            IReadOnlyList<IntegrationRecord> all = Integrations.All();
            SslPolicyLevels levels = Integrations.Policy();
            if (Name is null)
            {
                foreach (IntegrationRecord record in all)
                {
                    WriteObject(Describe(record, levels));
                }

                return;
            }

            foreach (string name in Name)
            {
                WildcardPattern pattern = NamePatterns.Create(name, ErrorIds.InvalidIntegrationName, "an integration name");
                List<IntegrationRecord> matches = all.Where(r => pattern.IsMatch(r.Name)).ToList();
                if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
                {
                    WriteError(new SecureConnectException(ErrorIds.IntegrationNotFound, ErrorKind.ObjectNotFound, $"There is no integration named '{name}' in this workspace.", name));
                }

                foreach (IntegrationRecord record in matches)
                {
                    WriteObject(Describe(record, levels));
                }
            }
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
    }
}

/// <summary>Set-SecureIntegration: changes an integration.</summary>
[Cmdlet(VerbsCommon.Set, "SecureIntegration", SupportsShouldProcess = true, HelpUri = HelpUris.Cmdlets + "Set-SecureIntegration.md")]
[OutputType(typeof(Integration))]
public sealed class SetSecureIntegrationCommand : IntegrationCmdlet
{
    /// <summary>The integration.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(IntegrationNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>The database server's host name.</summary>
    [Parameter]
    [Alias("Host", "Server")]
    [ValidateNotNullOrEmpty]
    public string? HostName { get; set; }

    /// <summary>The database port.</summary>
    [Parameter]
    [ValidateRange(1, 65535)]
    public int? Port { get; set; }

    /// <summary>The database.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Database { get; set; }

    /// <summary>The login; kept in this process's memory only.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>A SecretManagement secret that holds the credential.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CredentialSecret { get; set; }

    /// <summary>The integration's SSL mode.</summary>
    [Parameter]
    [SslModeTransformation]
    public SslMode? SslMode { get; set; }

    /// <summary>A PEM CA certificate to validate the server against.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CaCertificatePath { get; set; }

    /// <summary>A certificate revocation list (PEM or DER) from the CA, checked offline under VerifyCA/VerifyFull, as libpq's sslcrl.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CrlPath { get; set; }

    /// <summary>The SSH bastion, host[:port].</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SshBastion { get; set; }

    /// <summary>The user on the bastion.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SshUser { get; set; }

    /// <summary>Jump hosts before the bastion.</summary>
    [Parameter]
    public string[]? SshJumpHost { get; set; }

    /// <summary>Pins the bastion's host key.</summary>
    [Parameter]
    [HostKeyFingerprint]
    public string? SshHostKeyFingerprint { get; set; }

    /// <summary>Removes the SSH bastion: connect directly.</summary>
    [Parameter]
    public SwitchParameter NoSsh { get; set; }

    /// <summary>Forgets the SecretManagement secret: the credential comes from -Credential again.</summary>
    [Parameter]
    public SwitchParameter NoCredentialSecret { get; set; }

    /// <summary>Replaces the driver options.</summary>
    [Parameter]
    public Hashtable? Option { get; set; }

    /// <summary>Outputs the changed integration.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        try
        {
            // The type decides which parameters apply; refuse before anything (a CA file, a credential) is stored.
            IntegrationRecord current = Integrations.Get(Name);
            if (HostName is not null)
            {
                IntegrationEdits.CheckHostName(HostName);
            }

            IntegrationEdits.CheckNames(SshUser, Database, Credential, CredentialSecret);

            IntegrationTunnels.CheckParameters(current.Type, current.Name, Given(
                (nameof(SslMode), SslMode), (nameof(Credential), Credential), (nameof(CredentialSecret), CredentialSecret),
                (nameof(CaCertificatePath), CaCertificatePath), (nameof(CrlPath), CrlPath), (nameof(Database), Database), (nameof(Option), Option)));
            IntegrationEdits.ApplyCredentialSecret(current, CredentialSecret, NoCredentialSecret);
            if (!ShouldProcess(Name, "Change the integration"))
            {
                return;
            }

            IntegrationRecord record = Integrations.Update(Name, r =>
            {
                r.HostName = HostName ?? r.HostName;
                r.Port = Port ?? r.Port;
                r.Database = Database ?? r.Database;
                r.SslMode = SslMode ?? r.SslMode;
                IntegrationEdits.ApplyCredentialSecret(r, CredentialSecret, NoCredentialSecret);
                if (Credential is not null)
                {
                    r.UserName = Credential.UserName;
                }

                if (NoSsh)
                {
                    r.SshBastion = null;
                    r.SshUser = null;
                    r.SshJumpHost = Array.Empty<string>();
                    r.SshHostKeyFingerprint = null;
                }

                IntegrationEdits.ApplySsh(r, SshBastion, SshUser, SshJumpHost, SshHostKeyFingerprint);
                IntegrationEdits.ApplyOptions(r, Option);
                if (CaCertificatePath is not null)
                {
                    r.CaCertificateFile = StoreCa(CaCertificatePath, r.Name);
                }

                if (CrlPath is not null)
                {
                    r.CrlFile = StoreCrl(CrlPath, r.Name);
                }
            });
            if (Credential is not null)
            {
                SessionCredentials.Set(Store.Paths.Root, record.Name, Credential);
            }

            SslPolicyLevels levels = Integrations.Policy();
            if (SslMode is not null && IntegrationEdits.BelowMinimumWarning(record, levels) is { } warning)
            {
                WriteWarning(warning);
            }

            if (PassThru)
            {
                WriteObject(Describe(record, levels));
            }
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
    }
}

/// <summary>Remove-SecureIntegration: forgets an integration.</summary>
[Cmdlet(VerbsCommon.Remove, "SecureIntegration", SupportsShouldProcess = true, HelpUri = HelpUris.Cmdlets + "Remove-SecureIntegration.md")]
[OutputType(typeof(void))]
public sealed class RemoveSecureIntegrationCommand : IntegrationCmdlet
{
    /// <summary>The integration.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(IntegrationNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        try
        {
            IntegrationRecord record = Integrations.Get(Name);
            if (!ShouldProcess(record.Name, $"Remove the {record.Type} integration {record.HostName}:{record.Port}"))
            {
                return;
            }

            Integrations.Remove(record.Name);
            SessionCredentials.Remove(Store.Paths.Root, record.Name);
            WriteVerbose($"Removed the integration '{record.Name}'.");
        }
        catch (SecureConnectException e)
        {
            WriteError(e);
        }
    }
}
