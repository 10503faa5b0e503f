namespace SecureConnect.Common;

/// <summary>
/// Every public error id of the module, in one place. The full PowerShell id is <c>&lt;id&gt;,SecureConnect.Commands.&lt;Class&gt;</c>;
/// runbooks and tests match on it, so an id is public contract: never rename one. Each is documented, with what it
/// means and what to do, in en-US/about_SecureConnect_Errors.help.txt (a test keeps the two the same).
/// </summary>
internal static class ErrorIds
{
    public const string AddressNotObserved = nameof(AddressNotObserved);

    public const string BastionUnreachable = nameof(BastionUnreachable);

    public const string CaCertificateExpired = nameof(CaCertificateExpired);

    public const string CaCertificateInvalid = nameof(CaCertificateInvalid);

    public const string CaCertificateNotFound = nameof(CaCertificateNotFound);

    public const string ConfirmationRequired = nameof(ConfirmationRequired);

    public const string ConnectionFailed = nameof(ConnectionFailed);

    public const string CredentialNotFound = nameof(CredentialNotFound);

    public const string CrlInvalid = nameof(CrlInvalid);

    public const string CrlNotFound = nameof(CrlNotFound);

    public const string DatabaseAuthenticationFailed = nameof(DatabaseAuthenticationFailed);

    public const string EgressAddressExists = nameof(EgressAddressExists);

    public const string EgressAddressNotFound = nameof(EgressAddressNotFound);

    public const string EmptyAllowlist = nameof(EmptyAllowlist);

    public const string ExportFailed = nameof(ExportFailed);

    public const string ExportHeaderMismatch = nameof(ExportHeaderMismatch);

    public const string ExportTargetExists = nameof(ExportTargetExists);

    public const string ForwardRefused = nameof(ForwardRefused);

    public const string HostBitsSet = nameof(HostBitsSet);

    public const string HostKeyMismatch = nameof(HostKeyMismatch);

    public const string HostKeyUnknown = nameof(HostKeyUnknown);

    public const string IntegrationExists = nameof(IntegrationExists);

    public const string IntegrationNotFound = nameof(IntegrationNotFound);

    public const string IntegrationNotQueryable = nameof(IntegrationNotQueryable);

    public const string IntegrationRequired = nameof(IntegrationRequired);

    public const string InvalidAddress = nameof(InvalidAddress);

    public const string InvalidConnectionString = nameof(InvalidConnectionString);

    public const string InvalidFromPattern = nameof(InvalidFromPattern);

    public const string InvalidHostKey = nameof(InvalidHostKey);

    public const string InvalidHostName = nameof(InvalidHostName);

    public const string InvalidIntegrationName = nameof(InvalidIntegrationName);

    public const string InvalidJumpHost = nameof(InvalidJumpHost);

    public const string InvalidKeyComment = nameof(InvalidKeyComment);

    public const string InvalidName = nameof(InvalidName);

    public const string InvalidOption = nameof(InvalidOption);

    public const string InvalidParameterValue = nameof(InvalidParameterValue);

    public const string InvalidPermitOpen = nameof(InvalidPermitOpen);

    public const string InvalidPort = nameof(InvalidPort);

    public const string InvalidPublicKey = nameof(InvalidPublicKey);

    public const string InvalidQuery = nameof(InvalidQuery);

    public const string InvalidRuleValue = nameof(InvalidRuleValue);

    public const string InvalidTunnelName = nameof(InvalidTunnelName);

    public const string KeyFileCorrupt = nameof(KeyFileCorrupt);

    public const string KeyFileNotFound = nameof(KeyFileNotFound);

    public const string KeyFileUnprotected = nameof(KeyFileUnprotected);

    public const string KeyFormatUnsupported = nameof(KeyFormatUnsupported);

    public const string KeyIsPublicKey = nameof(KeyIsPublicKey);

    public const string KeyPassphraseIncorrect = nameof(KeyPassphraseIncorrect);

    public const string KeyPassphraseRequired = nameof(KeyPassphraseRequired);

    public const string KnownHostConflict = nameof(KnownHostConflict);

    public const string KnownHostNotFound = nameof(KnownHostNotFound);

    public const string KnownHostsFileNotFound = nameof(KnownHostsFileNotFound);

    public const string KnownHostsNotReadable = nameof(KnownHostsNotReadable);

    public const string KnownHostsNotWritable = nameof(KnownHostsNotWritable);

    public const string LocalPortInUse = nameof(LocalPortInUse);

    public const string NoHostKey = nameof(NoHostKey);

    public const string ParameterConflict = nameof(ParameterConflict);

    public const string ParameterNotApplicable = nameof(ParameterNotApplicable);

    public const string PortRequired = nameof(PortRequired);

    public const string PresetNotFound = nameof(PresetNotFound);

    public const string QueryFailed = nameof(QueryFailed);

    public const string QueryInterrupted = nameof(QueryInterrupted);

    public const string QueryRequired = nameof(QueryRequired);

    public const string QueryTimeout = nameof(QueryTimeout);

    public const string RemoteUnreachable = nameof(RemoteUnreachable);

    public const string SshAuthenticationFailed = nameof(SshAuthenticationFailed);

    public const string SshBastionRequired = nameof(SshBastionRequired);

    public const string SshLibraryIncompatible = nameof(SshLibraryIncompatible);

    public const string SshUserRequired = nameof(SshUserRequired);

    public const string SslCaNotSupported = nameof(SslCaNotSupported);

    public const string SslCertificateInvalid = nameof(SslCertificateInvalid);

    public const string SslNotAvailable = nameof(SslNotAvailable);

    public const string SslPolicyViolation = nameof(SslPolicyViolation);

    public const string TunnelNameConflict = nameof(TunnelNameConflict);

    public const string TunnelNameInUse = nameof(TunnelNameInUse);

    public const string TunnelNotFound = nameof(TunnelNotFound);

    public const string UserRequired = nameof(UserRequired);

    public const string WorkspaceCorrupt = nameof(WorkspaceCorrupt);

    public const string WorkspaceKeyCorrupt = nameof(WorkspaceKeyCorrupt);

    public const string WorkspaceKeyExists = nameof(WorkspaceKeyExists);

    public const string WorkspaceKeyNotFound = nameof(WorkspaceKeyNotFound);

    public const string WorkspaceKeyNotRemoved = nameof(WorkspaceKeyNotRemoved);

    public const string WorkspaceLocked = nameof(WorkspaceLocked);

    public const string WorkspaceNotReadable = nameof(WorkspaceNotReadable);

    public const string WorkspaceNotWritable = nameof(WorkspaceNotWritable);

    public const string WorkspaceVersionUnsupported = nameof(WorkspaceVersionUnsupported);
}
